/**
 * The supervisor's stop sequence, apart from signals and the worker: say goodbye on
 * mDNS, ask the network worker to stop (it drains), and wait for it — until a second
 * signal forces the stop, or the drain timeout plus a margin has passed — then choose
 * the exit code.
 *
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from "../time/mod.ts";

/**
 * Default {@link StopSequenceOptions.marginMs}: time beyond the drain timeout the
 * worker gets to close its server and store, in milliseconds.
 */
export const STOP_MARGIN_MS = 5_000;

/**
 * How the wait for the worker ended: it reported `stopped` (or exited), a second
 * signal `forced` the stop, or the drain timeout plus margin `timed_out`.
 */
export type StopOutcome = "stopped" | "forced" | "timed_out";

/** The node being stopped, as the stop sequence drives it. */
export interface StoppingNode {
  /**
   * Withdraws the node from mDNS (the goodbye packets), so peers stop sending new work
   * while in-flight tasks drain; `undefined` when there is nothing to withdraw.
   */
  goodbye(): Promise<void> | undefined;
  /** Asks the network worker to drain and stop. */
  stop(): void;
  /** Resolves once the worker reported it stopped, or exited. */
  stopped: Promise<void>;
  /** Resolves on a second stop signal: stop now, without draining. */
  forced: Promise<void>;
}

/** Options of {@link stopSequence}. */
export interface StopSequenceOptions {
  /** The worker's drain timeout, in milliseconds (`--drain-timeout-ms`). */
  drainTimeoutMs: number;
  /**
   * Time the worker gets beyond `drainTimeoutMs` to close its server and store, in
   * milliseconds.
   *
   * @default {STOP_MARGIN_MS}
   */
  marginMs?: number;
  /**
   * Whether the stop began because the worker exited on its own (a crash) rather than
   * on a signal: the exit code then says so.
   *
   * @default {false}
   */
  workerExited?: boolean;
  /** Whose timer measures the wait. @default {systemClock} */
  clock?: Clock;
}

/** The outcome of a {@link stopSequence}. */
export interface StopSequenceResult {
  /** How the wait for the worker ended. */
  outcome: StopOutcome;
  /** The process's exit code (see {@link stopExitCode}). */
  exitCode: 0 | 1;
}

/**
 * The exit code of a stopped node: 1 when the worker exited on its own or a second
 * signal cut the drain short, else 0 (a worker that outlived its drain time limit is
 * terminated, which still counts as a requested stop).
 *
 * @param workerExited Whether the worker exited on its own.
 * @param outcome How the wait for the worker ended.
 * @returns 0 or 1.
 * @example
 * ```ts
 * import { stopExitCode } from "./stop_sequence.ts";
 * console.assert(stopExitCode(false, "stopped") === 0);
 * console.assert(stopExitCode(false, "forced") === 1);
 * console.assert(stopExitCode(true, "stopped") === 1);
 * ```
 */
export function stopExitCode(workerExited: boolean, outcome: StopOutcome): 0 | 1 {
  return workerExited || outcome === "forced" ? 1 : 0;
}

/**
 * Stops `node`: waits for its goodbye (cut short by a second signal), asks it to stop,
 * then waits until it stopped, a second signal forces the stop, or
 * `drainTimeoutMs + marginMs` passed, whichever comes first. Leaves no timer behind; the
 * caller terminates the worker afterwards.
 *
 * @param node The node's goodbye, stop request, and the two promises raced.
 * @param options Time limits, why the stop began, and the clock.
 * @returns How the wait ended and the exit code.
 * @throws {RangeError} When `drainTimeoutMs` or `marginMs` is negative or not finite.
 * @example
 * ```ts
 * import { stopSequence } from "./stop_sequence.ts";
 * const stopped = Promise.withResolvers<void>();
 * const result = await stopSequence({
 *   goodbye: () => undefined,
 *   stop: () => stopped.resolve(),
 *   stopped: stopped.promise,
 *   forced: new Promise(() => {}),
 * }, { drainTimeoutMs: 30_000 });
 * console.assert(result.outcome === "stopped" && result.exitCode === 0);
 * ```
 */
export async function stopSequence(
  node: StoppingNode,
  options: StopSequenceOptions,
): Promise<StopSequenceResult> {
  const {
    drainTimeoutMs,
    marginMs = STOP_MARGIN_MS,
    workerExited = false,
    clock = systemClock,
  } = options;
  const limits = [["drainTimeoutMs", drainTimeoutMs], ["marginMs", marginMs]] as const;
  for (const [name, value] of limits) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(
        `Cannot stop the node as '${name}' must be a non-negative number: current value is ${value}`,
      );
    }
  }
  await Promise.race([node.goodbye(), node.forced]);
  node.stop();
  let timer: TimerHandle | undefined;
  const timedOut = new Promise<StopOutcome>((resolve) => {
    timer = clock.setTimeout(() => resolve("timed_out"), drainTimeoutMs + marginMs);
  });
  try {
    // Listed first, a worker that already stopped wins over a second signal.
    const outcome = await Promise.race([
      node.stopped.then((): StopOutcome => "stopped"),
      node.forced.then((): StopOutcome => "forced"),
      timedOut,
    ]);
    return { outcome, exitCode: stopExitCode(workerExited, outcome) };
  } finally {
    clock.clearTimeout(timer);
  }
}
