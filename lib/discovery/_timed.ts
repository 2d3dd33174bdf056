/**
 * Timing of one cached record: expiry, and the refresh queries of RFC 6762 §5.2
 * (at 80, 85, 90 and 95 % of the TTL).
 *
 * @module
 */

/** Fractions of the TTL at which a record still wanted is queried again. */
export const REFRESH_FRACTIONS: readonly number[] = [0.8, 0.85, 0.9, 0.95];

/** When a cached record was received and when it lapses. */
export interface Timed {
  /** TTL honoured, in seconds (after capping). */
  ttlS: number;
  /** When the record was last received, in epoch milliseconds. */
  receivedMs: number;
  /** When it lapses: `receivedMs + ttlS * 1000`. */
  expiresMs: number;
  /** Index into {@link REFRESH_FRACTIONS} of the next refresh query; past the end: none left. */
  refreshStep: number;
}

/** A record received at `nowMs` with TTL `ttlS`. */
export function timed(ttlS: number, nowMs: number): Timed {
  return { ttlS, receivedMs: nowMs, expiresMs: nowMs + ttlS * 1000, refreshStep: 0 };
}

/** When the next refresh query of `t` is due, or null when none is left. */
export function refreshDueMs(t: Timed): number | null {
  const fraction = REFRESH_FRACTIONS[t.refreshStep];
  return fraction === undefined ? null : t.receivedMs + Math.ceil(t.ttlS * 1000 * fraction);
}

/** Whether a refresh query of `t` is due at `nowMs`; if so, moves past every mark reached. */
export function takeRefresh(t: Timed, nowMs: number): boolean {
  let due = false;
  for (let at = refreshDueMs(t); at !== null && at <= nowMs; at = refreshDueMs(t)) {
    due = true;
    t.refreshStep++;
  }
  return due && nowMs < t.expiresMs;
}
