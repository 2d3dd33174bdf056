import assert from "node:assert/strict";
import { Inflight } from "../../lib/http/inflight.ts";
import { TaskTracker } from "../../lib/http/task_tracker.ts";
import { drain, type DrainResult } from "../../lib/node/drain.ts";
import type { NodeResult } from "../../lib/protocol/types.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

function answer(id: string): NodeResult {
  return { task_id: id, response: "ok", task_completed: true, tool_calls: 0 };
}

/** A real tracker and registry, a fake clock, and a drain the test follows. */
function setUp() {
  const clock = new FakeClock();
  const tracker = new TaskTracker();
  const inflight = new Inflight();
  const timeouts: number[] = [];
  let outcome: DrainResult | undefined;
  let doneAtMs: number | undefined;
  /** Starts an execution that runs until the returned function is called. */
  const execution = (id: string) => {
    const done = Promise.withResolvers<NodeResult>();
    inflight.run(id, () => done.promise);
    return () => done.resolve(answer(id));
  };
  const start = (graceMs?: number) => {
    const draining = drain({ tracker, inflight }, {
      timeoutMs: 10_000,
      graceMs,
      clock,
      onTimeout: () => timeouts.push(clock.now()),
    }).then((result) => {
      outcome = result;
      doneAtMs = clock.now();
    });
    return draining;
  };
  return {
    clock,
    tracker,
    inflight,
    timeouts,
    execution,
    start,
    get outcome() {
      return outcome;
    },
    /** The clock time the drain resolved at. */
    get doneAtMs() {
      return doneAtMs;
    },
  };
}

Deno.test("drain() resolves at once when nothing is in flight, leaving no timer", async () => {
  const t = setUp();
  t.start();
  await t.clock.flush();
  assert.deepEqual(t.outcome, { drained: true, inFlight: 0 });
  assert.deepEqual(t.timeouts, []);
  assert.equal(t.clock.pending, 0);
});

Deno.test("drain() waits for the tracked tasks, then for the executions still running", async () => {
  const t = setUp();
  t.tracker.begin("a");
  t.tracker.begin("b");
  const finishRun = t.execution("detached");
  t.start();
  await t.clock.advance(1_000);
  t.tracker.end("a");
  await t.clock.advance(1_000);
  assert.equal(t.outcome, undefined, "'b' is still answering");
  t.tracker.end("b");
  await t.clock.advance(1_000);
  assert.equal(t.outcome, undefined, "a run whose caller went away still stores its result");
  finishRun();
  await t.clock.advance(0);
  assert.deepEqual(t.outcome, { drained: true, inFlight: 3 });
  assert.deepEqual(t.timeouts, []);
  assert.equal(t.clock.pending, 0, "the timeout timer is cleared");
});

Deno.test("drain() calls onTimeout at timeoutMs, then waits up to graceMs for the work to wind down", async () => {
  const cases = [
    {
      name: "work ends within the grace",
      graceMs: undefined,
      endsAfterMs: 1_500,
      doneAtMs: 11_500,
    },
    { name: "work outlives the grace", graceMs: undefined, endsAfterMs: 60_000, doneAtMs: 12_000 },
    { name: "a custom grace", graceMs: 300, endsAfterMs: 60_000, doneAtMs: 10_300 },
    { name: "no grace", graceMs: 0, endsAfterMs: 60_000, doneAtMs: 10_000 },
  ];
  for (const { name, graceMs, endsAfterMs, doneAtMs } of cases) {
    const t = setUp();
    t.tracker.begin("stuck");
    t.start(graceMs);
    await t.clock.advance(9_999);
    assert.deepEqual(t.timeouts, [], `${name}: not before timeoutMs`);
    await t.clock.advance(1);
    assert.deepEqual(t.timeouts, [10_000], `${name}: onTimeout once, at timeoutMs`);
    t.clock.setTimeout(() => t.tracker.end("stuck"), endsAfterMs);
    while (t.outcome === undefined) await t.clock.advance(100);
    assert.deepEqual(t.outcome, { drained: false, inFlight: 1 }, name);
    assert.equal(t.doneAtMs, doneAtMs, name);
    assert.deepEqual(t.timeouts, [10_000], `${name}: onTimeout only once`);
  }
});

Deno.test("drain() refuses a negative or infinite time limit", async () => {
  const work = { tracker: new TaskTracker(), inflight: new Inflight() };
  for (const [timeoutMs, graceMs] of [[-1, 0], [NaN, 0], [0, -1], [0, Infinity]]) {
    await assert.rejects(drain(work, { timeoutMs, graceMs, onTimeout: () => {} }), RangeError);
  }
});
