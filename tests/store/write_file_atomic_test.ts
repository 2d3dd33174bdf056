import assert from "node:assert/strict";
import { join } from "node:path";
import { followLinks, MAX_LINK_HOPS } from "../../lib/store/follow_links.ts";
import { writeFileAtomic } from "../../lib/store/write_file_atomic.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";

const modeOf = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("writeFileAtomic() creates the file with mode 0600 by default and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a.json");
    await writeFileAtomic(path, "héllo");
    assert.equal(await Deno.readTextFile(path), "héllo");
    assert.equal(await modeOf(path), 0o600);
    assert.deepEqual(await entries(dir), ["a.json"]);
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]), { mode: 0o644 });
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.equal(await modeOf(path), 0o644);
  });
});

Deno.test("writeFileAtomic() replaces an existing file by rename, with exactly the mode asked", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "node.key");
    await Deno.writeTextFile(path, "old");
    await Deno.chmod(path, 0o666);
    const before = (await Deno.stat(path)).ino;
    await writeFileAtomic(path, "new", { mode: 0o600 });
    assert.equal(await Deno.readTextFile(path), "new");
    assert.equal(await modeOf(path), 0o600);
    assert.notEqual((await Deno.stat(path)).ino, before, "renamed over, not rewritten in place");
    assert.deepEqual(await entries(dir), ["node.key"]);
  });
});

Deno.test("writeFileAtomic() never clobbers without overwrite, a dangling link included", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "node.key");
    await writeFileAtomic(path, "first", { mode: 0o600, overwrite: false });
    assert.equal(await modeOf(path), 0o600);
    await assert.rejects(
      writeFileAtomic(path, "second", { mode: 0o600, overwrite: false }),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(path), "first");
    const dangling = join(dir, "dangling.key");
    await Deno.symlink(join(dir, "nowhere"), dangling);
    await assert.rejects(
      writeFileAtomic(dangling, "x", { overwrite: false }),
      Deno.errors.AlreadyExists,
    );
    assert.deepEqual(await entries(dir), ["dangling.key", "node.key"]);
  });
});

Deno.test("writeFileAtomic() of concurrent no-clobber writers lets exactly one win", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "node-id");
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => writeFileAtomic(path, `w${i}`, { overwrite: false })),
    );
    const won = results.flatMap((r, i) => r.status === "fulfilled" ? [`w${i}`] : []);
    assert.equal(won.length, 1);
    assert.equal(await Deno.readTextFile(path), won[0]);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof Deno.errors.AlreadyExists);
    }
    assert.deepEqual(await entries(dir), ["node-id"]);
  });
});

Deno.test("writeFileAtomic() replaces a symlink itself unless told to follow it", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "target"), "target");
    const path = join(dir, "node.crt");
    await Deno.symlink(join(dir, "target"), path);
    await writeFileAtomic(path, "third", { mode: 0o644 });
    assert.equal(await Deno.readTextFile(join(dir, "target")), "target");
    assert.ok((await Deno.lstat(path)).isFile);
    assert.equal(await Deno.readTextFile(path), "third");
    assert.equal(await modeOf(path), 0o644);
    assert.deepEqual(await entries(dir), ["node.crt", "target"]);
  });
});

Deno.test("writeFileAtomic() with followSymlinks replaces the target through every hop and keeps the links", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "real"));
    await Deno.writeTextFile(join(dir, "real/keyring.json"), "old");
    await Deno.symlink("real/keyring.json", join(dir, "link.json"));
    await Deno.symlink("link.json", join(dir, "link2.json")); // Two hops.
    await writeFileAtomic(join(dir, "link2.json"), "new", { followSymlinks: true });
    assert.ok((await Deno.lstat(join(dir, "link.json"))).isSymlink);
    assert.ok((await Deno.lstat(join(dir, "link2.json"))).isSymlink);
    assert.equal(await Deno.readTextFile(join(dir, "real/keyring.json")), "new");
    assert.equal(await modeOf(join(dir, "real/keyring.json")), 0o600);
    assert.deepEqual(await entries(join(dir, "real")), ["keyring.json"]);
    await Deno.symlink("loop-b", join(dir, "loop-a"));
    await Deno.symlink("loop-a", join(dir, "loop-b"));
    await assert.rejects(
      writeFileAtomic(join(dir, "loop-a"), "x", { followSymlinks: true }),
      /more than 16 symlinks/,
    );
  });
});

Deno.test("writeFileAtomic() removes its temporary file when the rename or link fails", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "busy");
    await Deno.mkdir(join(target, "child"), { recursive: true });
    await assert.rejects(writeFileAtomic(target, "{}"), Deno.errors.IsADirectory);
    await assert.rejects(
      writeFileAtomic(target, "{}", { overwrite: false }),
      Deno.errors.AlreadyExists,
    );
    assert.deepEqual(await entries(dir), ["busy"]);
  });
});

Deno.test("writeFileAtomic() flushes the file before it is placed and the directory after", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "keyring.json");
    await Deno.writeTextFile(path, "old");
    const synced: { kind: string; visible: string }[] = [];
    const original = Deno.FsFile.prototype.sync;
    Deno.FsFile.prototype.sync = async function (this: Deno.FsFile) {
      const info = await this.stat();
      // What a reader of `path` sees when this flush happens.
      synced.push({
        kind: info.isDirectory ? "directory" : "file",
        visible: await Deno.readTextFile(path),
      });
      return original.call(this);
    };
    try {
      await writeFileAtomic(path, "new");
      await writeFileAtomic(join(dir, "fresh"), "x", { overwrite: false });
    } finally {
      Deno.FsFile.prototype.sync = original;
    }
    assert.deepEqual(synced, [
      { kind: "file", visible: "old" },
      { kind: "directory", visible: "new" },
      { kind: "file", visible: "new" },
      { kind: "directory", visible: "new" },
    ]);
  });
});

Deno.test("followLinks() follows relative and absolute hops and stops at a missing last hop", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "sub"));
    await Deno.symlink("sub/missing.json", join(dir, "rel"));
    await Deno.symlink(join(dir, "rel"), join(dir, "abs"));
    assert.equal(await followLinks(join(dir, "abs")), join(dir, "sub/missing.json"));
    assert.equal(await followLinks(join(dir, "plain")), join(dir, "plain"));
    // A long chain is followed; a chain past MAX_LINK_HOPS is taken for a loop.
    let name = "end";
    for (let i = 0; i <= MAX_LINK_HOPS; i++) {
      await Deno.symlink(name, join(dir, `hop${i}`));
      name = `hop${i}`;
    }
    assert.equal(await followLinks(join(dir, "hop10")), join(dir, "end"));
    await assert.rejects(followLinks(join(dir, name)), /more than 16 symlinks/);
  });
});
