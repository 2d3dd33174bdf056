/**
 * The resource limits every skill run gets: memory, process count and disk.
 *
 * @module
 */
import { DEFAULT_EXECUTION_POLICY } from "./execution_policy.ts";

/** Resource limits of one skill run. 0 in a field means no limit of that kind. */
export interface SkillLimits {
  /**
   * Most memory the skill and everything it starts may use together, in bytes
   * (anonymous memory, page cache and its tmpfs files). Enforced by a memory cgroup
   * when this machine offers one (the run is killed when it goes over), else by
   * `RLIMIT_AS` for non-Deno skills (allocations fail) and by the V8 heap limit for
   * Deno skills (whose runtime reserves too much address space for `RLIMIT_AS`).
   *
   * @default {536_870_912} (512 MiB)
   */
  memoryBytes: number;
  /**
   * Most processes and threads the run may have at once (a fork bomb stops there: new
   * forks fail). Enforced by a pids cgroup only: `RLIMIT_NPROC` does not bind root and
   * counts every process of the node's user, so it is not used. Threads count: a Deno
   * skill needs a few dozen.
   *
   * @default {256}
   */
  maxProcesses: number;
  /**
   * Most bytes the skill may write: the size of the tmpfs mounted on its working
   * directory and of the one on `/tmp` (each), and the largest file it may grow
   * anywhere (`RLIMIT_FSIZE`, which also covers declared write paths and unsandboxed
   * runs).
   *
   * @default {67_108_864} (64 MiB)
   */
  diskBytes: number;
}

/**
 * The limits a skill run gets when the operator sets none: those of the loopback
 * preset (`executionPolicyOf(DEFAULT_CONFIG).limits`, lib/config).
 */
export const DEFAULT_SKILL_LIMITS: Readonly<SkillLimits> = DEFAULT_EXECUTION_POLICY.limits;

/** The V8 heap (old space) of a Deno skill when no memory limit is set, in MiB. */
export const DEFAULT_DENO_HEAP_MIB = 256;

/**
 * The V8 heap limit of a Deno skill, in MiB: half its memory limit (the rest is the
 * runtime, off-heap buffers and its files), at least 16; {@link DEFAULT_DENO_HEAP_MIB}
 * without a memory limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoHeapMiB } from "./skill_limits.ts";
 * assert.equal(denoHeapMiB(512 * 1024 * 1024), 256);
 * assert.equal(denoHeapMiB(0), 256);
 * ```
 */
export function denoHeapMiB(memoryBytes: number): number {
  if (memoryBytes <= 0) return DEFAULT_DENO_HEAP_MIB;
  return Math.max(16, Math.floor(memoryBytes / (2 * 1024 * 1024)));
}

/**
 * Checks limits given by the operator.
 *
 * @throws {RangeError} When a field is not a non-negative safe integer.
 * @example
 * ```ts
 * import { checkSkillLimits, DEFAULT_SKILL_LIMITS } from "./skill_limits.ts";
 * checkSkillLimits(DEFAULT_SKILL_LIMITS);
 * ```
 */
export function checkSkillLimits(limits: SkillLimits): void {
  for (const key of ["memoryBytes", "maxProcesses", "diskBytes"] as const) {
    const value = limits[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot run skills as '${key}' must be a non-negative integer: it is ${value}`,
      );
    }
  }
}
