import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Admission,
  DEFAULT_TASK_RETENTION_MS,
  KvTaskStore,
  type TaskRecord,
} from "../../lib/store/task_store.ts";
import type { NodeResult, NodeTask } from "../../lib/protocol/types.ts";
import { exitWithin, withTimeout } from "../_helpers/with_timeout.ts";

const FP = "a".repeat(64);
const OTHER_FP = "b".repeat(64);

function task(id = "t1"): NodeTask {
  return {
    id,
    description: "add",
    context: { workspace: ".", session_key: "default", required_capabilities: [] },
  };
}

function result(id = "t1", response = "3"): NodeResult {
  return { task_id: id, response, task_completed: true, tool_calls: 1 };
}

/** Runs `fn` with the path of a KV file in a fresh temp dir, removed afterwards. */
async function withKvFile(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "swarm-task-store-" });
  try {
    await fn(join(dir, "swarm.kv"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` against a store over a real KV file, with process start 1000. */
async function withStore(
  fn: (store: KvTaskStore, kv: Deno.Kv, path: string) => Promise<void>,
): Promise<void> {
  await withKvFile(async (path) => {
    const kv = await Deno.openKv(path);
    try {
      await fn(new KvTaskStore(kv, { processStartedMs: 1000 }), kv, path);
    } finally {
      kv.close();
    }
  });
}

function kinds(admissions: Admission[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { kind } of admissions) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

Deno.test("KvTaskStore.begin() admits a first arrival as new and records it running", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await store.begin(task(), FP, 5000), { kind: "new" });
    const expected: TaskRecord = {
      id: "t1",
      fingerprint: FP,
      state: "running",
      nodeStartedMs: 1000,
      startedMs: 5000,
    };
    assert.deepEqual(await store.get("t1"), expected);
    assert.equal(await store.get("t2"), null);
  });
});

Deno.test("KvTaskStore.begin() answers a sequential duplicate of a running task with running", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP, 5000);
    const again = await store.begin(task(), FP, 6000);
    assert.equal(again.kind, "running");
    assert.equal(again.kind === "running" && again.record.startedMs, 5000);
  });
});

Deno.test("KvTaskStore.begin() admits exactly one of 20 concurrent duplicates as new", async () => {
  await withStore(async (store) => {
    const admissions = await Promise.all(
      Array.from({ length: 20 }, () => store.begin(task(), FP)),
    );
    assert.deepEqual(kinds(admissions), { new: 1, running: 19 });
  });
});

Deno.test("KvTaskStore.begin() admits exactly one as new across two handles on one KV file", async () => {
  // Two handles have separate in-process queues: only the atomic check keeps them apart.
  await withStore(async (store, _kv, path) => {
    const kv2 = await Deno.openKv(path);
    try {
      const store2 = new KvTaskStore(kv2, { processStartedMs: 1000 });
      for (const id of ["a", "b", "c", "d", "e"]) {
        const admissions = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? store : store2).begin(task(id), FP)),
        );
        assert.deepEqual(kinds(admissions), { new: 1, running: 9 }, `task ${id}`);
      }
    } finally {
      kv2.close();
    }
  });
});

Deno.test("KvTaskStore.begin() reports a reused id with another body as a conflict", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP);
    const running = await store.begin(task(), OTHER_FP);
    assert.equal(running.kind, "conflict");
    assert.equal(running.kind === "conflict" && running.record.fingerprint, FP);
    await store.finish("t1", result());
    assert.equal((await store.begin(task(), OTHER_FP)).kind, "conflict");
    assert.equal((await store.get("t1"))?.fingerprint, FP, "the record is untouched");
  });
});

Deno.test("KvTaskStore.finish() stores the result that a later begin() returns as done", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP, 5000);
    await store.finish("t1", result(), 7000);
    assert.deepEqual(await store.begin(task(), FP), { kind: "done", result: result() });
    const record = await store.get("t1");
    assert.equal(record?.state, "done");
    assert.equal(record?.finishedMs, 7000);
  });
});

Deno.test("KvTaskStore.finish() keeps the first result of a task", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP);
    await store.finish("t1", result("t1", "first"));
    await store.finish("t1", result("t1", "second"));
    assert.deepEqual(await store.begin(task(), FP), {
      kind: "done",
      result: result("t1", "first"),
    });
  });
});

Deno.test("KvTaskStore.finish() throws when the task has no record", async () => {
  await withStore(async (store) => {
    await assert.rejects(
      store.finish("nope", result("nope")),
      new Error("Cannot store the result of task 'nope': it has no record"),
    );
  });
});

Deno.test("KvTaskStore.abandon() forgets a running task so that it is admitted again", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP);
    await store.abandon("t1");
    assert.equal(await store.get("t1"), null);
    assert.deepEqual(await store.begin(task(), FP), { kind: "new" });
  });
});

Deno.test("KvTaskStore.abandon() keeps a done task and ignores an unknown one", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP);
    await store.finish("t1", result());
    await store.abandon("t1");
    await store.abandon("unknown");
    assert.deepEqual(await store.begin(task(), FP), { kind: "done", result: result() });
  });
});

Deno.test("KvTaskStore.setOwner() records the owner and throws without a running record", async () => {
  await withStore(async (store) => {
    await store.begin(task(), FP);
    await store.setOwner("t1", "peer-b");
    assert.equal((await store.get("t1"))?.owner, "peer-b");
    await store.setOwner("t1", "local");
    assert.equal((await store.get("t1"))?.owner, "local");
    await assert.rejects(
      store.setOwner("nope", "local"),
      new Error("Cannot set the owner of task 'nope': it has no running record"),
    );
    await store.finish("t1", result());
    await assert.rejects(store.setOwner("t1", "peer-c"), Error);
    assert.equal((await store.get("t1"))?.owner, "local");
  });
});

Deno.test("KvTaskStore.begin() after a restart returns done results and re-claims orphans once", async () => {
  await withKvFile(async (path) => {
    const before = await Deno.openKv(path);
    const first = new KvTaskStore(before, { processStartedMs: 1000 });
    await first.begin(task("done"), FP);
    await first.finish("done", result("done"));
    await first.begin(task("orphan"), FP, 1500);
    await first.setOwner("orphan", "peer-b");
    before.close();

    const after = await Deno.openKv(path);
    try {
      const second = new KvTaskStore(after, { processStartedMs: 2000 });
      assert.deepEqual(await second.begin(task("done"), FP), {
        kind: "done",
        result: result("done"),
      });
      const admissions = await Promise.all(
        Array.from({ length: 20 }, () => second.begin(task("orphan"), FP, 2500)),
      );
      assert.deepEqual(kinds(admissions), { orphaned: 1, running: 19 });
      const orphaned = admissions.find((a) => a.kind === "orphaned");
      assert.deepEqual(orphaned, {
        kind: "orphaned",
        record: {
          id: "orphan",
          fingerprint: FP,
          state: "running",
          owner: "peer-b",
          nodeStartedMs: 1000,
          startedMs: 1500,
        },
      });
      const claimed = await second.get("orphan");
      assert.equal(claimed?.nodeStartedMs, 2000);
      assert.equal(claimed?.startedMs, 2500);
      assert.equal(claimed?.owner, "peer-b", "the owner survives the re-claim");
      assert.equal((await second.begin(task("orphan"), OTHER_FP)).kind, "conflict");
    } finally {
      after.close();
    }
  });
});

Deno.test("KvTaskStore re-claims an orphan exactly once across two handles on one KV file", async () => {
  await withStore(async (store, _kv, path) => {
    await store.begin(task(), FP);
    const kvA = await Deno.openKv(path);
    const kvB = await Deno.openKv(path);
    try {
      const a = new KvTaskStore(kvA, { processStartedMs: 2000 });
      const b = new KvTaskStore(kvB, { processStartedMs: 2000 });
      const admissions = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).begin(task(), FP)),
      );
      assert.deepEqual(kinds(admissions), { orphaned: 1, running: 9 });
    } finally {
      kvA.close();
      kvB.close();
    }
  });
});

Deno.test("KvTaskStore keeps a finished result through a kill -9 of its process", async () => {
  await withKvFile(async (path) => {
    const storeUrl = new URL("../../lib/store/task_store.ts", import.meta.url).href;
    const script = `
      import { KvTaskStore } from ${JSON.stringify(storeUrl)};
      const kv = await Deno.openKv(${JSON.stringify(path)});
      const store = new KvTaskStore(kv, { processStartedMs: 1000 });
      await store.begin({ id: "done", description: "d", context: { workspace: ".", session_key: "s", required_capabilities: [] } }, "${FP}");
      await store.finish("done", { task_id: "done", response: "42", task_completed: true, tool_calls: 0 });
      await store.begin({ id: "running", description: "d", context: { workspace: ".", session_key: "s", required_capabilities: [] } }, "${FP}");
      await store.setOwner("running", "peer-x");
      console.log("ready");
      setInterval(() => {}, 1000);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-write", "--unstable-kv", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let output = "";
    await withTimeout(
      (async () => {
        while (!output.includes("ready\n")) {
          const { value, done } = await reader.read();
          if (done) break;
          output += value;
        }
      })(),
      {
        ms: 30_000,
        waitingFor: "the child writing the store to print ready",
        onTimeout: () => child.kill("SIGKILL"),
      },
    );
    assert.equal(output, "ready\n");
    child.kill("SIGKILL");
    const status = await exitWithin(child, {
      ms: 10_000,
      what: "the store child",
      after: "SIGKILL",
    });
    assert.equal(status.signal, "SIGKILL");
    await reader.cancel();

    const kv = await Deno.openKv(path);
    try {
      const store = new KvTaskStore(kv, { processStartedMs: 2000 });
      assert.deepEqual(await store.begin(task("done"), FP), {
        kind: "done",
        result: { task_id: "done", response: "42", task_completed: true, tool_calls: 0 },
      });
      const orphan = await store.begin(task("running"), FP);
      assert.equal(orphan.kind, "orphaned");
      assert.equal(orphan.kind === "orphaned" && orphan.record.owner, "peer-x");
    } finally {
      kv.close();
    }
  });
});

/**
 * A real KV handle that records the `expireIn` of every atomic `set`. Deno KV expires
 * records lazily (Deno 2.9.6 still returned a record set with `expireIn: 200` five
 * seconds later), so expiry itself cannot be observed within a test: the value handed
 * to KV is checked instead.
 */
function recordingExpiry(kv: Deno.Kv, expireIns: Array<number | undefined>): Deno.Kv {
  const wrapOp = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        if (prop === "set") {
          return (key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) => {
            expireIns.push(options?.expireIn);
            target.set(key, value, options);
            return proxy;
          };
        }
        const member = Reflect.get(target, prop, target);
        if (typeof member !== "function") return member;
        return (...args: unknown[]) => {
          const out = member.apply(target, args);
          return out === target ? proxy : out;
        };
      },
    });
    return proxy;
  };
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") return () => wrapOp(target.atomic());
      const member = Reflect.get(target, prop, target);
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
}

Deno.test("KvTaskStore writes every record with the retention as expireIn", async () => {
  await withStore(async (_store, kv) => {
    const expireIns: Array<number | undefined> = [];
    const store = new KvTaskStore(recordingExpiry(kv, expireIns), {
      retentionMs: 60_000,
      processStartedMs: 1000,
    });
    await store.begin(task(), FP);
    await store.setOwner("t1", "local");
    await store.finish("t1", result());
    assert.deepEqual(expireIns, [60_000, 60_000, 60_000]);
  });
});

Deno.test("KvTaskStore keeps records 24 h by default", async () => {
  await withStore(async (_store, kv) => {
    const expireIns: Array<number | undefined> = [];
    const store = new KvTaskStore(recordingExpiry(kv, expireIns), { processStartedMs: 1000 });
    await store.begin(task(), FP);
    assert.equal(DEFAULT_TASK_RETENTION_MS, 86_400_000);
    assert.deepEqual(expireIns, [86_400_000]);
  });
});

Deno.test("KvTaskStore() rejects a bad retention or process start with a RangeError", async () => {
  await withStore((_store, kv) => {
    for (const retentionMs of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new KvTaskStore(kv, { retentionMs, processStartedMs: 1 }), RangeError);
    }
    for (const processStartedMs of [-1, NaN, Infinity]) {
      assert.throws(() => new KvTaskStore(kv, { processStartedMs }), RangeError);
    }
    return Promise.resolve();
  });
});
