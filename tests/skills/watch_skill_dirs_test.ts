import assert from "node:assert/strict";
import { watchSkillDirs } from "../../lib/skills/watch_skill_dirs.ts";

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
    await done;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchSkillDirs() returns at once when no directory exists", async () => {
  await watchSkillDirs(["/nonexistent/skills"], () => Promise.reject(new Error("called")), {
    signal: new AbortController().signal,
  });
});
