/**
 * When and how soon a failed forward is tried again: the retry policy, its backoff
 * with jitter, and the classification of forwarding failures into retryable (the peer
 * never started the task) and final (it may have, or the request itself is wrong).
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { DEFAULT_CONFIG, retryPolicyOf } from "../config/mod.ts";

/**
 * How a task's forwards are retried on the next candidate. Validate it once at
 * start-up with {@link validateRetryPolicy}.
 */
export interface RetryPolicy {
  /**
   * Forward attempts in total for one task, the first included, counted across its
   * candidates (a retry goes to the next candidate). More attempts ride out more crashed
   * or overloaded peers, at the cost of more load on a struggling mesh and a longer
   * wait before the caller hears of a failure; the task's deadline bounds them all
   * anyway. 1 means never retry; 0 is refused.
   *
   * @default {3}
   */
  maxAttempts: number;
  /**
   * Delay before the first retry, in milliseconds, before jitter; it doubles with
   * every further retry. A longer delay gives a restarting or overloaded peer time to
   * recover; a shorter one answers sooner when the next candidate is healthy. 0 means
   * retry at once (no backoff at all).
   *
   * @default {100}
   */
  baseDelayMs: number;
  /**
   * Largest delay between two attempts, in milliseconds, before jitter; it also caps
   * how long a peer's `Retry-After` can make the router wait. Must not be below
   * `baseDelayMs`. 0 (with `baseDelayMs` 0) means never wait.
   *
   * @default {2000}
   */
  maxDelayMs: number;
  /**
   * Fraction of each delay that is randomised, from 0 to 1: the delay is scaled by a
   * random factor between `1 - jitter` and 1. Jitter spreads the retries of many
   * routers that failed at the same moment so they do not hit the next peer in step;
   * it makes each single delay less predictable. 0 means exact delays; 1 means "full
   * jitter" (anywhere between 0 and the delay).
   *
   * @default {0.5}
   */
  jitter: number;
}

/**
 * The defaults, `retryPolicyOf(DEFAULT_CONFIG)` (lib/config): three attempts, 100 ms
 * doubling up to 2 s, half of each delay random. With the defaults a task waits at most
 * 0.1 s + 0.2 s between its three attempts.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze(
  retryPolicyOf(DEFAULT_CONFIG),
);

function refuse(field: string, rule: string, value: unknown): never {
  throw new RangeError(
    `Cannot use retry policy as '${field}' must be ${rule}: current value is ${value}`,
  );
}

/**
 * Checks every field of a retry policy and returns it unchanged.
 *
 * @param policy The policy to check.
 * @returns The same policy.
 * @throws {RangeError} When `maxAttempts` is not a positive integer, a delay is
 * negative or not finite, `maxDelayMs` is below `baseDelayMs`, or `jitter` is outside
 * 0..1.
 * @example
 * ```ts
 * import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from "./retry_policy.ts";
 * validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 5 });
 * try {
 *   validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 0 });
 * } catch (err) {
 *   console.assert(err instanceof RangeError);
 * }
 * ```
 */
export function validateRetryPolicy<T extends RetryPolicy>(policy: T): T {
  const { maxAttempts, baseDelayMs, maxDelayMs, jitter } = policy;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    refuse("maxAttempts", "a positive integer", maxAttempts);
  }
  if (!Number.isFinite(baseDelayMs) || baseDelayMs < 0) {
    refuse("baseDelayMs", "a non-negative number", baseDelayMs);
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0) {
    refuse("maxDelayMs", "a non-negative number", maxDelayMs);
  }
  if (maxDelayMs < baseDelayMs) {
    refuse("maxDelayMs", `at least 'baseDelayMs' (${baseDelayMs})`, maxDelayMs);
  }
  if (!(jitter >= 0 && jitter <= 1)) refuse("jitter", "between 0 and 1", jitter);
  return policy;
}

/**
 * The delay before a retry, in whole milliseconds: `baseDelayMs * 2^(retry - 1)`
 * capped at `maxDelayMs`, then scaled by `1 - jitter + jitter * random()`.
 *
 * @param retry Which retry this is: 1 for the first retry (the second attempt).
 * @param policy The retry policy.
 * @param random Source of uniform numbers in [0, 1).
 * @returns The delay in milliseconds.
 * @throws {RangeError} When `retry` is not a positive integer.
 * @example
 * ```ts
 * import { backoffDelayMs, DEFAULT_RETRY_POLICY } from "./retry_policy.ts";
 * const policy = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
 * console.assert(backoffDelayMs(1, policy) === 100);
 * console.assert(backoffDelayMs(3, policy) === 400);
 * console.assert(backoffDelayMs(10, policy) === 2000);
 * ```
 */
export function backoffDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (!Number.isSafeInteger(retry) || retry < 1) {
    throw new RangeError(
      `Cannot compute backoff as 'retry' must be a positive integer: current value is ${retry}`,
    );
  }
  const { baseDelayMs, maxDelayMs, jitter } = policy;
  // 2 ** 1023 is the largest finite power; beyond it base * 2^n is Infinity, or NaN for a 0 base.
  const exponential = baseDelayMs * 2 ** Math.min(retry - 1, 1023);
  const capped = Math.min(maxDelayMs, exponential);
  return Math.round(capped * (1 - jitter + jitter * random()));
}

/** Codes a peer answers with when it refused the task before starting it. */
const NOT_STARTED_CODES: ReadonlySet<string> = new Set([
  "not_ready",
  "draining",
  "overloaded",
  "rate_limited",
  "no_match",
  "local_executor_not_configured",
  "loop_detected",
  "hop_limit_exceeded",
]);

/**
 * Codes of answers after which the task may have run at the peer, whatever the status
 * they come with: its skill failed, it broke mid-task, or a peer further on answered
 * something that may have been a result (`bad_peer_response` relayed by the peer).
 */
const MAY_HAVE_RUN_CODES: ReadonlySet<string> = new Set([
  "execution_failed",
  "internal",
  "bad_peer_response",
]);

/** 5xx statuses that, without swarm's JSON, say the request was not handled. */
const NOT_HANDLED_5XX: ReadonlySet<number> = new Set([501, 502, 503, 504, 505, 508]);

/**
 * Reasons of a `bad_peer_response` for a complete 2xx answer that no working node sends
 * (swarm and SkillLite nodes both serialise a checked result): it came from something
 * that is not a working node, a hostile peer or a proxy that never passed the task on.
 */
const GARBAGE_REASONS: ReadonlySet<unknown> = new Set([
  "invalid_json",
  "invalid_result",
  "invalid_event",
]);

/**
 * Whether a forwarding failure may be retried on another candidate: only when the
 * peer surely did not start the task, when its answer could not come from a working
 * node, or when its time ran out.
 *
 * Retried:
 * - no HTTP answer (`peer_unreachable` without `details.status`: connection refused
 *   or reset, DNS, TLS), or an answer whose connection was lost after its status
 *   (`peer_unreachable` with `reason: "cut_off"`: the peer most likely died with the
 *   task);
 * - a refusal: a redirect (3xx, never followed), any 4xx — swarm's own codes
 *   (`forbidden`, `unauthorized`, `invalid_task`, `skill_not_found`, `task_conflict`, …)
 *   or a plain status — since the forwarding node already validated the task and checked
 *   the caller's scope itself, so what a peer refuses beyond that depends on that peer
 *   (its skills, keyring, limits, records) or is a lie;
 * - the "not started" codes whatever their status (`not_ready`, `draining`,
 *   `overloaded`, `rate_limited`, `no_match`, `local_executor_not_configured`,
 *   `loop_detected`, `hop_limit_exceeded`), and 501, 502, 503, 504, 505, 508 without
 *   another code (a peer's own failed forward, a proxy);
 * - `bad_peer_response` for a complete 2xx answer that is not valid JSON, not a
 *   result or not a stream event (`reason` `invalid_json`, `invalid_result`,
 *   `invalid_event`);
 * - `timeout`, whether the attempt's own time limit passed or the peer answered 504.
 *
 * Not retried, since the peer may have run the task: `execution_failed`, `internal`, a
 * relayed `bad_peer_response` and any other 5xx (500 above all); a 2xx answer over a
 * size limit (`bad_peer_response` `too_large`, `too_many_events`, or without a reason);
 * and anything that is not a {@link SwarmError}, such as the caller's own
 * abort (`AbortError`) or a programming error.
 *
 * A `timeout` caused by the router's own deadline is retryable by this rule but has no
 * time left: check the deadline (see {@link decideRetry}) or the caller's signal first.
 *
 * @param err What a forward threw.
 * @returns Whether another attempt may be made.
 * @example
 * ```ts
 * import { SwarmError } from "../protocol/errors.ts";
 * import { isRetryable } from "./retry_policy.ts";
 * console.assert(isRetryable(new SwarmError("peer_unreachable", "Cannot reach h:1: refused")));
 * console.assert(isRetryable(new SwarmError("forbidden", "No", { status: 403 })));
 * console.assert(!isRetryable(new SwarmError("execution_failed", "Skill failed", { status: 500 })));
 * console.assert(!isRetryable(new DOMException("Aborted", "AbortError")));
 * ```
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof SwarmError)) return false;
  const code: string = err.code;
  const status = err.details.status;
  if (code === "timeout" || NOT_STARTED_CODES.has(code)) return true;
  if (status === undefined) return code === "peer_unreachable";
  // A connection lost mid-answer is retried, as before answers were bounded: the peer
  // most likely died with the task. It may have finished it first, so the task can run
  // twice in that window; closing it needs a cross-node record of results.
  if (code === "peer_unreachable" && err.details.reason === "cut_off") return true;
  if (typeof status !== "number") return false;
  if (code === "bad_peer_response" && status >= 200 && status < 300) {
    return GARBAGE_REASONS.has(err.details.reason);
  }
  if (MAY_HAVE_RUN_CODES.has(code)) return false;
  if (status >= 300 && status < 500) return true;
  return NOT_HANDLED_5XX.has(status);
}

/**
 * How long a peer asked to be left alone, in milliseconds: `details.retry_after_s`
 * (from a `Retry-After` header or the peer's error body) times 1000, when it is a
 * non-negative finite number of seconds.
 *
 * @param err What a forward threw.
 * @returns The wait in milliseconds, or `undefined` when the peer gave none.
 * @example
 * ```ts
 * import { SwarmError } from "../protocol/errors.ts";
 * import { retryAfterMs } from "./retry_policy.ts";
 * const err = new SwarmError("overloaded", "Busy", { status: 429, retry_after_s: 2 });
 * console.assert(retryAfterMs(err) === 2000);
 * ```
 */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof SwarmError)) return undefined;
  const seconds = err.details.retry_after_s;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.ceil(seconds * 1000);
}

/** Options of {@link decideRetry}. */
export interface DecideRetryOptions {
  /** Attempts made so far, the one that just failed included (1 after the first). */
  attempt: number;
  /**
   * Time a further forward would have, in milliseconds (e.g. the deadline's
   * `forwardBudgetMs()`); no retry unless it outlasts the delay. Unlimited when absent.
   */
  remainingMs?: number;
  /**
   * Whether the next attempt goes to the peer that just failed (the only candidate, or
   * the candidates wrapped round): only then is its `Retry-After` waited for, since it
   * speaks for that peer alone; another peer gets the plain backoff.
   *
   * @default {false}
   */
  samePeer?: boolean;
  /** The retry policy. @default {DEFAULT_RETRY_POLICY} */
  policy?: RetryPolicy;
  /** Source of uniform numbers in [0, 1) for the jitter. @default {Math.random} */
  random?: () => number;
}

/** What {@link decideRetry} decided. */
export type RetryDecision =
  | {
    /** Try again. */
    retry: true;
    /** Wait this long first, in milliseconds. */
    delayMs: number;
  }
  | {
    /** Give up. */
    retry: false;
    /**
     * Why: the failure is final, the attempts are used up, or the deadline would
     * pass before or during the wait.
     */
    reason: "not_retryable" | "attempts_exhausted" | "deadline";
  };

/**
 * Decides whether to retry after a failed forward and how long to wait: only a
 * {@link isRetryable} failure, only while attempts are left, after the backoff delay
 * (or, when retrying the same peer, its `Retry-After` capped at `maxDelayMs` if that is
 * longer), and only when time is left after that wait.
 *
 * @param err What the failed forward threw.
 * @param options The attempt count, time left, policy and random source.
 * @returns The decision.
 * @throws {RangeError} When `attempt` is not a positive integer.
 * @example
 * ```ts
 * import { SwarmError } from "../protocol/errors.ts";
 * import { decideRetry } from "./retry_policy.ts";
 * const refused = new SwarmError("peer_unreachable", "Cannot reach h:1: refused");
 * const next = decideRetry(refused, { attempt: 1, remainingMs: 5000, random: () => 1 });
 * console.assert(next.retry && next.delayMs === 100);
 * const last = decideRetry(refused, { attempt: 3 });
 * console.assert(!last.retry && last.reason === "attempts_exhausted");
 * ```
 */
export function decideRetry(err: unknown, options: DecideRetryOptions): RetryDecision {
  const { attempt, remainingMs = Infinity, samePeer = false, random } = options;
  const { policy = DEFAULT_RETRY_POLICY } = options;
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new RangeError(
      `Cannot decide retry as 'attempt' must be a positive integer: current value is ${attempt}`,
    );
  }
  if (!isRetryable(err)) return { retry: false, reason: "not_retryable" };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: "attempts_exhausted" };
  const backoff = backoffDelayMs(attempt, policy, random);
  const asked = samePeer ? Math.min(retryAfterMs(err) ?? 0, policy.maxDelayMs) : 0;
  const delayMs = Math.max(backoff, asked);
  if (!(remainingMs > delayMs)) return { retry: false, reason: "deadline" };
  return { retry: true, delayMs };
}
