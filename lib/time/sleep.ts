/**
 * The wait between two attempts (a forward retried, an event stream reconnected),
 * cut short when the work it belongs to is cancelled.
 *
 * @module
 */
import { type Clock, systemClock } from "./clock.ts";

/**
 * Waits `ms` milliseconds of `clock`, or rejects with `signal.reason` as soon as
 * `signal` aborts (at once when it already has). The timer and the abort listener are
 * both removed when either ends the wait, so a long-lived signal collects no listeners.
 *
 * @param ms How long to wait; 0 or less resolves at once.
 * @param signal Cancels the wait.
 * @param clock The clock whose timer waits. @default {systemClock}
 * @returns A promise that resolves after `ms`.
 * @throws {unknown} `signal.reason`, when `signal` aborts first.
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * await sleep(1);
 * const stop = new AbortController();
 * stop.abort(new Error("stopped"));
 * await sleep(60_000, stop.signal).catch((err) => console.assert(err.message === "stopped"));
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
