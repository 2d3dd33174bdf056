/**
 * Which resource limit stopped a skill run, and how to say so in its answer.
 *
 * @module
 */
import type { CgroupHits } from "./cgroups.ts";
import type { ProcessRun } from "./run_process.ts";
import type { SkillLimits } from "./skill_limits.ts";

/** The limits a run ran into. */
export interface LimitHits {
  /** It went over its memory limit. */
  memory: boolean;
  /** It tried to have more processes or threads than allowed. */
  processes: boolean;
  /** It wrote more than its disk limit. */
  disk: boolean;
}

/** What {@link limitHits} knows about how the limits were enforced. */
export interface LimitContext {
  /** The memory cgroup enforced the memory limit (else `RLIMIT_AS` or the V8 heap did). */
  memoryByCgroup: boolean;
}

const MEMORY_ERRORS =
  /MemoryError|Cannot allocate memory|out of memory|Reached heap limit|Allocation failed/i;
const DISK_ERRORS = /No space left on device|File too large|os error 28|Errno 28|Errno 27/i;

/**
 * Which limits a finished run ran into: the cgroups' counters when the run had
 * cgroups (out-of-memory kills, refused forks); otherwise, only for a run that
 * failed, the errors its runtime prints at an `RLIMIT_AS` or V8 heap limit. A run
 * killed by `SIGXFSZ` (a file reached `RLIMIT_FSIZE`), or whose stderr reports "No space
 * left on device"/"File too large" (its tmpfs is full) even if it went on, hit the
 * disk limit.
 *
 * @param run How the process ended.
 * @param cgroup What the run's cgroups counted, or `null` without cgroups.
 * @param context How the memory limit was enforced.
 * @returns The limits hit.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitHits } from "./limit_hits.ts";
 * const run = {
 *   exitCode: 1, signal: null, stdout: "", stderr: "OSError: [Errno 28] No space left on device",
 *   timedOut: false, truncated: false, aborted: false, durationMs: 10,
 * };
 * const hits = limitHits(run, { memory: false, processes: false }, { memoryByCgroup: true });
 * assert.deepEqual(hits, { memory: false, processes: false, disk: true });
 * ```
 */
export function limitHits(
  run: ProcessRun,
  cgroup: CgroupHits | null,
  context: LimitContext,
): LimitHits {
  const failed = run.exitCode !== 0 || run.signal !== null;
  const memory = (cgroup?.memory ?? false) ||
    (failed && !context.memoryByCgroup && MEMORY_ERRORS.test(run.stderr)) ||
    (failed && /Reached heap limit|JavaScript heap out of memory/.test(run.stderr));
  // 153 = 128 + SIGXFSZ: how bubblewrap and shells report a child killed by it.
  const disk = run.signal === "SIGXFSZ" || run.exitCode === 153 || DISK_ERRORS.test(run.stderr);
  return { memory, processes: cgroup?.processes ?? false, disk };
}

/**
 * The sentence an answer gives for the limits hit, naming each limit and its value;
 * `undefined` when none was hit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitReason } from "./limit_hits.ts";
 * const why = limitReason(
 *   { memory: true, processes: false, disk: false },
 *   { memoryBytes: 1048576, maxProcesses: 8, diskBytes: 4096 },
 * );
 * assert.match(why!, /^Memory limit exceeded/);
 * ```
 */
export function limitReason(hits: LimitHits, limits: SkillLimits): string | undefined {
  const reasons: string[] = [];
  if (hits.memory) {
    reasons.push(
      `Memory limit exceeded: the skill may use at most ${limits.memoryBytes} bytes and was stopped`,
    );
  }
  if (hits.processes) {
    reasons.push(
      `Process limit reached: the skill may run at most ${limits.maxProcesses} processes and threads at once`,
    );
  }
  if (hits.disk) {
    reasons.push(`Disk limit exceeded: the skill may write at most ${limits.diskBytes} bytes`);
  }
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}
