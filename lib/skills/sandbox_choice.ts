/**
 * Which sandbox would run a skill, and which sandboxes this machine has.
 *
 * @module
 */
import { basename, delimiter, join } from "node:path";
import type { SandboxKind, Skill } from "./types.ts";
import { statOrNull } from "./_fs.ts";

/** What the node can sandbox with, and what the operator allows. */
export interface SandboxEnv {
  /** A working bubblewrap is available. */
  bwrap: boolean;
  /** A Deno binary is available to run `.ts`/`.js` skills. */
  deno: boolean;
  /** The operator passed `--allow-unsandboxed`: skills may run without bubblewrap. */
  allowUnsandboxed: boolean;
}

/**
 * Picks the sandbox for a skill. Only script skills run, and every one of them inside
 * bubblewrap when it works here: Deno skills (`.ts`, `.js`, `.mjs`) with Deno's
 * permission flags as a second layer inside it (Deno does not check read permission
 * for static imports, so its flags alone do not hide the node's files), other scripts
 * directly. Without bubblewrap a skill runs only when the operator allowed unsandboxed
 * runs (`--allow-unsandboxed`); a Deno skill then still runs under its Deno flags.
 * A Deno starter skill ({@link Skill.builtin}) runs under its Deno flags without
 * bubblewrap even then (`"deno-flags"`): its code is swarm's own, so the gap those flags
 * leave (static imports) is no way in, and a first node works where bubblewrap is missing.
 *
 * @param skill The skill's kind and language.
 * @param env What this node has and allows.
 * @returns The sandbox to use, or `"unavailable"` when the skill cannot run here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseSandbox } from "./sandbox_choice.ts";
 * const env = { bwrap: true, deno: true, allowUnsandboxed: false };
 * assert.ok(chooseSandbox({ kind: "script", language: "deno" }, env) === "deno");
 * const bare = { bwrap: false, deno: true, allowUnsandboxed: false };
 * assert.ok(chooseSandbox({ kind: "script", language: "deno" }, bare) === "unavailable");
 * const starter = { kind: "script", language: "deno", builtin: true } as const;
 * assert.ok(chooseSandbox(starter, bare) === "deno-flags");
 * ```
 */
export function chooseSandbox(
  skill: Pick<Skill, "kind" | "language" | "builtin">,
  env: SandboxEnv,
): SandboxKind {
  if (skill.kind !== "script") return "unavailable";
  if (skill.language === "deno" && !env.deno) return "unavailable";
  if (env.bwrap) return skill.language === "deno" ? "deno" : "bwrap";
  if (skill.builtin === true && skill.language === "deno") return "deno-flags";
  return env.allowUnsandboxed ? "none" : "unavailable";
}

/**
 * Why a skill {@link chooseSandbox} finds `"unavailable"` cannot run here, in words an
 * operator can act on.
 *
 * @example
 * ```ts
 * import { whyUnavailable } from "./sandbox_choice.ts";
 * const bare = { bwrap: false, deno: true, allowUnsandboxed: false };
 * console.assert(whyUnavailable({ kind: "script", language: "python" }, bare).includes("bubblewrap"));
 * ```
 */
export function whyUnavailable(
  skill: Pick<Skill, "kind" | "language">,
  env: SandboxEnv,
): string {
  if (skill.kind !== "script") return "it has no entry script";
  if (skill.language === "deno" && !env.deno) return "Deno was not found to run its script";
  return "bubblewrap is not installed or does not work here, and --allow-unsandboxed was not given";
}

/**
 * Why a script skill cannot run here (no usable sandbox, no Deno), or `null` when it
 * can, or is not a script (reference and bash-tool skills are never run by a node, and
 * still count as SkillLite counts them). A skill with a reason is not advertised.
 *
 * @example
 * ```ts
 * import { cannotRunReason } from "./sandbox_choice.ts";
 * const bare = { bwrap: false, deno: true, allowUnsandboxed: false };
 * console.assert(cannotRunReason({ kind: "script", language: "python" }, bare) !== null);
 * console.assert(cannotRunReason({ kind: "reference" }, bare) === null);
 * ```
 */
export function cannotRunReason(
  skill: Pick<Skill, "kind" | "language" | "builtin">,
  env: SandboxEnv,
): string | null {
  if (skill.kind !== "script" || chooseSandbox(skill, env) !== "unavailable") return null;
  return whyUnavailable(skill, env);
}

/** Sandbox programs found on this machine (absolute paths), `null` when absent. */
export interface DetectedSandboxes {
  /** bubblewrap, only when a trial sandbox (new namespaces, /proc, /dev) works here. */
  bwrap: string | null;
  /** A Deno binary: the running one when it is `deno`, else `deno` on PATH. */
  deno: string | null;
}

/** Options of {@link detectSandboxes}. */
export interface DetectSandboxesOptions {
  /**
   * Search path for `bwrap` and `deno`, entries separated as in `PATH`.
   *
   * @default {Deno.env.get("PATH")}
   */
  path?: string;
  /**
   * How long the `bwrap` trial run may take, in milliseconds.
   *
   * @default {5000}
   */
  probeTimeoutMs?: number;
}

/**
 * Finds the sandboxes this machine can use: `bwrap` on the search path, kept only
 * when a trial run (`bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true`)
 * exits 0 (user namespaces may be disabled, or /proc masked in a container), and a Deno
 * binary: `Deno.execPath()` when its name is `deno` (not a
 * compiled swarm binary), else `deno` on the search path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectSandboxes } from "./sandbox_choice.ts";
 * const found = await detectSandboxes({ path: "" });
 * assert.ok(found.bwrap === null);
 * ```
 */
export async function detectSandboxes(
  options: DetectSandboxesOptions = {},
): Promise<DetectedSandboxes> {
  const { path = Deno.env.get("PATH") ?? "", probeTimeoutMs = 5000 } = options;
  const bwrapPath = await findExecutable("bwrap", path);
  const bwrap = bwrapPath !== null && await bwrapWorks(bwrapPath, probeTimeoutMs)
    ? bwrapPath
    : null;
  const execPath = Deno.execPath();
  const deno = basename(execPath) === "deno" ? execPath : await findExecutable("deno", path);
  return { bwrap, deno };
}

async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    // A directory of PATH this user may not search (another user's bin) holds nothing
    // for us, as for a shell: looking further, never failing the node's start.
    const info = await statOrNull(candidate).catch(() => null);
    if (info?.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
  }
  return null;
}

async function bwrapWorks(bwrap: string, timeoutMs: number): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(bwrap, {
      // The namespaces and mounts a skill's run needs: a plain `--ro-bind / / true` passes
      // in a container whose /proc is masked, where every real run then fails.
      args: ["--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
      // `true` is found on the system's own path, whatever PATH the node was given.
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return success;
  } catch {
    return false;
  }
}
