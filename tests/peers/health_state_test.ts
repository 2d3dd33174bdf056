import assert from "node:assert/strict";
import {
  DEFAULT_HEALTH_POLICY,
  detectionTimeBoundMs,
  type HealthPolicy,
  type HealthState,
  initialHealth,
  loadFromHealthz,
  MAX_REPORTED_LOAD,
  onPassiveFailure,
  onPassiveSuccess,
  onProbeFailure,
  onProbeSuccess,
  type PeerHealth,
  probeDue,
  routable,
  validateHealthPolicy,
  validLoad,
} from "../../lib/peers/health_state.ts";

const POLICY = DEFAULT_HEALTH_POLICY;

function health(fields: Partial<PeerHealth> = {}): PeerHealth {
  return { state: "alive", consecutiveFailures: 0, sinceMs: 0, ...fields };
}

Deno.test("initialHealth() presumes a new peer alive", () => {
  assert.deepEqual(initialHealth(42), { state: "alive", consecutiveFailures: 0, sinceMs: 42 });
});

Deno.test("onProbeFailure() makes a peer suspect, then dead after deadAfterFailures", () => {
  const cases: Array<[HealthPolicy, PeerHealth, HealthState, number, boolean]> = [
    [POLICY, health(), "suspect", 1, true],
    [POLICY, health({ state: "suspect", consecutiveFailures: 1 }), "dead", 2, true],
    [POLICY, health({ state: "dead", consecutiveFailures: 2 }), "dead", 3, false],
    // A passive failure made it suspect without counting: the first probe failure is 1.
    [POLICY, health({ state: "suspect" }), "suspect", 1, false],
    [{ ...POLICY, deadAfterFailures: 1 }, health(), "dead", 1, true],
    [{ ...POLICY, deadAfterFailures: 3 }, health({ consecutiveFailures: 1 }), "suspect", 2, true],
    [
      { ...POLICY, deadAfterFailures: 3 },
      health({ state: "suspect", consecutiveFailures: 2 }),
      "dead",
      3,
      true,
    ],
  ];
  for (const [policy, before, state, failures, changed] of cases) {
    const label = `${JSON.stringify(before)} F=${policy.deadAfterFailures}`;
    const next = onProbeFailure(before, 5000, policy);
    assert.equal(next.health.state, state, label);
    assert.equal(next.health.consecutiveFailures, failures, label);
    assert.equal(next.changed, changed, label);
    assert.equal(next.health.sinceMs, changed ? 5000 : before.sinceMs, label);
  }
});

Deno.test("onProbeSuccess() makes any peer alive and resets its failures", () => {
  for (const state of ["alive", "suspect", "dead"] as const) {
    const before = health({ state, consecutiveFailures: state === "alive" ? 0 : 4, sinceMs: 7 });
    const { health: after, changed } = onProbeSuccess(before, { latencyMs: 20 }, 9000, POLICY);
    assert.equal(after.state, "alive", state);
    assert.equal(after.consecutiveFailures, 0, state);
    assert.equal(after.lastOkMs, 9000, state);
    assert.equal(changed, state !== "alive", state);
    assert.equal(after.sinceMs, state === "alive" ? 7 : 9000, state);
  }
});

Deno.test("onProbeSuccess() averages latency and keeps the last reported load", () => {
  const steps: Array<[number, number | undefined, number, number | undefined]> = [
    // [latency, reported load, average after, load after]
    [100, 2, 100, 2],
    [200, undefined, 130, 2],
    [200, 0, 151, 0],
    [0, 5, 105.7, 5],
  ];
  let h = health();
  for (const [latencyMs, load, ewma, loadAfter] of steps) {
    h = onProbeSuccess(h, { latencyMs, load }, 1, POLICY).health;
    assert.ok(Math.abs((h.latencyEwmaMs ?? NaN) - ewma) < 1e-9, `${h.latencyEwmaMs} != ${ewma}`);
    assert.equal(h.load, loadAfter);
  }
  const latest = onProbeSuccess(h, { latencyMs: 7 }, 1, { ...POLICY, ewmaAlpha: 1 }).health;
  assert.equal(latest.latencyEwmaMs, 7);
});

Deno.test("onPassiveFailure() only turns an alive peer suspect, without counting", () => {
  const cases: Array<[PeerHealth, HealthState, boolean]> = [
    [health(), "suspect", true],
    [health({ state: "suspect", consecutiveFailures: 1 }), "suspect", false],
    [health({ state: "dead", consecutiveFailures: 2 }), "dead", false],
  ];
  for (const [before, state, changed] of cases) {
    const next = onPassiveFailure(before, 300);
    assert.equal(next.health.state, state);
    assert.equal(next.changed, changed);
    assert.equal(next.health.consecutiveFailures, before.consecutiveFailures);
  }
  let h = health();
  for (let i = 0; i < 50; i++) h = onPassiveFailure(h, i).health;
  assert.equal(h.state, "suspect");
  assert.equal(h.sinceMs, 0);
});

Deno.test("onPassiveSuccess() makes a peer alive, forgives its failed probes, averages a latency given", () => {
  const cases: Array<[PeerHealth, number | undefined, boolean, number | undefined]> = [
    // [before, latency sample, state changed, latency average after]
    [health(), 40, false, 40],
    [health({ state: "suspect", consecutiveFailures: 1, latencyEwmaMs: 10 }), 40, true, 19],
    [health({ state: "dead", consecutiveFailures: 3, load: 4 }), 40, true, 40],
    // No sample (the Router's figure spans the whole task): the average stays.
    [health(), undefined, false, undefined],
    [health({ state: "suspect", consecutiveFailures: 1, latencyEwmaMs: 10 }), undefined, true, 10],
    [health({ state: "dead", consecutiveFailures: 3, load: 4 }), undefined, true, undefined],
  ];
  for (const [before, latencyMs, changed, ewma] of cases) {
    const label = `${JSON.stringify(before)} latency ${latencyMs}`;
    const next = onPassiveSuccess(before, latencyMs, 800, POLICY);
    assert.equal(next.health.state, "alive", label);
    assert.equal(next.changed, changed, label);
    assert.equal(next.health.sinceMs, changed ? 800 : before.sinceMs, label);
    assert.equal(next.health.consecutiveFailures, 0, label);
    assert.equal(next.health.lastOkMs, 800, label);
    if (ewma === undefined) assert.equal(next.health.latencyEwmaMs, undefined, label);
    else assert.ok(Math.abs((next.health.latencyEwmaMs ?? NaN) - ewma) < 1e-9, label);
    assert.equal(next.health.load, before.load, label);
  }
});

Deno.test("transitions return new objects and leave their input unchanged", () => {
  const before = Object.freeze(health({ state: "suspect", consecutiveFailures: 1, load: 2 }));
  const copy = { ...before };
  const results = [
    onProbeSuccess(before, { latencyMs: 5, load: 1 }, 10, POLICY),
    onProbeFailure(before, 10, POLICY),
    onPassiveFailure(before, 10),
    onPassiveSuccess(before, 5, 10, POLICY),
    onPassiveSuccess(before, undefined, 10, POLICY),
  ];
  for (const { health: after } of results) assert.notEqual(after, before);
  assert.deepEqual(before, copy);
});

Deno.test("probeDue() probes at intervalMs, and dead peers at deadProbeIntervalMs", () => {
  const cases: Array<[HealthState, number, number | undefined, boolean]> = [
    ["alive", 0, undefined, true],
    ["dead", 0, undefined, true],
    ["alive", 999, 0, false],
    ["alive", 1000, 0, true],
    ["suspect", 1999, 1000, false],
    ["suspect", 2000, 1000, true],
    ["dead", 1000, 0, false],
    ["dead", 1999, 0, false],
    ["dead", 2000, 0, true],
  ];
  for (const [state, now, last, want] of cases) {
    assert.equal(probeDue(health({ state }), now, POLICY, last), want, `${state} ${now} ${last}`);
  }
});

Deno.test("routable() excludes only dead peers", () => {
  assert.deepEqual(
    (["alive", "suspect", "dead"] as const).map(routable),
    [true, true, false],
  );
});

Deno.test("validateHealthPolicy() accepts sound policies and names the bad field", () => {
  const good: HealthPolicy[] = [
    POLICY,
    {
      intervalMs: 100,
      timeoutMs: 5000,
      deadAfterFailures: 1,
      deadProbeIntervalMs: 1,
      ewmaAlpha: 1,
    },
  ];
  for (const policy of good) assert.equal(validateHealthPolicy(policy), policy);
  const bad: Array<[Partial<HealthPolicy>, string]> = [
    [{ intervalMs: 0 }, "'intervalMs' must be a positive number: current value is 0"],
    [{ timeoutMs: -1 }, "'timeoutMs' must be a positive number: current value is -1"],
    [{ timeoutMs: Infinity }, "'timeoutMs' must be a positive number: current value is Infinity"],
    [
      { deadProbeIntervalMs: NaN },
      "'deadProbeIntervalMs' must be a positive number: current value is NaN",
    ],
    [
      { deadAfterFailures: 0 },
      "'deadAfterFailures' must be a positive integer: current value is 0",
    ],
    [
      { deadAfterFailures: 1.5 },
      "'deadAfterFailures' must be a positive integer: current value is 1.5",
    ],
    [{ ewmaAlpha: 0 }, "'ewmaAlpha' must be greater than 0 and at most 1: current value is 0"],
    [{ ewmaAlpha: 1.1 }, "'ewmaAlpha' must be greater than 0 and at most 1: current value is 1.1"],
  ];
  for (const [change, message] of bad) {
    assert.throws(() => validateHealthPolicy({ ...POLICY, ...change }), {
      name: "RangeError",
      message: `Cannot use health policy as ${message}`,
    });
  }
});

Deno.test("detectionTimeBoundMs() follows the formula, slow timeouts included", () => {
  const cases: Array<[Partial<HealthPolicy>, number]> = [
    [{}, 2500],
    [{ deadAfterFailures: 1 }, 1500],
    [{ deadAfterFailures: 3 }, 3500],
    [{ timeoutMs: 1000 }, 3000],
    [{ intervalMs: 200, timeoutMs: 500, deadAfterFailures: 3 }, 1700],
  ];
  for (const [change, want] of cases) {
    assert.equal(detectionTimeBoundMs({ ...POLICY, ...change }), want, JSON.stringify(change));
  }
});

// How the real HealthChecker meets detectionTimeBoundMs() on a clock — a crash or a
// pause at any moment, recovery, answered and unanswered forwards — is tested in
// health_detection_test.ts.

Deno.test("validLoad() believes only non-negative integers up to MAX_REPORTED_LOAD", () => {
  const cases: Array<[unknown, number | undefined]> = [
    [0, 0],
    [3, 3],
    [MAX_REPORTED_LOAD, MAX_REPORTED_LOAD],
    [MAX_REPORTED_LOAD + 1, undefined],
    [-1, undefined],
    [-1_000_000, undefined],
    [-0, 0],
    [1.5, undefined],
    [Number.NaN, undefined],
    [Infinity, undefined],
    [-Infinity, undefined],
    [1e300, undefined],
    ["2", undefined],
    [null, undefined],
    [undefined, undefined],
    [true, undefined],
    [[1], undefined],
    [{ valueOf: () => 1 }, undefined],
  ];
  for (const [value, want] of cases) assert.equal(validLoad(value), want, String(value));
});

Deno.test("loadFromHealthz() sums believable running and queued tasks, else unknown", () => {
  const cases: Array<[string, unknown, number | undefined]> = [
    ["running and queued", { running_tasks: 2, queued_tasks: 3 }, 5],
    ["running only", { running_tasks: 1 }, 1],
    ["idle", { status: "ok", running_tasks: 0, queued_tasks: 0 }, 0],
    ["negative running", { running_tasks: -1_000_000, queued_tasks: 0 }, undefined],
    ["negative queued", { running_tasks: 1, queued_tasks: -5 }, undefined],
    ["fractional", { running_tasks: 0.5 }, undefined],
    ["string figures", { running_tasks: "1" }, undefined],
    ["queued without running", { queued_tasks: 4 }, undefined],
    ["null queued", { running_tasks: 1, queued_tasks: null }, undefined],
    ["sum capped", { running_tasks: MAX_REPORTED_LOAD, queued_tasks: 5 }, MAX_REPORTED_LOAD],
    ["not an object", "ok", undefined],
    ["null", null, undefined],
    ["array", [1, 2], undefined],
  ];
  for (const [label, body, want] of cases) assert.equal(loadFromHealthz(body), want, label);
});

Deno.test("onProbeSuccess() ignores a reported load that is not believable", () => {
  const known = onProbeSuccess(health(), { latencyMs: 5, load: 2 }, 10, POLICY).health;
  const lied = onProbeSuccess(known, { latencyMs: 5, load: -1_000_000 }, 20, POLICY).health;
  assert.equal(lied.load, 2, "the last believable figure stays");
  const fresh = onProbeSuccess(health(), { latencyMs: 5, load: -3 }, 10, POLICY).health;
  assert.equal(fresh.load, undefined);
});
