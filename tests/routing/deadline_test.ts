import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import {
  Deadline,
  DEADLINE_HEADER,
  requestedBudgetMs,
  taskBudgetMs,
} from "../../lib/routing/deadline.ts";
import { type Clock, systemClock } from "../../lib/time/clock.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

/** The system clock's timers with the time read from `now`. */
function readNow(now: () => number): Clock {
  return { ...systemClock, now };
}

Deno.test("DEADLINE_HEADER is the lower-case swarm header", () => {
  assert.equal(DEADLINE_HEADER, "x-swarm-deadline-ms");
});

Deno.test("requestedBudgetMs() takes the smaller valid budget, or flags garbage", () => {
  const cases: Array<[string | null, unknown, number | undefined | "invalid"]> = [
    [null, undefined, undefined],
    [null, null, undefined],
    ["1500", undefined, 1500],
    [" 1500 ", undefined, 1500],
    ["0", undefined, 0],
    [null, 30_000, 30_000],
    ["1500", 30_000, 1500],
    ["90000", 30_000, 30_000],
    ["0", 30_000, 0],
    ["", undefined, "invalid"],
    ["soon", undefined, "invalid"],
    ["-5", undefined, "invalid"],
    ["1.5", undefined, "invalid"],
    ["1e3", undefined, "invalid"],
    ["0x10", undefined, "invalid"],
    ["99999999999999999999", undefined, "invalid"],
    ["1500", "1500", "invalid"],
    [null, 0, "invalid"],
    [null, -1, "invalid"],
    [null, 1.5, "invalid"],
    [null, NaN, "invalid"],
    [null, Infinity, "invalid"],
    [null, "30000", "invalid"],
    ["soon", 30_000, "invalid"],
  ];
  for (const [header, bodyTimeoutMs, want] of cases) {
    assert.equal(
      requestedBudgetMs({ header, bodyTimeoutMs }),
      want,
      JSON.stringify({ header, bodyTimeoutMs: String(bodyTimeoutMs) }),
    );
  }
});

Deno.test("taskBudgetMs() caps the requested budget and defaults an absent one", () => {
  const cases: Array<[number | undefined, number, number, number]> = [
    [undefined, 120_000, 120_000, 120_000],
    [undefined, 120_000, 60_000, 60_000],
    [5000, 120_000, 120_000, 5000],
    [0, 120_000, 120_000, 0],
    [900_000, 120_000, 300_000, 300_000],
    [300_000, 120_000, 300_000, 300_000],
  ];
  for (const [requested, defaultMs, maxMs, want] of cases) {
    assert.equal(taskBudgetMs(requested, defaultMs, maxMs), want, `${requested}`);
  }
});

Deno.test("taskBudgetMs() refuses a default or cap that is not positive", () => {
  assert.throws(() => taskBudgetMs(1, 0, 10), {
    name: "RangeError",
    message:
      "Cannot grant a task budget as 'defaultMs' must be a positive number: current value is 0",
  });
  assert.throws(() => taskBudgetMs(1, 10, NaN), {
    name: "RangeError",
    message:
      "Cannot grant a task budget as 'maxMs' must be a positive number: current value is NaN",
  });
});

Deno.test("Deadline counts down on its clock and never below 0", () => {
  let now = 10_000;
  const deadline = new Deadline(1000, { startMs: now, clock: readNow(() => now) });
  assert.equal(deadline.budgetMs, 1000);
  assert.equal(deadline.expiresAtMs, 11_000);
  const steps: Array<[number, number, boolean, number]> = [
    // [advance, remaining, expired, forward budget with the default 50 ms margin]
    [0, 1000, false, 950],
    [400, 600, false, 550],
    [580, 20, false, 0],
    [19, 1, false, 0],
    [1, 0, true, 0],
    [5000, 0, true, 0],
  ];
  for (const [advance, remaining, expired, forward] of steps) {
    now += advance;
    assert.equal(deadline.remainingMs(), remaining, `at ${now}`);
    assert.equal(deadline.expired(), expired, `at ${now}`);
    assert.equal(deadline.forwardBudgetMs(), forward, `at ${now}`);
  }
});

Deno.test("Deadline starts at the clock's time when no start is given", () => {
  let now = 500;
  const deadline = new Deadline(300, { clock: readNow(() => now) });
  assert.equal(deadline.expiresAtMs, 800);
  now = 700;
  assert.equal(deadline.remainingMs(), 100);
  assert.ok(new Deadline(0).expired());
});

Deno.test("Deadline.forwardBudgetMs() keeps the margin and rounds down", () => {
  let now = 0;
  const deadline = new Deadline(1000.7, { startMs: now, clock: readNow(() => now) });
  const cases: Array<[number, number]> = [[0, 1000], [50, 950], [0.5, 1000], [1000, 0], [
    5000,
    0,
  ]];
  for (const [margin, want] of cases) assert.equal(deadline.forwardBudgetMs(margin), want);
  now = 600;
  assert.equal(deadline.forwardBudgetMs(100), 300);
  for (const margin of [-1, NaN, Infinity]) {
    assert.throws(() => deadline.forwardBudgetMs(margin), {
      name: "RangeError",
      message:
        `Cannot compute forward budget as 'marginMs' must be a non-negative number: current value is ${margin}`,
    });
  }
});

Deno.test("Deadline.attemptTimeoutMs() is the cap or the time left, whichever is smaller", () => {
  let now = 0;
  const deadline = new Deadline(5000, { startMs: now, clock: readNow(() => now) });
  assert.equal(deadline.attemptTimeoutMs(120_000), 5000);
  assert.equal(deadline.attemptTimeoutMs(3000), 3000);
  now = 4000;
  assert.equal(deadline.attemptTimeoutMs(3000), 1000);
  now = 6000;
  assert.equal(deadline.attemptTimeoutMs(3000), 0);
  for (const cap of [0, -5, NaN]) {
    assert.throws(() => deadline.attemptTimeoutMs(cap), {
      name: "RangeError",
      message:
        `Cannot compute attempt timeout as 'capMs' must be a positive number: current value is ${cap}`,
    });
  }
});

Deno.test("Deadline refuses a negative or infinite budget", () => {
  for (const budget of [-1, NaN, Infinity]) {
    assert.throws(() => new Deadline(budget), {
      name: "RangeError",
      message:
        `Cannot create deadline as 'budgetMs' must be a non-negative number: current value is ${budget}`,
    });
  }
});

Deno.test("Deadline.signal() is aborted at once when no time is left", () => {
  let now = 0;
  const deadline = new Deadline(100, { startMs: now, clock: readNow(() => now) });
  now = 100;
  const signal = deadline.signal();
  assert.ok(signal.aborted);
  assert.ok(signal.reason instanceof SwarmError);
  assert.equal(signal.reason.code, "timeout");
  assert.equal(signal.reason.status, 504);
  assert.equal(signal.reason.message, "Deadline of 100 ms exceeded");
  assert.deepEqual(signal.reason.details, { budget_ms: 100 });
});

Deno.test("Deadline.signal() aborts with a timeout when the time left runs out", async () => {
  const started = performance.now();
  const signal = new Deadline(60).signal();
  assert.equal(signal.aborted, false);
  const reason = await withTimeout(
    new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve(signal.reason), { once: true })
    ),
    { ms: 10_000, waitingFor: "the abort of a 60 ms deadline on the system clock" },
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 55, `aborted after ${elapsed} ms`);
  assert.ok(reason instanceof SwarmError && reason.code === "timeout");
  assert.equal(reason.message, "Deadline of 60 ms exceeded");
});

Deno.test("Deadline.signal() uses the time left, not the whole budget", async () => {
  let now = 0;
  const deadline = new Deadline(60_000, { startMs: now, clock: readNow(() => now) });
  now = 59_970;
  const signal = deadline.signal();
  // 30 ms are left of the 60 s budget: an abort within the bound is the time left's.
  await withTimeout(
    new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true })),
    { ms: 10_000, waitingFor: "the abort 30 ms before the end of a 60 s budget" },
  );
  assert.equal(signal.reason.message, "Deadline of 60000 ms exceeded");
});

Deno.test("Deadline.dispose() cancels the signal's timer: it never aborts afterwards", async () => {
  const deadline = new Deadline(50);
  const signal = deadline.signal();
  deadline.dispose();
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(signal.aborted, false);
});

Deno.test("Deadline.signal() aborts on its clock's timer, at the time left", async () => {
  const clock = new FakeClock({ startMs: 1_000 });
  const deadline = new Deadline(500, { clock });
  await clock.advance(200);
  const signal = deadline.signal();
  await clock.advance(299);
  assert.equal(signal.aborted, false);
  await clock.advance(1);
  assert.ok(signal.aborted);
  assert.equal(signal.reason.code, "timeout");
  assert.equal(signal.reason.message, "Deadline of 500 ms exceeded");
});

Deno.test("Deadline.dispose() clears its timers on its clock", async () => {
  const clock = new FakeClock();
  const deadline = new Deadline(500, { clock });
  const signals = [deadline.signal(), deadline.signal()];
  assert.equal(clock.pending, 2);
  deadline.dispose();
  assert.equal(clock.pending, 0);
  await clock.advance(1_000);
  assert.ok(signals.every((signal) => !signal.aborted));
});
