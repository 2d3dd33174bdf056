import assert from "node:assert/strict";
import { KvEntryUpdates, MAX_COMMIT_ATTEMPTS } from "../../lib/store/_kv_update.ts";

/** Adds one to the counter of `id`. */
const increment = (updates: KvEntryUpdates<number>, id: string) =>
  updates.update(id, (old) => ({ next: (old ?? 0) + 1, answer: (old ?? 0) + 1 }));

Deno.test("KvEntryUpdates.update() loses no increment of one id under 30 concurrent updates", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const updates = new KvEntryUpdates<number>(kv, ["n"], { noun: "counter" });
    const answers = await Promise.all(Array.from({ length: 30 }, () => increment(updates, "a")));
    assert.deepEqual(answers, Array.from({ length: 30 }, (_, i) => i + 1), "run in call order");
    assert.equal((await kv.get(["n", "a"])).value, 30);
  } finally {
    kv.close();
  }
});

Deno.test("KvEntryUpdates.update() loses no increment across two handles on one KV file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-kv-update-" });
  const a = await Deno.openKv(`${dir}/kv.sqlite`);
  const b = await Deno.openKv(`${dir}/kv.sqlite`);
  try {
    const ua = new KvEntryUpdates<number>(a, ["n"], { noun: "counter" });
    const ub = new KvEntryUpdates<number>(b, ["n"], { noun: "counter" });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => increment(i % 2 ? ua : ub, "x")),
    );
    assert.equal((await a.get(["n", "x"])).value, 20);
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvEntryUpdates.update() writes nothing without next, deletes on null, sets expireIn", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const updates = new KvEntryUpdates<string>(kv, ["t"], { noun: "task", expireInMs: 60_000 });
    assert.equal(await updates.update("1", () => ({ next: "v", answer: "set" })), "set");
    const before = await kv.get(["t", "1"]);
    assert.equal(await updates.update("1", (old) => ({ answer: old })), "v");
    assert.equal((await kv.get(["t", "1"])).versionstamp, before.versionstamp, "not rewritten");
    await updates.update("1", () => ({ next: null, answer: undefined }));
    assert.equal((await kv.get(["t", "1"])).value, null);
  } finally {
    kv.close();
  }
  // expireIn reaches the commit (Deno KV's expiry itself is lazy, so it is seen there).
  const sets: unknown[] = [];
  const fake = fakeKv({ onSet: (options) => sets.push(options) });
  await new KvEntryUpdates<string>(fake, ["t"], { noun: "task", expireInMs: 60_000 })
    .update("1", () => ({ next: "v", answer: undefined }));
  await new KvEntryUpdates<string>(fake, ["p"], { noun: "peer" })
    .update("1", () => ({ next: "v", answer: undefined }));
  assert.deepEqual(sets, [{ expireIn: 60_000 }, undefined]);
});

Deno.test("KvEntryUpdates.update() rejects when change throws and runs the next update of that id", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const updates = new KvEntryUpdates<number>(kv, ["n"], { noun: "counter" });
    const failed = updates.update("a", () => {
      throw new Error("no");
    });
    const next = increment(updates, "a");
    await assert.rejects(failed, /^Error: no$/);
    assert.equal(await next, 1);
  } finally {
    kv.close();
  }
});

Deno.test("KvEntryUpdates.update() retries a lost check and a busy database, and re-runs change on the fresh value", async () => {
  const outcomes: Array<"lost" | "locked" | "ok"> = ["lost", "locked", "ok"];
  const seen: Array<number | null> = [];
  let stored = 0;
  const fake = fakeKv({
    get: () => stored,
    commit: () => {
      const outcome = outcomes.shift()!;
      if (outcome === "locked") throw new Error("database is locked");
      if (outcome === "lost") stored += 10; // Another handle wrote in between.
      return outcome === "ok";
    },
  });
  const updates = new KvEntryUpdates<number>(fake, ["n"], { noun: "counter" });
  const answer = await updates.update("a", (old) => {
    seen.push(old);
    return { next: (old ?? 0) + 1, answer: old };
  });
  assert.deepEqual(seen, [0, 10, 10]);
  assert.equal(answer, 10);
});

Deno.test("KvEntryUpdates.update() passes on errors other than a busy database", async () => {
  const fake = fakeKv({
    commit: () => {
      throw new Error("disk full");
    },
  });
  const updates = new KvEntryUpdates<number>(fake, ["n"], { noun: "counter" });
  await assert.rejects(increment(updates, "a"), /disk full/);
});

Deno.test("KvEntryUpdates.update() gives up after MAX_COMMIT_ATTEMPTS lost races", async () => {
  let commits = 0;
  const fake = fakeKv({
    commit: () => {
      commits++;
      return false;
    },
  });
  const updates = new KvEntryUpdates<number>(fake, ["peers"], { noun: "peer" });
  await assert.rejects(increment(updates, "p1"), {
    message: "Cannot update peer 'p1': too much contention",
  });
  assert.equal(commits, MAX_COMMIT_ATTEMPTS);
});

interface FakeKvOptions {
  /** The value every read sees. */
  get?: () => number | null;
  /** Whether a commit's check holds; may throw. */
  commit?: () => boolean;
  /** Sees the options of every `set`. */
  onSet?: (options: unknown) => void;
}

/** The part of `Deno.Kv` that `KvEntryUpdates` uses, scripted. */
function fakeKv(options: FakeKvOptions): Deno.Kv {
  const { get = () => null, commit = () => true, onSet = () => {} } = options;
  const op = {
    check: () => op,
    set: (_key: Deno.KvKey, _value: unknown, setOptions?: unknown) => {
      onSet(setOptions);
      return op;
    },
    delete: () => op,
    commit: () => Promise.resolve(commit() ? { ok: true } : { ok: false }),
  };
  return {
    get: (key: Deno.KvKey) =>
      Promise.resolve({ key, value: get(), versionstamp: get() === null ? null : "1" }),
    atomic: () => op,
  } as unknown as Deno.Kv;
}
