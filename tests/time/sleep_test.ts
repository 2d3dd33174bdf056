import assert from "node:assert/strict";
import { sleep } from "../../lib/time/sleep.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("sleep() resolves after the time asked, and at once for 0 or less", async () => {
  let started = performance.now();
  await sleep(30);
  assert.ok(performance.now() - started >= 29, "waited");
  started = performance.now();
  await sleep(0);
  await sleep(-5);
  assert.ok(performance.now() - started < 20, "did not wait");
});

Deno.test("sleep() rejects with the signal's reason as soon as it aborts, and clears its timer", async () => {
  const stop = new AbortController();
  const reason = new Error("caller gone");
  const started = performance.now();
  setTimeout(() => stop.abort(reason), 20);
  // A timer left pending would fail this test (the sanitizer checks for leaked timers).
  await assert.rejects(sleep(60_000, stop.signal), (err) => err === reason);
  assert.ok(performance.now() - started < 5_000);
});

Deno.test("sleep() rejects at once when the signal has already aborted", async () => {
  const stop = new AbortController();
  stop.abort(new Error("already"));
  const started = performance.now();
  await assert.rejects(sleep(60_000, stop.signal), /already/);
  await assert.rejects(sleep(0, stop.signal), /already/);
  assert.ok(performance.now() - started < 1_000);
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
