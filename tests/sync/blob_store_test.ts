import assert from "node:assert/strict";
import { join } from "node:path";
import { BlobStore } from "../../lib/sync/mod.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import { refusal, sha256Hex } from "./_release_fixture.ts";

const encoder = new TextEncoder();

/** A stream of `count` chunks of `chunkSize` bytes each, all `fill`, counting reads. */
function chunkStream(count: number, chunkSize: number, fill = 7) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === count) return controller.close();
      seen.pulled++;
      controller.enqueue(new Uint8Array(chunkSize).fill(fill));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 }); // Nothing is pulled before the store reads.
  return { stream, seen };
}

Deno.test("BlobStore.put() stores bytes under their SHA-256 and reads them back", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const bytes = encoder.encode("print('hi')\n");
    const sha256 = sha256Hex(bytes);
    assert.equal(await store.has(sha256), false);
    const result = await store.put(bytes, { sha256, size: bytes.length });
    assert.deepEqual(result, { written: true, path: join(root, "blobs", "sha256", sha256) });
    assert.equal(await store.has(sha256), true);
    assert.equal(await store.size(sha256), bytes.length);
    assert.deepEqual(await new Response(await store.read(sha256)).bytes(), bytes);
    assert.equal((await Deno.stat(result.path)).mode! & 0o777, 0o644);
    assert.deepEqual(await entries(store.dir), [sha256]);
  });
});

Deno.test("BlobStore.put() streams a large blob chunk by chunk", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const chunk = 64 * 1024;
    const count = 64; // 4 MiB
    const whole = new Uint8Array(chunk * count).fill(7);
    const sha256 = sha256Hex(whole);
    const { stream, seen } = chunkStream(count, chunk);
    const result = await store.put(stream, { sha256, size: whole.length });
    assert.equal(result.written, true);
    assert.equal(seen.pulled, count);
    assert.equal(await store.size(sha256), whole.length);
  });
});

Deno.test("BlobStore.put() refuses content whose hash differs: hash_mismatch, nothing kept", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const bytes = encoder.encode("tampered");
    const sha256 = sha256Hex(encoder.encode("original"));
    const err = await refusal(store.put(bytes, { sha256, size: bytes.length }));
    assert.equal(err.reason, "hash_mismatch");
    assert.equal(await store.has(sha256), false);
    assert.deepEqual(await entries(store.dir), []);
  });
});

Deno.test("BlobStore.put() refuses a shorter stream than stated: hash_mismatch", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const bytes = encoder.encode("short");
    const err = await refusal(
      store.put(bytes, { sha256: sha256Hex(bytes), size: bytes.length + 1 }),
    );
    assert.equal(err.reason, "hash_mismatch");
    assert.deepEqual(await entries(store.dir), []);
  });
});

Deno.test("BlobStore.put() cuts off a stream longer than stated: oversize, rest unread", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const { stream, seen } = chunkStream(1000, 1024);
    const err = await refusal(store.put(stream, { sha256: "a".repeat(64), size: 4096 }));
    assert.equal(err.reason, "oversize");
    assert.ok(seen.pulled <= 6, `pulled ${seen.pulled} chunks`);
    assert.equal(seen.cancelled, true);
    assert.deepEqual(await entries(store.dir), []);
  });
});

Deno.test("BlobStore.put() refuses a stated size over maxBytes before reading: oversize", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const { stream, seen } = chunkStream(10, 1024);
    const err = await refusal(
      store.put(stream, { sha256: "b".repeat(64), size: 10 * 1024, maxBytes: 1024 }),
    );
    assert.equal(err.reason, "oversize");
    assert.equal(seen.pulled, 0);
    assert.equal(seen.cancelled, true);
  });
});

Deno.test("BlobStore.put() keeps a blob already present and does not read the source", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const whole = new Uint8Array(2048).fill(7);
    const sha256 = sha256Hex(whole);
    await store.put(whole, { sha256, size: whole.length });
    const before = await Deno.stat(store.path(sha256));
    const { stream, seen } = chunkStream(2, 1024);
    const result = await store.put(stream, { sha256, size: whole.length });
    assert.equal(result.written, false);
    assert.equal(seen.pulled, 0);
    assert.equal(seen.cancelled, true);
    assert.equal((await Deno.stat(store.path(sha256))).ino, before.ino);
  });
});

Deno.test("BlobStore.put() removes its temporary file when aborted", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const controller = new AbortController();
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++pulls === 3) controller.abort(new Error("stop"));
        c.enqueue(new Uint8Array(10));
      },
    });
    await assert.rejects(
      store.put(stream, { sha256: "c".repeat(64), size: 1000, signal: controller.signal }),
      /stop/,
    );
    assert.deepEqual(await entries(store.dir), []);
  });
});

Deno.test("BlobStore.open() sweeps temporary files an interrupted put left", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    const bytes = encoder.encode("kept");
    const sha256 = sha256Hex(bytes);
    await store.put(bytes, { sha256, size: bytes.length });
    await Deno.writeTextFile(join(store.dir, ".tmp-0123456789abcdef"), "half a blob");
    await BlobStore.open(root);
    assert.deepEqual(await entries(store.dir), [sha256]);
  });
});

Deno.test("BlobStore refuses addresses that are not 64 lowercase hex digits", async () => {
  await withTempDir(async (root) => {
    const store = await BlobStore.open(root);
    for (const bad of ["../x", "A".repeat(64), "a".repeat(63), `${"a".repeat(63)}/`]) {
      assert.throws(() => store.path(bad), TypeError, bad);
      await assert.rejects(store.put(new Uint8Array(), { sha256: bad, size: 0 }), TypeError);
    }
  });
});
