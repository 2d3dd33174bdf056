import assert from "node:assert/strict";
import { repeatEvery } from "../../lib/time/repeat_every.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

Deno.test("repeatEvery() runs a round at once, then intervalMs after each round ends", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const finish: Array<() => void> = [];
  const loop = repeatEvery(100, () => {
    starts.push(clock.now());
    // The round takes 30 ms of clock time: it ends when the test says so.
    return new Promise<void>((resolve) => finish.push(resolve));
  }, clock);
  await clock.advance(0);
  assert.deepEqual(starts, [0]);
  await clock.advance(30);
  finish.shift()!();
  await clock.advance(99);
  assert.deepEqual(starts, [0], "the pause counts from the end of the round");
  await clock.advance(1);
  assert.deepEqual(starts, [0, 130]);
  await clock.advance(500);
  assert.deepEqual(starts, [0, 130], "rounds never overlap");
  finish.shift()!();
  await clock.advance(100);
  assert.deepEqual(starts, [0, 130, 730]);
  loop.stop();
});

Deno.test("repeatEvery() keeps going after a round throws or rejects", async () => {
  const clock = new FakeClock();
  let rounds = 0;
  const loop = repeatEvery(10, () => {
    rounds++;
    if (rounds === 1) throw new Error("sync");
    return Promise.reject(new Error("async"));
  }, clock);
  await clock.advance(35);
  assert.equal(rounds, 4);
  loop.stop();
});

Deno.test("repeatEvery() stop() leaves no timer and starts no round, even mid-round", async () => {
  const clock = new FakeClock();
  let rounds = 0;
  let finish!: () => void;
  const loop = repeatEvery(10, () => {
    rounds++;
    return new Promise<void>((resolve) => finish = resolve);
  }, clock);
  await clock.advance(0);
  loop.stop();
  finish();
  await clock.advance(100);
  assert.equal(rounds, 1);
  assert.equal(clock.pending, 0);

  const idle = repeatEvery(10, () => Promise.resolve(void rounds++), clock);
  idle.stop();
  await clock.advance(100);
  assert.equal(rounds, 1, "stopped before its first round");
  assert.equal(clock.pending, 0);
});
