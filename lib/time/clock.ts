/**
 * The clock every timing decision reads: the time now and one-shot timers, behind one
 * small interface so that tests drive time with a fake clock instead of sleeping.
 *
 * @module
 */

/**
 * A timer started by {@link Clock.setTimeout}: an opaque number, only ever handed back
 * to {@link Clock.clearTimeout} of the same clock.
 */
export type TimerHandle = number;

/**
 * Where time comes from. Code that reads the time or waits takes a `Clock` (default
 * {@link systemClock}) instead of calling `Date.now` or the global timers, so that a
 * fake clock (see `tests/_helpers/fake_clock.ts`) can drive it.
 *
 * Concurrency contract: callbacks run one at a time on the event loop, never inside
 * the `setTimeout` call that scheduled them, in due-time order (ties in scheduling
 * order). A callback that throws does not stop other timers.
 */
export interface Clock {
  /**
   * The current time, in milliseconds since the Unix epoch. It may jump (the system
   * clock is adjusted) and is not guaranteed to increase: code measuring durations
   * clamps negative ones.
   */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` milliseconds from now (at once, on a later turn
   * of the event loop, when `delayMs` is 0 or less).
   *
   * @param callback What to call.
   * @param delayMs Delay in milliseconds.
   * @returns A handle for {@link Clock.clearTimeout}.
   */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /**
   * Cancels a timer of this clock that has not fired yet. A handle that fired or was
   * already cleared, or `undefined`, is ignored.
   *
   * @param handle The handle {@link Clock.setTimeout} returned.
   */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * The real clock: `Date.now()` and the global timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const fired = Promise.withResolvers<number>();
 * const before = systemClock.now();
 * systemClock.setTimeout(() => fired.resolve(systemClock.now()), 5);
 * console.assert((await fired.promise) >= before);
 * systemClock.clearTimeout(systemClock.setTimeout(() => {
 *   throw new Error("cleared timers never fire");
 * }, 60_000));
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, delayMs: number): TimerHandle =>
    setTimeout(callback, delayMs) as unknown as TimerHandle,
  clearTimeout: (handle: TimerHandle | undefined): void => clearTimeout(handle),
});
