import assert from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";

Deno.test("FakeClock.advance() fires due timers in due-time order, ties in scheduling order", async () => {
  const clock = new FakeClock({ startMs: 100 });
  const fired: Array<[string, number]> = [];
  const at = (name: string) => () => fired.push([name, clock.now()]);
  clock.setTimeout(at("c"), 30);
  clock.setTimeout(at("a"), 10);
  clock.setTimeout(at("b1"), 20);
  clock.setTimeout(at("b2"), 20);
  clock.setTimeout(at("late"), 31);
  await clock.advance(30);
  assert.deepEqual(fired, [["a", 110], ["b1", 120], ["b2", 120], ["c", 130]]);
  assert.equal(clock.now(), 130);
  assert.equal(clock.pending, 1);
  assert.equal(clock.nextAtMs(), 131);
});

Deno.test("FakeClock.advance() fires nothing before it is called, and ends at the target", async () => {
  const clock = new FakeClock();
  let fired = 0;
  clock.setTimeout(() => fired++, 0);
  clock.setTimeout(() => fired++, -5);
  assert.equal(fired, 0, "never inside setTimeout");
  await clock.advance(0);
  assert.equal(fired, 2, "0 and negative delays fire at the next advance");
  await clock.advance(250);
  assert.equal(clock.now(), 250);
});

Deno.test("FakeClock.clearTimeout() cancels a timer; unknown handles are ignored", async () => {
  const clock = new FakeClock();
  let fired = 0;
  const handle = clock.setTimeout(() => fired++, 10);
  clock.clearTimeout(handle);
  clock.clearTimeout(handle);
  clock.clearTimeout(undefined);
  clock.clearTimeout(9_999);
  await clock.advance(100);
  assert.equal(fired, 0);
  assert.equal(clock.pending, 0);
});

Deno.test("FakeClock.advance() fires timers scheduled by timers, and settles promises between them", async () => {
  const clock = new FakeClock();
  const seen: string[] = [];
  // A loop in the style of repeatEvery: each round awaits a promise chain, then rearms.
  const round = async () => {
    await Promise.resolve();
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    seen.push(`round at ${clock.now()}`);
    clock.setTimeout(round, 10);
  };
  clock.setTimeout(round, 10);
  clock.setTimeout(() => seen.push("between at 15"), 15);
  await clock.advance(30);
  assert.deepEqual(seen, ["round at 10", "between at 15", "round at 20", "round at 30"]);
});

Deno.test("FakeClock.advance() runs every timer when one throws, then throws the first error", async () => {
  const clock = new FakeClock();
  let after = false;
  clock.setTimeout(() => {
    throw new Error("first");
  }, 1);
  clock.setTimeout(() => {
    throw new Error("second");
  }, 2);
  clock.setTimeout(() => after = true, 3);
  await assert.rejects(clock.advance(5), /first/);
  assert.ok(after);
  assert.equal(clock.now(), 5);
});

Deno.test("FakeClock.advance() refuses negative time and reports a runaway loop", async () => {
  const clock = new FakeClock();
  await assert.rejects(clock.advance(-1), RangeError);
  await assert.rejects(clock.advance(NaN), RangeError);
  const spin = () => void clock.setTimeout(spin, 0);
  spin();
  await assert.rejects(clock.advance(1), /runaway/);
});
