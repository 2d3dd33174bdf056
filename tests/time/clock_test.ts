import assert from "node:assert/strict";
import { systemClock } from "../../lib/time/clock.ts";

Deno.test("systemClock.now() is Date.now()", () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});

Deno.test("systemClock timers fire in due-time order and clearTimeout() cancels one", async () => {
  const fired: string[] = [];
  const done = Promise.withResolvers<void>();
  systemClock.setTimeout(() => {
    fired.push("b");
    done.resolve();
  }, 20);
  systemClock.setTimeout(() => fired.push("a"), 1);
  const cancelled = systemClock.setTimeout(() => fired.push("cancelled"), 5);
  systemClock.clearTimeout(cancelled);
  systemClock.clearTimeout(undefined);
  await done.promise;
  assert.deepEqual(fired, ["a", "b"]);
});
