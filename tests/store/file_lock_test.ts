import assert from "node:assert/strict";
import { join } from "node:path";
import { withFileLock } from "../../lib/store/file_lock.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";

Deno.test("withFileLock() runs edits of one file one at a time", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "data.json");
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 8 }, () =>
      withFileLock(path, async () => {
        most = Math.max(most, ++inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
      })));
    assert.equal(most, 1);
  });
});

Deno.test("withFileLock() returns what the edit returns and releases the lock when it throws", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "data.json");
    await assert.rejects(
      withFileLock(path, () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await withFileLock(path, () => 42), 42);
  });
});

Deno.test("withFileLock() locks .NAME.lock beside the real file, mode 0600, through a link", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "real"));
    await Deno.symlink(join(dir, "real", "data.json"), join(dir, "link.json"));
    await withFileLock(join(dir, "link.json"), () => {});
    assert.deepEqual(await entries(join(dir, "real")), [".data.json.lock"]);
    assert.equal((await Deno.stat(join(dir, "real", ".data.json.lock"))).mode! & 0o777, 0o600);
  });
});

Deno.test("withFileLock() fails when the file's directory does not exist", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      withFileLock(join(dir, "missing", "data.json"), () => {}),
      Deno.errors.NotFound,
    );
  });
});
