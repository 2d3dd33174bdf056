/**
 * The background loop shared by the peer checkers.
 *
 * @module
 */

/** A running {@link repeatEvery} loop. */
export interface Repeater {
  /** Stops the loop; a round under way finishes, no new one starts. */
  stop(): void;
}

/**
 * Runs `round` now, then again `intervalMs` after each round ends, until stopped.
 * A round that throws is ignored (the next one tries again): a background check must
 * never take the node down.
 *
 * @example
 * ```ts
 * import { repeatEvery } from "./_repeat.ts";
 * let rounds = 0;
 * const loop = repeatEvery(10, () => Promise.resolve(void rounds++));
 * await new Promise((r) => setTimeout(r, 35));
 * loop.stop();
 * console.assert(rounds >= 2);
 * ```
 */
export function repeatEvery(intervalMs: number, round: () => Promise<void>): Repeater {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (stopped) return;
    try {
      await round();
    } catch {
      // Retried next round.
    } finally {
      if (!stopped) timer = setTimeout(run, intervalMs);
    }
  };
  timer = setTimeout(run, 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
