import assert from "node:assert/strict";
import { join } from "node:path";
import { loadNodeId, NODE_ID_FILE } from "../../lib/node/identity.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("loadNodeId() creates a UUID in <dataDir>/node-id on first call", async () => {
  await withTempDir(async (dir) => {
    const id = await loadNodeId(dir);
    assert.match(id, UUID);
    assert.equal(await Deno.readTextFile(join(dir, NODE_ID_FILE)), `${id}\n`);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, [NODE_ID_FILE], "no temporary file is left behind");
  });
});

Deno.test("loadNodeId() returns the same id on every later call", async () => {
  await withTempDir(async (dir) => {
    const first = await loadNodeId(dir);
    assert.equal(await loadNodeId(dir), first);
    assert.equal(await loadNodeId(dir), first);
  });
});

Deno.test("loadNodeId() writes the id file readable by its owner only", async () => {
  await withTempDir(async (dir) => {
    await loadNodeId(dir);
    const { mode } = await Deno.stat(join(dir, NODE_ID_FILE));
    assert.equal(mode! & 0o777, 0o600);
  });
});

Deno.test("loadNodeId() reads an existing id, ignoring surrounding whitespace", async () => {
  await withTempDir(async (dir) => {
    const id = "0b4d5e6f-1a2b-4c3d-8e9f-001122334455";
    await Deno.writeTextFile(join(dir, NODE_ID_FILE), `  ${id}\n\n`);
    assert.equal(await loadNodeId(dir), id);
  });
});

for (const content of ["", "not-a-uuid", "0B4D5E6F-1A2B-4C3D-8E9F-001122334455x", "{}"]) {
  Deno.test(`loadNodeId() refuses a corrupt id file holding ${JSON.stringify(content)}`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, NODE_ID_FILE);
      await Deno.writeTextFile(path, content);
      await assert.rejects(
        () => loadNodeId(dir),
        new RegExp(`^Error: Node id file '${RegExp.escape(path)}' is corrupt: expected a UUID$`),
      );
      assert.equal(await Deno.readTextFile(path), content, "the file is left for the operator");
    });
  });
}

Deno.test("loadNodeId() gives a fresh id on every call with :memory:", async () => {
  const a = await loadNodeId(":memory:");
  const b = await loadNodeId(":memory:");
  assert.match(a, UUID);
  assert.match(b, UUID);
  assert.notEqual(a, b);
});

Deno.test("loadNodeId() rejects when the data dir does not exist", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(() => loadNodeId(join(dir, "missing")), Deno.errors.NotFound);
  });
});

Deno.test("loadNodeId() gives every concurrent first caller the id that was kept", async () => {
  await withTempDir(async (dir) => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => loadNodeId(dir)));
    const kept = (await Deno.readTextFile(join(dir, NODE_ID_FILE))).trim();
    assert.deepEqual(ids, Array(5).fill(kept));
  });
});
