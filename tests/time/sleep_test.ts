import assert from "node:assert/strict";
import { sleep } from "../../lib/time/sleep.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

Deno.test("sleep() resolves after the time asked, and at once for 0 or less", async () => {
  const clock = new FakeClock();
  let done = false;
  const waiting = sleep(30, undefined, clock).then(() => done = true);
  await clock.advance(29);
  assert.equal(done, false, "resolved early");
  await clock.advance(1);
  await waiting;
  // 0 and less: settled with no timer and no time passing.
  const settled: string[] = [];
  const zero = sleep(0, undefined, clock).then(() => settled.push("0"));
  const negative = sleep(-5, undefined, clock).then(() => settled.push("-5"));
  assert.equal(clock.pending, 0, "no timer for 0 or less");
  await clock.flush();
  assert.deepEqual(settled, ["0", "-5"]);
  await Promise.all([zero, negative]);
});

Deno.test("sleep() on the system clock waits at least the time asked", async () => {
  const started = performance.now();
  await sleep(30);
  // A lower bound only: timers never fire early; how late they fire is the machine's.
  assert.ok(performance.now() - started >= 29, "waited");
});

Deno.test("sleep() rejects with the signal's reason as soon as it aborts, and clears its timer", async () => {
  const stop = new AbortController();
  const reason = new Error("caller gone");
  setTimeout(() => stop.abort(reason), 20);
  // A timer left pending would fail this test (the sanitizer checks for leaked timers);
  // the bound is far below the 60 s sleep, so only the abort can end it in time.
  await assert.rejects(
    withTimeout(sleep(60_000, stop.signal), {
      ms: 10_000,
      waitingFor: "a 60 s sleep to end on its signal's abort",
    }),
    (err) => err === reason,
  );
});

Deno.test("sleep() rejects at once when the signal has already aborted", async () => {
  const stop = new AbortController();
  stop.abort(new Error("already"));
  const clock = new FakeClock();
  // Rejected with no time passing and no timer started.
  await assert.rejects(sleep(60_000, stop.signal, clock), /already/);
  await assert.rejects(sleep(0, stop.signal, clock), /already/);
  assert.equal(clock.pending, 0);
});

Deno.test("sleep() removes its abort listener when the time is up", async () => {
  const stop = new AbortController();
  const listening = new Set<EventListenerOrEventListenerObject>();
  const { signal } = stop;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) => {
    listening.add(listener);
    add(type, listener, options);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: EventListenerOrEventListenerObject) => {
    listening.delete(listener);
    remove(type, listener);
  }) as typeof signal.removeEventListener;
  for (let i = 0; i < 5; i++) await sleep(1, signal);
  assert.equal(listening.size, 0);
  stop.abort(); // Nothing is listening any more: no late rejection.
});

Deno.test("sleep() waits on the clock it is given", async () => {
  const clock = new FakeClock();
  let done = false;
  const waiting = sleep(1_000, undefined, clock).then(() => done = true);
  await clock.advance(999);
  assert.equal(done, false);
  await clock.advance(1);
  await waiting;
  assert.equal(done, true);
  assert.equal(clock.pending, 0);
});

Deno.test("sleep() clears its clock timer when the signal aborts", async () => {
  const clock = new FakeClock();
  const stop = new AbortController();
  const waiting = sleep(1_000, stop.signal, clock);
  assert.equal(clock.pending, 1);
  stop.abort(new Error("gone"));
  await assert.rejects(waiting, /gone/);
  assert.equal(clock.pending, 0);
});
