/**
 * A background loop with a pause between rounds, as the peer checkers run.
 *
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";

/** A running {@link repeatEvery} loop. */
export interface Repeater {
  /** Stops the loop; a round under way finishes, no new one starts. */
  stop(): void;
}

/**
 * Runs `round` on the next turn of `clock`'s timers, then again `intervalMs` after each
 * round ends (rounds never overlap), until stopped. A round that throws or rejects is
 * ignored (the next one tries again): a background check must never take the node
 * down.
 *
 * @param intervalMs Pause between the end of a round and the start of the next, in
 * milliseconds.
 * @param round One round of work.
 * @param clock The clock whose timers pace the loop. @default {systemClock}
 * @returns The loop, to stop it.
 * @example
 * ```ts
 * import { repeatEvery } from "./repeat_every.ts";
 * let rounds = 0;
 * const loop = repeatEvery(10, () => Promise.resolve(void rounds++));
 * await new Promise((r) => setTimeout(r, 35));
 * loop.stop();
 * console.assert(rounds >= 2);
 * ```
 */
export function repeatEvery(
  intervalMs: number,
  round: () => Promise<void>,
  clock: Clock = systemClock,
): Repeater {
  let stopped = false;
  let timer: TimerHandle | undefined;
  const run = async () => {
    if (stopped) return;
    try {
      await round();
    } catch {
      // Retried next round.
    } finally {
      if (!stopped) timer = clock.setTimeout(run, intervalMs);
    }
  };
  timer = clock.setTimeout(run, 0);
  return {
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
