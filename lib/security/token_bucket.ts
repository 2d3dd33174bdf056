/**
 * Per-client token buckets with bounded memory: the pure part of rate limiting.
 *
 * @module
 */

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /**
   * Tokens each client regains per second: its sustained request rate. Fractions are
   * fine (`0.5` = one request every two seconds). `0` disables limiting: every
   * {@linkcode RateLimiter.take} is allowed and nothing is stored.
   */
  ratePerSecond: number;
  /**
   * Size of each bucket: how many requests a client that has been quiet may send at
   * once. At least 1 when limiting is enabled.
   */
  burst: number;
  /**
   * Most clients tracked at once. When full, a new client first evicts buckets that
   * have refilled to `burst` (they carry no information), then the least recently
   * used: a flood of new keys costs old clients at most a fresh burst, never memory.
   *
   * @default {10_000}
   */
  maxClients?: number;
  /** The clock, in milliseconds. Tests pass a fake one. @default {Date.now} */
  now?: () => number;
}

/** What {@linkcode RateLimiter.take} decided. */
export type TakeResult =
  | {
    /** The request may go ahead; one token was spent. */
    allowed: true;
  }
  | {
    /** The request must be refused; no token was spent. */
    allowed: false;
    /** Milliseconds until a token is available again (at least 1). */
    retryAfterMs: number;
  };

interface Bucket {
  /** Tokens left at `atMs`. */
  tokens: number;
  /** When `tokens` was last brought up to date. */
  atMs: number;
}

/**
 * Float rounding (e.g. `0.1 * 3`) must not turn "exactly one token" into a refusal, nor
 * make a caller who waited exactly `retryAfterMs` be refused again.
 */
const EPSILON = 1e-9;

/**
 * How often, at most, a full table is swept for refilled buckets. Sweeping is O(n):
 * without this bound a flood of new keys against busy clients would sweep on every
 * request. Between sweeps a new key evicts the least recently used bucket.
 */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * A token bucket per key (client): each key may take `burst` tokens at once and
 * regains `ratePerSecond` tokens a second, up to `burst`. Pure bookkeeping over an
 * injected clock; it never starts a timer.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./token_bucket.ts";
 * let now = 0;
 * const limiter = new RateLimiter({ ratePerSecond: 2, burst: 1, now: () => now });
 * console.assert(limiter.take("alice").allowed);
 * const refused = limiter.take("alice");
 * console.assert(!refused.allowed && refused.retryAfterMs === 500);
 * now = 500;
 * console.assert(limiter.take("alice").allowed);
 * ```
 */
export class RateLimiter {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  /** Buckets in least-recently-used order: a Map iterates in insertion order. */
  readonly #buckets = new Map<string, Bucket>();
  #lastSweepMs = -Infinity;

  /**
   * Creates a limiter with no clients.
   *
   * @param options Rate, burst, memory bound and clock.
   * @throws {RangeError} When `ratePerSecond` is negative or not finite, `burst` is
   * below 1 while limiting is enabled, or `maxClients` is not a positive integer.
   */
  constructor(options: RateLimiterOptions) {
    const { ratePerSecond, burst, maxClients = 10_000, now = Date.now } = options;
    if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) {
      throw new RangeError(
        `Cannot create a rate limiter as 'ratePerSecond' must be a finite number >= 0: it is ${ratePerSecond}`,
      );
    }
    if (ratePerSecond > 0 && !(Number.isFinite(burst) && burst >= 1)) {
      throw new RangeError(
        `Cannot create a rate limiter as 'burst' must be a finite number >= 1: it is ${burst}`,
      );
    }
    if (!Number.isSafeInteger(maxClients) || maxClients < 1) {
      throw new RangeError(
        `Cannot create a rate limiter as 'maxClients' must be a positive integer: it is ${maxClients}`,
      );
    }
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#maxClients = maxClients;
    this.#now = now;
  }

  /** Whether limiting is on (`ratePerSecond` > 0). */
  get enabled(): boolean {
    return this.#ratePerMs > 0;
  }

  /** Number of clients currently tracked; never more than `maxClients`. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Spends one of `key`'s tokens if it has one.
   *
   * @param key Who is asking: a subject or an address, never a secret (callers log it).
   * @returns `{ allowed: true }`, or `{ allowed: false, retryAfterMs }` when the bucket
   * is empty.
   */
  take(key: string): TakeResult {
    if (!this.enabled) return { allowed: true };
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key); // re-inserted below: now the most recently used
      this.#refill(bucket, now);
    } else {
      this.#makeRoom(now);
      bucket = { tokens: this.#burst, atMs: now };
    }
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1 - EPSILON) {
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return { allowed: true };
    }
    const retryAfterMs = Math.max(1, Math.ceil((1 - EPSILON - bucket.tokens) / this.#ratePerMs));
    return { allowed: false, retryAfterMs };
  }

  #refill(bucket: Bucket, now: number): void {
    // A clock that steps back refills nothing, and does not refill twice later.
    if (now <= bucket.atMs) return;
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.atMs) * this.#ratePerMs);
    bucket.atMs = now;
  }

  #isFull(bucket: Bucket, now: number): boolean {
    const elapsed = Math.max(0, now - bucket.atMs);
    return bucket.tokens + elapsed * this.#ratePerMs >= this.#burst - EPSILON;
  }

  /** Frees one slot for a new key when the table is full. */
  #makeRoom(now: number): void {
    if (this.#buckets.size < this.#maxClients) return;
    if (now - this.#lastSweepMs >= SWEEP_INTERVAL_MS) {
      this.#lastSweepMs = now;
      for (const [key, bucket] of this.#buckets) {
        if (this.#isFull(bucket, now)) this.#buckets.delete(key);
      }
    }
    if (this.#buckets.size < this.#maxClients) return;
    // Least recently used first: the Map's first key.
    const oldest = this.#buckets.keys().next();
    if (!oldest.done) this.#buckets.delete(oldest.value);
  }
}
