/**
 * A {@link Clock} for tests: time stands still until the test advances it, and timers
 * fire only then, in due-time order, with promises settling between them.
 *
 * @module
 */
import type { Clock, TimerHandle } from "../../lib/time/clock.ts";

interface Timer {
  atMs: number;
  callback: () => void;
}

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /** The time the clock starts at, in epoch milliseconds. @default {0} */
  startMs?: number;
  /**
   * Microtask turns {@link FakeClock.flush} yields: promise chains up to about this many
   * steps long settle between two timers. Work waiting on real I/O (Deno KV, sockets)
   * does not: the test awaits it.
   *
   * @default {100}
   */
  flushTurns?: number;
}

/** Most timers one {@link FakeClock.advance} fires before it reports a runaway loop. */
const MAX_TIMERS_PER_ADVANCE = 100_000;

/**
 * A clock whose time moves only when {@link FakeClock.advance} moves it.
 *
 * @example
 * ```ts
 * import { FakeClock } from "./fake_clock.ts";
 * const clock = new FakeClock({ startMs: 1_000 });
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now()), 50);
 * await clock.advance(49);
 * console.assert(fired.length === 0);
 * await clock.advance(1);
 * console.assert(fired[0] === 1_050 && clock.now() === 1_050);
 * ```
 */
export class FakeClock implements Clock {
  #nowMs: number;
  #next = 1;
  readonly #timers = new Map<TimerHandle, Timer>();
  readonly #flushTurns: number;

  /** A clock at `startMs` with no timer. */
  constructor(options: FakeClockOptions = {}) {
    const { startMs = 0, flushTurns = 100 } = options;
    this.#nowMs = startMs;
    this.#flushTurns = flushTurns;
  }

  /** The fake time, in epoch milliseconds. */
  now(): number {
    return this.#nowMs;
  }

  /** Schedules `callback` at `now() + max(delayMs, 0)`. */
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = this.#next++;
    this.#timers.set(handle, { atMs: this.#nowMs + Math.max(0, delayMs || 0), callback });
    return handle;
  }

  /** Cancels a pending timer; other handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#timers.delete(handle);
  }

  /** Number of timers scheduled that have neither fired nor been cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Due time of the earliest pending timer, or undefined when none is pending. */
  nextAtMs(): number | undefined {
    return this.#due(Infinity)?.[1].atMs;
  }

  /**
   * Lets promise chains settle: yields {@link FakeClockOptions.flushTurns} microtask
   * turns, firing no timer.
   */
  async flush(): Promise<void> {
    for (let i = 0; i < this.#flushTurns; i++) await Promise.resolve();
  }

  /**
   * Moves time forward by `ms`: settles pending promises, then fires every timer due
   * by then (also those scheduled meanwhile) one at a time in due-time order (ties in
   * scheduling order), with the time set to each timer's due time and promises settled
   * after each, and ends at `now() + ms`. A callback that throws does not stop the
   * others; the first error is thrown once time has moved.
   *
   * @param ms How far to move, in milliseconds; 0 fires only timers already due.
   * @throws {RangeError} When `ms` is negative or not finite.
   * @throws {Error} When timers keep scheduling timers due before the target.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(
        `Cannot advance the clock as 'ms' must be a non-negative number: current value is ${ms}`,
      );
    }
    const target = this.#nowMs + ms;
    const errors: unknown[] = [];
    await this.flush();
    for (let fired = 0;; fired++) {
      const due = this.#due(target);
      if (!due) break;
      if (fired >= MAX_TIMERS_PER_ADVANCE) {
        throw new Error(`Cannot advance the clock: over ${fired} timers fired, a runaway loop`);
      }
      const [handle, timer] = due;
      this.#timers.delete(handle);
      this.#nowMs = Math.max(this.#nowMs, timer.atMs);
      try {
        timer.callback();
      } catch (err) {
        errors.push(err);
      }
      await this.flush();
    }
    this.#nowMs = target;
    await this.flush();
    if (errors.length > 0) throw errors[0];
  }

  /** The earliest timer due at or before `limitMs` (handles grow, so ties keep order). */
  #due(limitMs: number): [TimerHandle, Timer] | undefined {
    let best: [TimerHandle, Timer] | undefined;
    for (const entry of this.#timers) {
      if (entry[1].atMs <= limitMs && (!best || entry[1].atMs < best[1].atMs)) best = entry;
    }
    return best;
  }
}
