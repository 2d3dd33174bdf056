import assert from "node:assert/strict";
import { withWorkDir } from "../../lib/execution/work_dir.ts";

async function entries(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
}

Deno.test("withWorkDir() gives a fresh private directory and removes it afterwards", async () => {
  const parent = await Deno.makeTempDir();
  const root = `${parent}/work/root`; // created on demand
  try {
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      await withWorkDir(root, async (dir) => {
        seen.push(dir);
        assert.ok(dir.startsWith(`${await Deno.realPath(root)}/task-`));
        assert.deepEqual(await entries(dir), []);
        assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
        await Deno.mkdir(`${dir}/sub/deeper`, { recursive: true });
        await Deno.writeTextFile(`${dir}/sub/deeper/f.txt`, "x");
      });
    }
    assert.notEqual(seen[0], seen[1]);
    assert.deepEqual(await entries(root), []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("withWorkDir() removes the directory when the work throws, and rethrows", async () => {
  const root = await Deno.makeTempDir();
  try {
    let used = "";
    await assert.rejects(
      () =>
        withWorkDir(root, async (dir) => {
          used = dir;
          await Deno.writeTextFile(`${dir}/f`, "x");
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.ok(used !== "");
    assert.deepEqual(await entries(root), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withWorkDir() removes read-only subdirectories a task left", async () => {
  const root = await Deno.makeTempDir();
  try {
    const value = await withWorkDir(root, async (dir) => {
      await Deno.mkdir(`${dir}/locked`);
      await Deno.writeTextFile(`${dir}/locked/f`, "x");
      await Deno.chmod(`${dir}/locked`, 0o500);
      return 42;
    });
    assert.equal(value, 42);
    assert.deepEqual(await entries(root), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
