import assert from "node:assert/strict";
import {
  STOP_MARGIN_MS,
  stopExitCode,
  type StopOutcome,
  stopSequence,
  type StopSequenceResult,
} from "../../lib/node/stop_sequence.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

/** A node the test drives: it says when goodbye ends, the worker stops, a signal comes. */
function setUp(options: { workerExited?: boolean; goodbye?: boolean } = {}) {
  const clock = new FakeClock();
  const goodbye = Promise.withResolvers<void>();
  const stopped = Promise.withResolvers<void>();
  const forced = Promise.withResolvers<void>();
  const steps: string[] = [];
  let result: StopSequenceResult | undefined;
  let doneAtMs: number | undefined;
  stopSequence({
    goodbye: () => {
      steps.push("goodbye");
      return options.goodbye === false ? undefined : goodbye.promise;
    },
    stop: () => steps.push(`stop at ${clock.now()}`),
    stopped: stopped.promise,
    forced: forced.promise,
  }, { drainTimeoutMs: 30_000, workerExited: options.workerExited, clock }).then((r) => {
    result = r;
    doneAtMs = clock.now();
  });
  return {
    clock,
    goodbye,
    stopped,
    forced,
    steps,
    get result() {
      return result;
    },
    get doneAtMs() {
      return doneAtMs;
    },
  };
}

Deno.test("stopSequence() says goodbye, then asks the worker to stop, and exits 0 once it stopped", async () => {
  const t = setUp();
  await t.clock.advance(2_000);
  assert.deepEqual(t.steps, ["goodbye"], "no stop request before the goodbye is sent");
  t.goodbye.resolve();
  await t.clock.advance(0);
  assert.deepEqual(t.steps, ["goodbye", "stop at 2000"]);
  await t.clock.advance(20_000);
  assert.equal(t.result, undefined, "the worker is draining");
  t.stopped.resolve();
  await t.clock.advance(0);
  assert.deepEqual(t.result, { outcome: "stopped", exitCode: 0 });
  assert.equal(t.clock.pending, 0, "no timer left");
});

Deno.test("stopSequence() asks the worker at once when there is no goodbye to send", async () => {
  const t = setUp({ goodbye: false });
  await t.clock.advance(0);
  assert.deepEqual(t.steps, ["goodbye", "stop at 0"]);
});

Deno.test("stopSequence() gives up after the drain timeout plus the margin, exiting 0", async () => {
  const t = setUp();
  t.goodbye.resolve();
  await t.clock.advance(30_000 + STOP_MARGIN_MS - 1);
  assert.equal(t.result, undefined);
  await t.clock.advance(1);
  assert.deepEqual(t.result, { outcome: "timed_out", exitCode: 0 });
  assert.equal(t.doneAtMs, 35_000);
});

Deno.test("stopSequence() stops at once on a second signal, also during the goodbye, exiting 1", async () => {
  for (const during of ["goodbye", "drain"]) {
    const t = setUp();
    if (during === "drain") t.goodbye.resolve();
    await t.clock.advance(1_000);
    t.forced.resolve();
    await t.clock.advance(0);
    // A goodbye still under way is cut short: the worker is still asked to stop.
    assert.deepEqual(t.steps.at(-1), `stop at ${during === "drain" ? 0 : 1_000}`, during);
    assert.equal(t.doneAtMs, 1_000, during);
    assert.deepEqual(t.result, { outcome: "forced", exitCode: 1 }, during);
    assert.equal(t.clock.pending, 0, during);
  }
});

Deno.test("stopSequence() exits 1 when the worker had exited on its own", async () => {
  const t = setUp({ workerExited: true });
  t.stopped.resolve();
  t.goodbye.resolve();
  await t.clock.advance(0);
  assert.deepEqual(t.result, { outcome: "stopped", exitCode: 1 });
});

Deno.test("stopSequence() prefers a worker that already stopped to a second signal", async () => {
  const t = setUp();
  t.goodbye.resolve();
  t.stopped.resolve();
  t.forced.resolve();
  await t.clock.advance(0);
  assert.deepEqual(t.result, { outcome: "stopped", exitCode: 0 });
});

Deno.test("stopExitCode() is 1 for a crashed worker or a forced stop, else 0", () => {
  const cases: Array<[boolean, StopOutcome, 0 | 1]> = [
    [false, "stopped", 0],
    [false, "timed_out", 0],
    [false, "forced", 1],
    [true, "stopped", 1],
    [true, "timed_out", 1],
    [true, "forced", 1],
  ];
  for (const [workerExited, outcome, code] of cases) {
    assert.equal(stopExitCode(workerExited, outcome), code, `${workerExited} ${outcome}`);
  }
});

Deno.test("stopSequence() refuses a negative or infinite time limit", async () => {
  const never = new Promise<void>(() => {});
  const node = { goodbye: () => undefined, stop: () => {}, stopped: never, forced: never };
  for (const [drainTimeoutMs, marginMs] of [[-1, 0], [NaN, 0], [0, -1], [0, Infinity]]) {
    await assert.rejects(stopSequence(node, { drainTimeoutMs, marginMs }), RangeError);
  }
});
