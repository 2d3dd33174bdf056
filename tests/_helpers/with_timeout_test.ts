import assert from "node:assert/strict";
import { exitWithin, fetchWithin, outputWithin, WaitTimeout, withTimeout } from "./with_timeout.ts";
import { killOnExit } from "./child_processes.ts";

/** A matcher for a {@link WaitTimeout} naming `waitingFor`. */
const timedOut = (waitingFor: string, ms: number) => (err: unknown) => {
  assert.ok(err instanceof WaitTimeout, `expected a WaitTimeout, got ${err}`);
  assert.equal(err.waitingFor, waitingFor);
  assert.equal(err.ms, ms);
  assert.equal(err.message, `Waited ${ms} ms for ${waitingFor}: it did not happen`);
  return true;
};

Deno.test("withTimeout() passes on what the promise settles with", async () => {
  assert.equal(await withTimeout(Promise.resolve(7), { ms: 1_000, waitingFor: "seven" }), 7);
  await assert.rejects(
    withTimeout(Promise.reject(new RangeError("own")), { ms: 1_000, waitingFor: "x" }),
    RangeError,
  );
});

Deno.test("withTimeout() fails naming what it waited for, after calling onTimeout", async () => {
  let called = 0;
  await assert.rejects(
    withTimeout(new Promise(() => {}), {
      ms: 20,
      waitingFor: "the answer of peer b",
      onTimeout: () => called++,
    }),
    timedOut("the answer of peer b", 20),
  );
  assert.equal(called, 1);
  // A throwing onTimeout does not replace the timeout.
  await assert.rejects(
    withTimeout(new Promise(() => {}), {
      ms: 1,
      waitingFor: "y",
      onTimeout: () => {
        throw new Error("cleanup failed");
      },
    }),
    timedOut("y", 1),
  );
});

Deno.test("withTimeout() refuses a wait without a finite bound", async () => {
  for (const ms of [0, -1, NaN, Infinity]) {
    await assert.rejects(withTimeout(Promise.resolve(), { ms, waitingFor: "z" }), RangeError);
  }
});

Deno.test("exitWithin() kills a child that outlives the bound and fails naming it", async () => {
  const child = killOnExit(
    new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn(),
  );
  await assert.rejects(
    exitWithin(child, { ms: 200, what: `sleep (PID ${child.pid})`, after: "a polite request" }),
    timedOut(`sleep (PID ${child.pid}) to exit after a polite request`, 200),
  );
  // It was killed on the way out: its status is already there.
  const status = await withTimeout(child.status, { ms: 1_000, waitingFor: "the killed sleep" });
  assert.equal(status.signal, "SIGKILL");
});

Deno.test("exitWithin() resolves with the status of a child that exits in time", async () => {
  const child = new Deno.Command("sh", { args: ["-c", "exit 3"] }).spawn();
  assert.equal((await exitWithin(child, { ms: 10_000, what: "sh" })).code, 3);
});

Deno.test("outputWithin() runs a command to completion, or kills it at the bound", async () => {
  const out = await outputWithin("sh", { args: ["-c", "echo out; echo err >&2"], ms: 10_000 });
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), "out\n");
  assert.equal(new TextDecoder().decode(out.stderr), "err\n");
  await assert.rejects(
    outputWithin("sleep", { args: ["60"], ms: 200 }),
    timedOut("sleep 60 to finish", 200),
  );
  await assert.rejects(
    outputWithin("sleep", { args: ["60"], ms: 100, what: "a nap" }),
    timedOut("a nap to finish", 100),
  );
});

Deno.test("fetchWithin() answers as fetch does, and fails naming a request left unanswered", async () => {
  const hang = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/hang") await hang.promise;
    return new Response("ok");
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    assert.equal(await (await fetchWithin(`${base}/fine`)).text(), "ok");
    await assert.rejects(
      fetchWithin(`${base}/hang`, { method: "POST", body: "x", ms: 200 }),
      timedOut(`an answer to POST ${base}/hang`, 200),
    );
    // The caller's own signal still wins, with its own reason.
    const own = new AbortController();
    own.abort(new RangeError("mine"));
    await assert.rejects(fetchWithin(`${base}/fine`, { signal: own.signal }), RangeError);
  } finally {
    hang.resolve();
    await server.shutdown();
  }
});
