/**
 * The Deno command line that runs a `.ts`/`.js` skill with only its declared permissions.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { Skill } from "../skills/mod.ts";
import { declaredPath } from "./interpreter.ts";
import { DEFAULT_DENO_HEAP_MIB } from "./skill_limits.ts";

/** Everything {@link denoArgs} needs for one run. */
export interface DenoPlan {
  /** Path of the `deno` program. */
  deno: string;
  /** The script skill to run (a `.ts` or `.js` entry). */
  skill: Skill;
  /** The task's fresh working directory. */
  workDir: string;
  /** Limit of V8's heap (old space), in MiB. @default {256} */
  heapMiB?: number;
}

/**
 * The argv that runs a skill under Deno's permission system: no prompt, no config or
 * lock file, no remote/npm modules, read access to the skill directory and the working
 * directory (plus declared paths), write access to the working directory (plus
 * declared paths), network and environment only as declared, nothing else (no run,
 * ffi or sys), and a capped heap (256 MiB unless `heapMiB` says otherwise).
 *
 * Deno does not check read permission for static imports (`import x from "/etc/x"
 * with { type: "text" }`), so these flags do not hide the node's files by themselves:
 * the skill executor runs this command inside bubblewrap (see `bwrapArgs`).
 *
 * @param plan The deno program, the skill and its working directory.
 * @returns `[deno, "run", ...flags, entry]`.
 * @throws {SwarmError} `execution_failed` when a declared value cannot be expressed as
 * a Deno flag (it contains a comma).
 * @throws {TypeError} When the skill has no entry point.
 * @example
 * ```ts
 * import { denoArgs } from "./deno_args.ts";
 * import type { Skill } from "../skills/types.ts";
 * const skill = {
 *   name: "echo", kind: "script", dir: "/skills/echo", entryPoint: "/skills/echo/scripts/main.ts",
 *   language: "deno", permissions: { net: ["127.0.0.1"], read: [], write: [], env: [] },
 * } as unknown as Skill;
 * const argv = denoArgs({ deno: "deno", skill, workDir: "/tmp/task-1" });
 * console.assert(argv.includes("--allow-read=/skills/echo,/tmp/task-1"));
 * console.assert(argv.includes("--allow-net=127.0.0.1"));
 * console.assert(!argv.some((a) => a.startsWith("--allow-env")));
 * ```
 */
export function denoArgs(plan: DenoPlan): string[] {
  const { deno, skill, workDir, heapMiB = DEFAULT_DENO_HEAP_MIB } = plan;
  const entry = skill.entryPoint;
  if (skill.kind !== "script" || entry === undefined) {
    throw new TypeError(`Cannot run skill '${skill.name}': it has no entry script`);
  }
  const { net, read, write, env } = skill.permissions;
  const list = (values: string[]) => {
    const bad = values.find((v) => v.includes(","));
    if (bad !== undefined) {
      throw new SwarmError(
        "execution_failed",
        `Skill '${skill.name}' cannot run: a declared permission contains a comma: ${bad}`,
        { skill: skill.name },
      );
    }
    return values.join(",");
  };
  const readable = [skill.dir, workDir, ...read.map((p) => declaredPath(skill, p))];
  const writable = [workDir, ...write.map((p) => declaredPath(skill, p))];
  const args = [
    deno,
    "run",
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    `--v8-flags=--max-old-space-size=${heapMiB}`,
    `--allow-read=${list(readable)}`,
    `--allow-write=${list(writable)}`,
  ];
  if (net === true) args.push("--allow-net");
  else if (Array.isArray(net) && net.length > 0) args.push(`--allow-net=${list(net)}`);
  if (env.length > 0) args.push(`--allow-env=${list(env)}`);
  // No "--" before the entry: `deno run` reads it as the script name.
  args.push(entry);
  return args;
}

/**
 * The environment of a Deno skill: the scrubbed skill environment plus `DENO_DIR`
 * inside the working directory (Deno's caches stay there and go with it),
 * `NO_COLOR=1` and `DENO_NO_UPDATE_CHECK=1`.
 *
 * @example
 * ```ts
 * import { denoEnv } from "./deno_args.ts";
 * const env = denoEnv({ LANG: "C.UTF-8" }, "/tmp/task-1");
 * console.assert(env.DENO_DIR === "/tmp/task-1/.deno" && env.NO_COLOR === "1");
 * ```
 */
export function denoEnv(env: Record<string, string>, workDir: string): Record<string, string> {
  return {
    ...env,
    DENO_DIR: `${workDir.replace(/\/+$/, "")}/.deno`,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
}
