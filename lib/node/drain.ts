/**
 * Draining at shutdown: wait for the work in flight to finish, up to a time limit; past
 * it, have the caller cancel that work, then give it a short grace to wind down.
 *
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from "../time/mod.ts";

/** Work a drain waits for: a count, and a promise of the count reaching 0. */
export interface Drainable {
  /** Units of work in flight now. */
  readonly size: number;
  /** Resolves once nothing is in flight (at once when nothing is). */
  idle(): Promise<void>;
}

/** What {@link drain} waits for. */
export interface DrainWork {
  /** Requests being answered (`TaskTracker`): first, all of them end. */
  tracker: Drainable;
  /**
   * Executions running (`Inflight`), including those whose caller went away: they
   * still store their result for a retry. Waited for once `tracker` is idle.
   */
  inflight: Drainable;
}

/** Default {@link DrainOptions.graceMs}. */
export const DEFAULT_DRAIN_GRACE_MS = 2_000;

/** Options of {@link drain}. */
export interface DrainOptions {
  /**
   * Time the work gets to finish on its own, in milliseconds (`--drain-timeout-ms`).
   * 0 gives it none: unless idle already, it is cancelled at once.
   */
  timeoutMs: number;
  /**
   * Time the work gets to wind down once cancelled, in milliseconds: aborted tasks
   * still answer their callers and record their end. 0 waits no further.
   *
   * @default {2000}
   */
  graceMs?: number;
  /**
   * Called once when `timeoutMs` passes with work still in flight: the caller cancels
   * it (aborts the node's shutdown signal) and may log. Not called when the work
   * finished in time.
   */
  onTimeout: () => void;
  /** Whose timers measure the time limits. @default {systemClock} */
  clock?: Clock;
}

/** The outcome of a {@link drain}. */
export interface DrainResult {
  /** Whether all work finished within `timeoutMs`, so nothing was cancelled. */
  drained: boolean;
  /** Units of work in flight when the drain began (tracker and executions). */
  inFlight: number;
}

/**
 * Waits until `work.tracker` and then `work.inflight` are idle, for at most
 * `options.timeoutMs`; when time runs out first, calls `options.onTimeout` and waits up
 * to `options.graceMs` more. Leaves no timer behind.
 *
 * @param work What is in flight.
 * @param options Time limits, the cancelling callback and the clock.
 * @returns Whether the work drained in time, and how much there was.
 * @throws {RangeError} When `timeoutMs` or `graceMs` is negative or not finite.
 * @example
 * ```ts
 * import { drain } from "./drain.ts";
 * import { TaskTracker } from "../http/task_tracker.ts";
 * import { Inflight } from "../http/inflight.ts";
 * const tracker = new TaskTracker();
 * tracker.begin("t1");
 * setTimeout(() => tracker.end("t1"), 5);
 * const result = await drain({ tracker, inflight: new Inflight() }, {
 *   timeoutMs: 10_000,
 *   onTimeout: () => console.assert(false, "drained in time"),
 * });
 * console.assert(result.drained && result.inFlight === 1);
 * ```
 */
export async function drain(work: DrainWork, options: DrainOptions): Promise<DrainResult> {
  const { timeoutMs, graceMs = DEFAULT_DRAIN_GRACE_MS, onTimeout, clock = systemClock } = options;
  for (const [name, value] of [["timeoutMs", timeoutMs], ["graceMs", graceMs]] as const) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot drain as '${name}' must be a non-negative number: current value is ${value}`,
      );
    }
  }
  const inFlight = work.tracker.size + work.inflight.size;
  const idle = async () => {
    await work.tracker.idle();
    await work.inflight.idle();
  };
  const drained = await within(idle(), timeoutMs, clock);
  if (!drained) {
    onTimeout();
    await within(idle(), graceMs, clock);
  }
  return { drained, inFlight };
}

/** Whether `done` settles within `ms` of `clock`; its timer is cleared either way. */
async function within(done: Promise<void>, ms: number, clock: Clock): Promise<boolean> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([done.then(() => true), timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}
