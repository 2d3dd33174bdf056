import assert from "node:assert/strict";
import { join } from "node:path";
import { ReleaseLog } from "../../lib/sync/release_log.ts";
import { SyncRefusalError } from "../../lib/sync/sync_refusal_error.ts";
import type { Envelope } from "../../lib/sync/types.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const envelope = (n: number): Envelope => ({
  payloadType: "application/vnd.in-toto+json",
  payload: btoa(`payload ${n}`),
  signatures: [{ keyid: "k", sig: btoa("s") }],
});
const digest = (n: number) => n.toString(16).padStart(64, "0");

Deno.test("ReleaseLog keeps each release once, and again after a reopen", async () => {
  await withTempDir(async (root) => {
    const log = await ReleaseLog.open(root);
    assert.equal(await log.add(digest(2), envelope(2)), "new");
    assert.equal(await log.add(digest(1), envelope(1)), "new");
    assert.equal(await log.add(digest(2), envelope(99)), "duplicate");
    assert.deepEqual(log.digests(), [digest(1), digest(2)]);
    assert.deepEqual(await log.get(digest(2)), envelope(2));
    assert.equal(await log.get(digest(3)), undefined);
    const reopened = await ReleaseLog.open(root);
    assert.deepEqual(reopened.digests(), [digest(1), digest(2)]);
    assert.ok(reopened.has(digest(1)) && !reopened.has(digest(3)));
    assert.equal(await reopened.add(digest(1), envelope(1)), "duplicate");
  });
});

Deno.test("ReleaseLog ignores a temporary file left by a crash", async () => {
  await withTempDir(async (root) => {
    await ReleaseLog.open(root);
    await Deno.writeTextFile(join(root, "log", `.${digest(5)}.json.tmp-123`), "{");
    await Deno.writeTextFile(join(root, "log", "not-a-digest.json"), "{}");
    assert.deepEqual((await ReleaseLog.open(root)).digests(), []);
  });
});

Deno.test("ReleaseLog refuses beyond its limit and a digest that is not a SHA-256", async () => {
  await withTempDir(async (root) => {
    const log = await ReleaseLog.open(root, { maxReleases: 2 });
    await log.add(digest(1), envelope(1));
    await log.add(digest(2), envelope(2));
    await assert.rejects(
      () => log.add(digest(3), envelope(3)),
      (err) =>
        err instanceof SyncRefusalError && err.reason === "oversize" &&
        /limit of 2/.test(err.message),
    );
    assert.equal(await log.add(digest(2), envelope(2)), "duplicate");
    await assert.rejects(
      () => log.add("../../etc/passwd", envelope(4)),
      (err) => err instanceof SyncRefusalError && err.reason === "malformed",
    );
  });
});
