import assert from "node:assert/strict";
import { ERROR_STATUS, type ErrorCode, SwarmError } from "../../lib/protocol/errors.ts";
import {
  backoffDelayMs,
  decideRetry,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  retryAfterMs,
  type RetryPolicy,
  validateRetryPolicy,
} from "../../lib/routing/retry_policy.ts";

/**
 * Whether a peer's answer with each code (and its own status) may be retried elsewhere:
 * every refusal (3xx, 4xx) and "not started" code is; the codes after which the task
 * may have run (execution_failed, internal, a relayed bad_peer_response) are not.
 */
const ANSWERED: Record<string, boolean> = {
  unauthorized: true,
  forbidden: true,
  no_match: true,
  forward_failed: true,
  local_executor_not_configured: true,
  execution_failed: false,
  internal: false,
  invalid_json: true,
  invalid_request: true,
  invalid_task: true,
  unsupported_media_type: true,
  payload_too_large: true,
  not_found: true,
  method_not_allowed: true,
  skill_not_found: true,
  ambiguous_skill: true,
  loop_detected: true,
  hop_limit_exceeded: true,
  not_ready: true,
  draining: true,
  overloaded: true,
  rate_limited: true,
  headers_too_large: true,
  uri_too_long: true,
  task_conflict: true,
  timeout: true,
  bad_peer_response: false,
  config_invalid: true,
  keyring_invalid: true,
  invalid_argument: true,
  misdirected: true,
  // Skill sync's refusal: never an answer to a task, a 4xx like the others.
  release_refused: true,
  // A proxy in front of the peer could not reach it (nginx's 502).
  peer_unreachable: true,
};

/** The error the client throws when a peer answers `code` with swarm's JSON error shape. */
function answered(code: string, details: Record<string, unknown> = {}): SwarmError {
  const status = (ERROR_STATUS as Record<string, number>)[code] ?? 500;
  return new SwarmError(code as ErrorCode, `Peer said ${code}`, { ...details, status });
}

Deno.test("isRetryable() classifies a peer's answer with every error code", () => {
  for (const code of Object.keys(ERROR_STATUS)) {
    assert.ok(code in ANSWERED, `code '${code}' has no expectation: classify it`);
  }
  for (const [code, want] of Object.entries(ANSWERED)) {
    assert.equal(isRetryable(answered(code)), want, code);
  }
});

Deno.test("isRetryable() retries failures without an answer and answers that were not handled", () => {
  const garbage = (reason: string | undefined, status = 200) =>
    new SwarmError("bad_peer_response", "Bad answer from h:1", {
      status,
      ...(reason ? { reason } : {}),
    });
  const cases: Array<[string, SwarmError, boolean]> = [
    ["connection refused", new SwarmError("peer_unreachable", "Cannot reach h:1: refused"), true],
    ["connection lost", new SwarmError("peer_unreachable", "Lost connection to h:1: reset"), true],
    [
      "forward_failed without a status is no connection failure",
      new SwarmError("forward_failed", "All 2 forward attempts failed"),
      false,
    ],
    [
      "answer cut off after 200 (the peer most likely died with the task)",
      new SwarmError("peer_unreachable", "Lost connection to h:1: reset", {
        status: 200,
        reason: "cut_off",
      }),
      true,
    ],
    [
      "error answer cut off after 503",
      new SwarmError("peer_unreachable", "Lost connection to h:1: reset", { status: 503 }),
      true,
    ],
    ["attempt timed out", new SwarmError("timeout", "Timed out", { timeout_ms: 10 }), true],
    ["bad answer without status", new SwarmError("bad_peer_response", "Invalid JSON"), false],
    ["2xx not JSON", garbage("invalid_json"), true],
    ["2xx not a result", garbage("invalid_result"), true],
    ["2xx stream line not an event", garbage("invalid_event"), true],
    ["2xx over the size limit (may have run)", garbage("too_large"), false],
    ["2xx stream of endless events (started)", garbage("too_many_events"), false],
    ["2xx without a reason", garbage(undefined), false],
    ["relayed bad_peer_response", garbage("invalid_json", 502), false],
    [
      "execution_failed with a 4xx status",
      new SwarmError("execution_failed", "x", { status: 403 }),
      false,
    ],
    ["non-numeric status", new SwarmError("forward_failed", "x", { status: "403" }), false],
    ...[301, 302, 303, 307, 308, 400, 401, 403, 404, 405, 409, 413, 415, 421, 422, 429].map((
      status,
    ): [string, SwarmError, boolean] => [
      `plain ${status}`,
      new SwarmError("forward_failed", `h:1 answered ${status}`, { status }),
      true,
    ]),
    ...[501, 502, 503, 504, 505, 508].map((status): [string, SwarmError, boolean] => [
      `plain ${status}`,
      new SwarmError("forward_failed", `h:1 answered ${status}`, { status }),
      true,
    ]),
    ...[500, 506, 507, 599].map((status): [string, SwarmError, boolean] => [
      `plain ${status} (may have run)`,
      new SwarmError("forward_failed", `h:1 answered ${status}`, { status }),
      false,
    ]),
  ];
  for (const [label, err, want] of cases) assert.equal(isRetryable(err), want, label);
});

Deno.test("isRetryable() never retries what is not a SwarmError", () => {
  const cases: unknown[] = [
    new DOMException("The signal has been aborted", "AbortError"),
    new DOMException("Signal timed out", "TimeoutError"),
    new TypeError("x is not a function"),
    new Error("peer_unreachable"),
    { code: "peer_unreachable", details: {} },
    "timeout",
    undefined,
    null,
  ];
  for (const err of cases) assert.equal(isRetryable(err), false, String(err));
});

Deno.test("backoffDelayMs() doubles from the base up to the cap", () => {
  const exact = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
  const cases: Array<[number, RetryPolicy, number]> = [
    [1, exact, 100],
    [2, exact, 200],
    [3, exact, 400],
    [4, exact, 800],
    [5, exact, 1600],
    [6, exact, 2000],
    [60, exact, 2000],
    [5000, exact, 2000],
    [1, { ...exact, baseDelayMs: 0, maxDelayMs: 0 }, 0],
    [5000, { ...exact, baseDelayMs: 0 }, 0],
    [3, { ...exact, baseDelayMs: 250, maxDelayMs: 250 }, 250],
  ];
  for (const [retry, policy, want] of cases) {
    assert.equal(
      backoffDelayMs(retry, policy, () => 0.3),
      want,
      `${retry} ${JSON.stringify(policy)}`,
    );
  }
});

Deno.test("backoffDelayMs() scales the delay by 1 - jitter + jitter * random", () => {
  const cases: Array<[number, number, number]> = [
    [0.5, 0, 50],
    [0.5, 0.5, 75],
    [0.5, 0.999, 100],
    [1, 0, 0],
    [1, 0.25, 25],
    [0.2, 0, 80],
  ];
  for (const [jitter, random, want] of cases) {
    const policy = { ...DEFAULT_RETRY_POLICY, jitter };
    assert.equal(backoffDelayMs(1, policy, () => random), want, `${jitter} ${random}`);
  }
  for (let i = 0; i < 200; i++) {
    const retry = 1 + (i % 8);
    const delay = backoffDelayMs(retry, DEFAULT_RETRY_POLICY);
    const full = Math.min(2000, 100 * 2 ** (retry - 1));
    assert.ok(delay >= full / 2 && delay <= full, `${retry}: ${delay}`);
  }
});

Deno.test("backoffDelayMs() refuses a retry number that is not a positive integer", () => {
  for (const retry of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => backoffDelayMs(retry, DEFAULT_RETRY_POLICY), {
      name: "RangeError",
      message:
        `Cannot compute backoff as 'retry' must be a positive integer: current value is ${retry}`,
    });
  }
});

Deno.test("validateRetryPolicy() accepts sound policies and names the bad field", () => {
  const good: RetryPolicy[] = [
    DEFAULT_RETRY_POLICY,
    { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
    { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 50, jitter: 1 },
  ];
  for (const policy of good) assert.equal(validateRetryPolicy(policy), policy);
  const bad: Array<[Partial<RetryPolicy>, string]> = [
    [{ maxAttempts: 0 }, "'maxAttempts' must be a positive integer: current value is 0"],
    [{ maxAttempts: 2.5 }, "'maxAttempts' must be a positive integer: current value is 2.5"],
    [{ maxAttempts: NaN }, "'maxAttempts' must be a positive integer: current value is NaN"],
    [{ baseDelayMs: -1 }, "'baseDelayMs' must be a non-negative number: current value is -1"],
    [{ baseDelayMs: NaN }, "'baseDelayMs' must be a non-negative number: current value is NaN"],
    [
      { maxDelayMs: Infinity },
      "'maxDelayMs' must be a non-negative number: current value is Infinity",
    ],
    [{ maxDelayMs: 50 }, "'maxDelayMs' must be at least 'baseDelayMs' (100): current value is 50"],
    [{ jitter: -0.1 }, "'jitter' must be between 0 and 1: current value is -0.1"],
    [{ jitter: 1.5 }, "'jitter' must be between 0 and 1: current value is 1.5"],
    [{ jitter: NaN }, "'jitter' must be between 0 and 1: current value is NaN"],
  ];
  for (const [change, message] of bad) {
    assert.throws(() => validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...change }), {
      name: "RangeError",
      message: `Cannot use retry policy as ${message}`,
    });
  }
});

Deno.test("retryAfterMs() reads a non-negative retry_after_s in milliseconds", () => {
  const cases: Array<[unknown, number | undefined]> = [
    [answered("overloaded", { retry_after_s: 2 }), 2000],
    [answered("draining", { retry_after_s: 0 }), 0],
    [answered("not_ready", { retry_after_s: 0.25 }), 250],
    [answered("not_ready", { retry_after_s: 1.0001 }), 1001],
    [answered("overloaded", { retry_after_s: -1 }), undefined],
    [answered("overloaded", { retry_after_s: "2" }), undefined],
    [answered("overloaded", { retry_after_s: NaN }), undefined],
    [answered("overloaded", { retry_after_s: Infinity }), undefined],
    [answered("overloaded"), undefined],
    [{ details: { retry_after_s: 2 } }, undefined],
    [undefined, undefined],
  ];
  for (const [err, want] of cases) assert.equal(retryAfterMs(err), want, String(err));
});

Deno.test("decideRetry() retries within attempts and time, after backoff or Retry-After", () => {
  const refused = new SwarmError("peer_unreachable", "Cannot reach h:1: refused");
  const busy = (s: number) => answered("overloaded", { retry_after_s: s });
  const exact = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
  const cases: Array<[string, unknown, Parameters<typeof decideRetry>[1], unknown]> = [
    ["first retry", refused, { attempt: 1, policy: exact }, { retry: true, delayMs: 100 }],
    ["second retry", refused, { attempt: 2, policy: exact }, { retry: true, delayMs: 200 }],
    ["used up", refused, { attempt: 3, policy: exact }, {
      retry: false,
      reason: "attempts_exhausted",
    }],
    ["beyond", refused, { attempt: 9, policy: exact }, {
      retry: false,
      reason: "attempts_exhausted",
    }],
    ["final failure", answered("execution_failed"), { attempt: 1 }, {
      retry: false,
      reason: "not_retryable",
    }],
    ["a peer's refusal", answered("forbidden"), { attempt: 1, policy: exact }, {
      retry: true,
      delayMs: 100,
    }],
    ["final before used up", answered("internal"), { attempt: 3 }, {
      retry: false,
      reason: "not_retryable",
    }],
    ["caller abort", new DOMException("Aborted", "AbortError"), { attempt: 1 }, {
      retry: false,
      reason: "not_retryable",
    }],
    ["time left", refused, { attempt: 1, policy: exact, remainingMs: 101 }, {
      retry: true,
      delayMs: 100,
    }],
    ["no time after the wait", refused, { attempt: 1, policy: exact, remainingMs: 100 }, {
      retry: false,
      reason: "deadline",
    }],
    ["no time at all", answered("timeout"), { attempt: 1, remainingMs: 0 }, {
      retry: false,
      reason: "deadline",
    }],
    ["Retry-After longer", busy(1), { attempt: 1, policy: exact, samePeer: true }, {
      retry: true,
      delayMs: 1000,
    }],
    ["Retry-After of another peer", busy(1), { attempt: 1, policy: exact }, {
      retry: true,
      delayMs: 100,
    }],
    ["Retry-After capped", busy(30), { attempt: 1, policy: exact, samePeer: true }, {
      retry: true,
      delayMs: 2000,
    }],
    ["backoff longer", busy(0), { attempt: 2, policy: exact, samePeer: true }, {
      retry: true,
      delayMs: 200,
    }],
    ["Retry-After past deadline", busy(1), {
      attempt: 1,
      policy: exact,
      remainingMs: 900,
      samePeer: true,
    }, {
      retry: false,
      reason: "deadline",
    }],
    ["no retry policy", refused, { attempt: 1, policy: { ...exact, maxAttempts: 1 } }, {
      retry: false,
      reason: "attempts_exhausted",
    }],
    ["jitter", refused, { attempt: 1, random: () => 0 }, { retry: true, delayMs: 50 }],
  ];
  for (const [label, err, options, want] of cases) {
    assert.deepEqual(decideRetry(err, options), want, label);
  }
});

Deno.test("decideRetry() refuses an attempt count that is not a positive integer", () => {
  for (const attempt of [0, -2, 1.5]) {
    assert.throws(() => decideRetry(new Error("x"), { attempt }), {
      name: "RangeError",
      message:
        `Cannot decide retry as 'attempt' must be a positive integer: current value is ${attempt}`,
    });
  }
});
