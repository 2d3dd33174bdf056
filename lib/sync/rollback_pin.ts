/**
 * `swarm skill rollback NAME` as the rules see it: a pin of the release installed
 * before the current one.
 *
 * @module
 */
import type { InstallRecord } from "./release_store.ts";
import type { Pin } from "./types.ts";

/**
 * The pin that rolls `name` back: by fingerprint, of the latest entry of its install
 * history whose fingerprint differs from the current (last) entry's. Rolling back twice
 * therefore returns to where it started, as the release store's `rollback` does.
 *
 * @param name The skill's name.
 * @param history The name's install history, oldest first (`ReleaseStore.history`).
 * @returns The pin, or null when no other release was installed before.
 *
 * @example
 * ```ts
 * import { rollbackPin } from "./rollback_pin.ts";
 * const history = [
 *   { fingerprint: "f1", version: "1.0.0", activated: "2026-12-01T00:00:00.000Z" },
 *   { fingerprint: "f2", version: "1.1.0", activated: "2026-12-02T00:00:00.000Z" },
 * ];
 * const pin = rollbackPin("calc", history);
 * console.assert(pin !== null && "fingerprint" in pin && pin.fingerprint === "f1");
 * ```
 */
export function rollbackPin(name: string, history: readonly InstallRecord[]): Pin | null {
  const current = history.at(-1);
  if (current === undefined) return null;
  for (let i = history.length - 2; i >= 0; i--) {
    if (history[i].fingerprint !== current.fingerprint) {
      return { name, fingerprint: history[i].fingerprint };
    }
  }
  return null;
}
