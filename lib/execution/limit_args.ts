/**
 * The command-line prefix that puts a skill run under its resource limits before
 * anything of it starts.
 *
 * @module
 */
import { SHELL } from "./interpreter.ts";
import type { SkillLimits } from "./skill_limits.ts";

/**
 * The shell script that moves itself into each cgroup named before `--` and then
 * becomes the rest of the command line: the limits hold from the first instruction
 * of the sandbox on, with no window for a fork to escape them. It unsets the `PWD`
 * the shell adds, so the skill's environment stays exactly the one given.
 */
export const CGROUP_JOIN_SCRIPT: string =
  'while [ $# -gt 0 ] && [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; ' +
  'unset PWD OLDPWD; exec "$@"';

/** Exit code of {@link CGROUP_JOIN_SCRIPT} when it cannot join a cgroup. */
export const LIMITS_FAILED_EXIT = 125;

/**
 * How far `RLIMIT_FSIZE` lies above the disk limit: a sandbox's tmpfs fills first, so
 * the skill sees "No space left on device" (which it reports) rather than a silent
 * `SIGXFSZ`; a declared write path or an unsandboxed run still stops at the file limit.
 */
export const FSIZE_MARGIN_BYTES = 1024 * 1024;

/** Everything {@link limitArgs} needs. */
export interface LimitPlan {
  /** The run's limits. */
  limits: SkillLimits;
  /** Path of `prlimit` (util-linux), or `null` when this machine has none. */
  prlimit: string | null;
  /** `cgroup.procs` files of the run's own cgroups; empty when cgroups are not used. */
  cgroupProcs: string[];
  /** The limits those cgroups enforce. */
  cgroupCovers: { memory: boolean; processes: boolean };
  /** The run is a Deno program (its runtime reserves too much address space for `RLIMIT_AS`). */
  deno: boolean;
}

/**
 * The argv prefix of a limited run: first {@link CGROUP_JOIN_SCRIPT} joining the run's
 * cgroups (memory, pids), then `prlimit` with no core dumps, `RLIMIT_FSIZE` just
 * above the disk limit ({@link FSIZE_MARGIN_BYTES}) and, only when no memory cgroup holds the run and it is not Deno,
 * `RLIMIT_AS` at the memory limit. Empty when there is nothing to apply.
 *
 * @param plan The limits and the means this machine has.
 * @returns Program and arguments to put before the sandbox's own argv.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitArgs } from "./limit_args.ts";
 * const argv = limitArgs({
 *   limits: { memoryBytes: 1024, maxProcesses: 8, diskBytes: 4096 },
 *   prlimit: "/usr/bin/prlimit",
 *   cgroupProcs: [],
 *   cgroupCovers: { memory: false, processes: false },
 *   deno: false,
 * });
 * assert.deepEqual(argv, ["/usr/bin/prlimit", "--core=0", "--fsize=1052672", "--as=1024", "--"]);
 * ```
 */
export function limitArgs(plan: LimitPlan): string[] {
  const { limits, prlimit, cgroupProcs, cgroupCovers, deno } = plan;
  const argv: string[] = [];
  if (cgroupProcs.length > 0) {
    argv.push(SHELL, "-c", CGROUP_JOIN_SCRIPT, "swarm-limits", ...cgroupProcs, "--");
  }
  if (prlimit !== null) {
    argv.push(prlimit, "--core=0");
    if (limits.diskBytes > 0) argv.push(`--fsize=${limits.diskBytes + FSIZE_MARGIN_BYTES}`);
    if (limits.memoryBytes > 0 && !cgroupCovers.memory && !deno) {
      argv.push(`--as=${limits.memoryBytes}`);
    }
    argv.push("--");
  }
  return argv;
}
