/**
 * The bubblewrap command line that runs a skill: python, shell or Deno.
 *
 * @module
 */
import type { Skill, SkillPermissions } from "../skills/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { declaredPath, interpreterArgv } from "./interpreter.ts";
import { denoArgs } from "./deno_args.ts";
import type { SandboxHost } from "./sandbox_host.ts";

/**
 * System paths mounted read-only in every bubblewrap sandbox when they exist: enough
 * for `/bin/sh` and a distribution Python. Top-level symlinks (a merged `/usr`'s
 * `/bin → usr/bin`) are recreated as symlinks.
 */
export const BWRAP_SYSTEM_PATHS: readonly string[] = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc/alternatives",
  "/etc/ld.so.cache",
];

/** Paths mounted read-only only for skills granted network access (name resolution, CA certificates). */
export const BWRAP_NET_PATHS: readonly string[] = [
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/ssl",
  "/etc/ca-certificates",
];

/** Everything {@link bwrapArgs} needs for one run. */
export interface BwrapPlan {
  /** Path of the `bwrap` program. */
  bwrap: string;
  /** The script skill to run (python, shell, Deno, or an entry with its own shebang). */
  skill: Skill;
  /** The task's fresh working directory: the only writable place besides declared paths. */
  workDir: string;
  /** This machine's system paths and Python (see `probeSandboxHost`). */
  host: SandboxHost;
  /** Path of the `deno` program, for a Deno skill: mounted read-only at the same path. */
  deno?: string;
  /**
   * Size of the tmpfs mounted on `/tmp` and of the one on the working directory (each),
   * in bytes. 0: an unsized `/tmp`, and the working directory bound from the host.
   *
   * @default {0}
   */
  diskBytes?: number;
  /** V8 heap limit of a Deno skill, in MiB (see `denoArgs`). @default {256} */
  denoHeapMiB?: number;
}

/**
 * Whether bubblewrap gives a skill the network. bubblewrap cannot filter by host: a
 * declared host list means the whole network, and is reported as such.
 *
 * @example
 * ```ts
 * import { bwrapSharesNet } from "./bwrap_args.ts";
 * console.assert(bwrapSharesNet({ net: ["127.0.0.1"], read: [], write: [], env: [] }));
 * console.assert(!bwrapSharesNet({ net: [], read: [], write: [], env: [] }));
 * ```
 */
export function bwrapSharesNet(permissions: SkillPermissions): boolean {
  const net = permissions.net;
  return net === true || (Array.isArray(net) && net.length > 0);
}

/**
 * The argv that runs a skill's entry script inside bubblewrap: every namespace
 * unshared (the network too, unless declared), all capabilities dropped, killed with
 * its parent, a new session (no terminal injection), the system directories and the
 * Python installation (or the Deno binary) read-only, a private size-capped `/tmp`,
 * the skill directory read-only, the working directory writable (a size-capped tmpfs
 * when `diskBytes` is set) and current, declared extra paths bound. Nothing else of
 * the host is visible: not the node's data directory, keyring or TLS key, nor `/etc`
 * beyond the dynamic loader's cache. A Deno skill runs `denoArgs` inside, so Deno's
 * permission flags are a second layer.
 *
 * The environment is not on this command line (`--setenv` would show its values to
 * every local user in the process list): bubblewrap passes on its own environment, so
 * spawn it with exactly the skill's environment (`clearEnv`).
 *
 * @param plan The skill, its working directory and the host facts.
 * @returns `[bwrap, ...options, "--", ...command]`.
 * @throws {SwarmError} `execution_failed` when the skill needs a missing Python, or
 * Deno and `plan.deno` is not given, or a declared Deno permission has a comma.
 * @example
 * ```ts
 * import { bwrapArgs } from "./bwrap_args.ts";
 * import type { Skill } from "../skills/types.ts";
 * const skill = {
 *   name: "hello", kind: "script", dir: "/skills/hello", entryPoint: "/skills/hello/scripts/main.sh",
 *   language: "shell", permissions: { net: false, read: [], write: [], env: [] },
 * } as unknown as Skill;
 * const argv = bwrapArgs({
 *   bwrap: "/usr/bin/bwrap", skill, workDir: "/tmp/task-1", diskBytes: 1048576,
 *   host: { systemPaths: [{ path: "/usr" }, { path: "/bin", link: "usr/bin" }], python: null },
 * });
 * console.assert(!argv.includes("--share-net") && !argv.includes("--setenv"));
 * console.assert(argv.slice(-3).join(" ") === "-- /bin/sh /skills/hello/scripts/main.sh");
 * ```
 */
export function bwrapArgs(plan: BwrapPlan): string[] {
  const { bwrap, skill, workDir, host, deno, diskBytes = 0, denoHeapMiB } = plan;
  const command = skill.language === "deno"
    ? denoArgs({ deno: denoProgram(skill, deno), skill, workDir, heapMiB: denoHeapMiB })
    : interpreterArgv(skill, host.python);
  const net = bwrapSharesNet(skill.permissions);
  const args = [bwrap, "--unshare-all"];
  if (net) args.push("--share-net");
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL");

  const wanted = new Set([...BWRAP_SYSTEM_PATHS, ...(net ? BWRAP_NET_PATHS : [])]);
  const mounted: string[] = [];
  for (const { path, link } of host.systemPaths) {
    if (!wanted.has(path)) continue;
    if (link !== undefined && isTopLevel(path)) {
      args.push("--symlink", link, path);
    } else {
      args.push("--ro-bind", path, path);
      mounted.push(path);
    }
  }
  if (skill.language === "python" && host.python) {
    for (const prefix of host.python.prefixes) {
      if (mounted.some((m) => isWithin(prefix, m))) continue;
      args.push("--ro-bind", prefix, prefix);
      mounted.push(prefix);
    }
  }
  args.push("--proc", "/proc", "--dev", "/dev", ...sizedTmpfs(diskBytes, "/tmp"));
  // After the private /tmp, which would hide a binary installed under it.
  if (skill.language === "deno" && !mounted.some((m) => isWithin(command[0], m))) {
    args.push("--ro-bind", command[0], command[0]);
  }
  for (const path of skill.permissions.read) {
    const abs = declaredPath(skill, path);
    args.push("--ro-bind", abs, abs);
  }
  args.push("--ro-bind", skill.dir, skill.dir);
  if (diskBytes > 0) args.push(...sizedTmpfs(diskBytes, workDir));
  else args.push("--bind", workDir, workDir);
  for (const path of skill.permissions.write) {
    const abs = declaredPath(skill, path);
    args.push("--bind", abs, abs);
  }
  args.push("--chdir", workDir, "--", ...command);
  return args;
}

function sizedTmpfs(bytes: number, path: string): string[] {
  return bytes > 0 ? ["--size", String(bytes), "--tmpfs", path] : ["--tmpfs", path];
}

function denoProgram(skill: Skill, deno: string | undefined): string {
  if (deno === undefined) {
    throw new SwarmError(
      "execution_failed",
      `Skill '${skill.name}' cannot run here: Deno was not found to run its script`,
      { skill: skill.name },
    );
  }
  return deno;
}

function isTopLevel(path: string): boolean {
  return path.lastIndexOf("/") === 0;
}

function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}
