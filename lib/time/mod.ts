/**
 * Time as an injected dependency: the {@link Clock} interface (the time now and
 * one-shot timers), the real {@link systemClock}, and what is built on a clock — an
 * abortable {@link sleep} and the {@link repeatEvery} background loop. Code that waits
 * or measures takes a `Clock`, so tests drive it with a fake one instead of sleeping.
 *
 * @example
 * ```ts
 * import { repeatEvery, sleep, systemClock } from "./mod.ts";
 * const started = systemClock.now();
 * await sleep(5, undefined, systemClock);
 * console.assert(systemClock.now() - started >= 4);
 * let rounds = 0;
 * const loop = repeatEvery(1, () => Promise.resolve(void rounds++));
 * await sleep(20);
 * loop.stop();
 * console.assert(rounds >= 1);
 * ```
 *
 * @module
 */
export * from "./clock.ts";
export * from "./sleep.ts";
export * from "./repeat_every.ts";
