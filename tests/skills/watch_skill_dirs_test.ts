import assert from "node:assert/strict";
import { watchSkillDirs } from "../../lib/skills/watch_skill_dirs.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

Deno.test("watchSkillDirs() reports a burst of changes once, after it settles", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  let calls = 0;
  const changed = Promise.withResolvers<void>();
  const done = watchSkillDirs([dir, `${dir}/missing`], () => {
    calls++;
    changed.resolve();
    return Promise.resolve();
  }, { signal: controller.signal, debounceMs: 150 });
  try {
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) await Deno.writeTextFile(`${dir}/f${i}`, "x");
    const timer = setTimeout(() => changed.reject(new Error("no change reported")), 5_000);
    await changed.promise;
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(calls, 1);
  } finally {
    controller.abort();
    await withTimeout(done, { ms: 10_000, waitingFor: "watchSkillDirs() to stop on abort" });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchSkillDirs() returns at once when no directory exists, watching nothing", async () => {
  let calls = 0;
  // The signal never aborts: only returning by itself ends the wait in time.
  const watching = watchSkillDirs(["/nonexistent/skills", "/nonexistent/more"], () => {
    calls++;
    return Promise.resolve();
  }, { signal: new AbortController().signal });
  assert.equal(
    await withTimeout(watching, {
      ms: 5_000,
      waitingFor: "watchSkillDirs() of missing directories to return",
    }),
    undefined,
  );
  assert.equal(calls, 0, "onChange was called");
  // No watcher was left open (the resource sanitizer would fail the test otherwise).
});
