import assert from "node:assert/strict";
import { SwarmError } from "../../../lib/protocol/errors.ts";
import type { NodeResult, StreamEvent } from "../../../lib/protocol/types.ts";
import type { Grant } from "../../../lib/security/grant.ts";
import {
  authJson,
  deferred,
  errorBody,
  fakeRouter,
  makeApp,
  NODE_ID,
  postTask,
  result,
  task,
} from "../_fake.ts";
import { withTimeout } from "../../_helpers/with_timeout.ts";

/** Reads a whole NDJSON answer into its events, checking every line is terminated. */
async function ndjson(response: Response): Promise<StreamEvent[]> {
  const text = await response.text();
  assert.ok(text.endsWith("\n"), `every line ends with a newline: ${JSON.stringify(text)}`);
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

/** Reads single lines off a streamed answer as they arrive. */
function lineReader(response: Response): { next(): Promise<StreamEvent | null> } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next() {
      const read = async () => {
        while (!buffer.includes("\n")) {
          const { done, value } = await reader.read();
          if (done) return false;
          buffer += value;
        }
        return true;
      };
      const more = await withTimeout(read(), {
        ms: 10_000,
        waitingFor: "the next line of the streamed answer",
        onTimeout: () => reader.cancel(),
      });
      if (!more) return null;
      const end = buffer.indexOf("\n");
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      return JSON.parse(line);
    },
  };
}

Deno.test("taskRoutes() POST /task answers 200 with the router's NodeResult", async () => {
  const { app, router, deps } = makeApp();
  const response = await postTask(app, task("t1", ["calc"]));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.headers.get("x-swarm-node"), NODE_ID);
  assert.deepEqual(await response.json(), result("t1"));
  assert.equal(router.calls.length, 1);
  assert.deepEqual(router.calls[0].task, task("t1", ["calc"]));
  assert.equal(deps.tracker.size, 0, "the task is no longer tracked");
});

Deno.test("taskRoutes() POST /task hands the router the validated task, not the raw body", async () => {
  const { app, router } = makeApp();
  const raw = {
    id: "t2",
    description: "d",
    context: { workspace: "/etc", session_key: "k", extra: 1 },
    tool_hint: null,
    unknown: true,
  };
  assert.equal((await postTask(app, raw)).status, 200);
  assert.deepEqual(router.calls[0].task, {
    id: "t2",
    description: "d",
    context: { workspace: "/etc", session_key: "k", required_capabilities: [] },
  });
});

Deno.test("taskRoutes() POST /task passes the hop headers and the requested budget to the router", async () => {
  const { app, router } = makeApp();
  await postTask(app, { ...task(), timeout_ms: 5000 }, {
    headers: authJson({
      "x-swarm-hops": "2",
      "x-swarm-via": "node-a, node-b,,",
      "x-swarm-deadline-ms": "1200",
    }),
  });
  const { options } = router.calls[0];
  assert.equal(options.hops, 2);
  assert.deepEqual(options.via, ["node-a", "node-b"]);
  assert.equal(options.budgetMs, 1200, "the smaller of header and body");
  assert.equal(options.signal, undefined, "the caller going away does not cancel the run");
  assert.equal(options.onEvent, undefined, "no progress callback without stream=1");
});

Deno.test("taskRoutes() POST /task refuses a bad deadline header and a spent budget", async () => {
  const { app, router } = makeApp();
  const bad = await postTask(app, task(), { headers: authJson({ "x-swarm-deadline-ms": "soon" }) });
  assert.equal(bad.status, 400);
  const badBody = await bad.json();
  assert.equal(badBody.error, "invalid_request");
  assert.equal(badBody.field, "x-swarm-deadline-ms");
  const spent = await postTask(app, task(), { headers: authJson({ "x-swarm-deadline-ms": "0" }) });
  assert.equal(spent.status, 504);
  assert.equal((await spent.json()).error, "timeout");
  assert.equal(router.calls.length, 0);
});

Deno.test("taskRoutes() POST /task answers 503 draining with Retry-After while shutting down", async () => {
  const { app, router } = makeApp({ readiness: () => ({ ready: false, draining: true }) });
  const response = await postTask(app, task());
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "1");
  const body = await response.json();
  assert.equal(body.error, "draining");
  assert.equal(body.retry_after_s, 1);
  assert.equal(router.calls.length, 0);
});

Deno.test("taskRoutes() POST /task treats missing or invalid hop headers as a fresh task", async () => {
  const { app, router } = makeApp();
  await postTask(app, task(), { headers: authJson({ "x-swarm-hops": "lots" }) });
  assert.equal(router.calls[0].options.hops, 0);
  assert.deepEqual(router.calls[0].options.via, []);
});

Deno.test("taskRoutes() POST /task answers the router's SwarmError no_match as 503 with required_capabilities", async () => {
  const router = fakeRouter((t) =>
    Promise.reject(
      new SwarmError("no_match", "No node can do: gpu", {
        required_capabilities: t.context.required_capabilities,
      }),
    )
  );
  const { app, deps } = makeApp({ router });
  const body = await errorBody(await postTask(app, task("t1", ["gpu"])), 503, "no_match");
  assert.deepEqual(body, {
    error: "no_match",
    message: "No node can do: gpu",
    required_capabilities: ["gpu"],
  });
  assert.equal(deps.tracker.size, 0);
});

const ROUTER_ERRORS: Array<[code: ConstructorParameters<typeof SwarmError>[0], status: number]> = [
  ["forward_failed", 502],
  ["local_executor_not_configured", 503],
  ["execution_failed", 500],
  ["loop_detected", 508],
  ["timeout", 504],
];

for (const [code, status] of ROUTER_ERRORS) {
  Deno.test(`taskRoutes() POST /task answers the router's ${code} with ${status}`, async () => {
    const router = fakeRouter(() => Promise.reject(new SwarmError(code, `Failed: ${code}`)));
    const { app } = makeApp({ router });
    const body = await errorBody(await postTask(app, task()), status, code);
    assert.equal(body.message, `Failed: ${code}`);
  });
}

Deno.test("taskRoutes() POST /task answers 503 not_ready without routing while the node is not ready", async () => {
  const { app, router } = makeApp({ readiness: () => ({ ready: false, reason: "Draining" }) });
  const body = await errorBody(await postTask(app, task()), 503, "not_ready");
  assert.equal(body.message, "Draining");
  const unnamed = makeApp({ readiness: () => ({ ready: false }) });
  const unnamedBody = await errorBody(await postTask(unnamed.app, task()), 503, "not_ready");
  assert.equal(unnamedBody.message, "Node is not ready");
  assert.equal(router.calls.length, 0);
});

Deno.test("taskRoutes() POST /task still validates the body before reporting not ready", async () => {
  const { app } = makeApp({ readiness: () => ({ ready: false }) });
  await errorBody(await postTask(app, {}), 422, "invalid_task");
});

Deno.test("taskRoutes() POST /task answers 413 to a Content-Length over maxBodyBytes", async () => {
  const { app, router } = makeApp({ maxBodyBytes: 64 });
  const text = JSON.stringify({ ...task(), description: "x".repeat(200) });
  const response = await app.request("http://localhost/task", {
    method: "POST",
    headers: authJson({ "content-length": String(text.length) }),
    body: text,
  });
  const body = await errorBody(response, 413, "payload_too_large");
  assert.equal(body.max_bytes, 64);
  assert.match(String(body.message), /64 bytes/);
  assert.equal(router.calls.length, 0);
});

Deno.test("taskRoutes() POST /task answers 413 to a chunked body that grows over maxBodyBytes", async () => {
  const { app, router } = makeApp({ maxBodyBytes: 64 });
  const encoder = new TextEncoder();
  let chunks = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      chunks++;
      if (chunks > 100) controller.close();
      else controller.enqueue(encoder.encode("x".repeat(20)));
    },
  });
  const response = await app.request("http://localhost/task", {
    method: "POST",
    headers: authJson(),
    body,
  });
  await errorBody(response, 413, "payload_too_large");
  assert.ok(chunks < 100, `stopped reading early (${chunks} chunks)`);
  assert.equal(router.calls.length, 0);
  await body.cancel().catch(() => {});
});

Deno.test("taskRoutes() POST /task accepts a body of exactly maxBodyBytes, streamed or not", async () => {
  const text = JSON.stringify(task());
  const { app } = makeApp({ maxBodyBytes: text.length });
  const sized = await app.request("http://localhost/task", {
    method: "POST",
    headers: authJson({ "content-length": String(text.length) }),
    body: text,
  });
  assert.equal(sized.status, 200);
  await sized.body?.cancel();
  const streamed = await app.request("http://localhost/task", {
    method: "POST",
    headers: authJson(),
    body: new Blob([text]).stream(),
  });
  assert.equal(streamed.status, 200);
  assert.deepEqual(await streamed.json(), result("t1"));
  const over = await app.request("http://localhost/task", {
    method: "POST",
    headers: authJson(),
    body: new Blob([text + " "]).stream(),
  });
  await errorBody(over, 413, "payload_too_large");
});

Deno.test("taskRoutes() POST /task?stream=1 streams received, executing and done as NDJSON", async () => {
  const router = fakeRouter((t, options) => {
    options.onEvent?.({ event: "executing", node: NODE_ID, skill: "calculator" });
    return Promise.resolve(result(t.id));
  });
  const { app, deps } = makeApp({ router });
  const response = await postTask(app, task("t1"), { path: "/task?stream=1" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  assert.equal(response.headers.get("x-swarm-node"), NODE_ID);
  assert.deepEqual(await ndjson(response), [
    { event: "received", task_id: "t1", node: NODE_ID },
    { event: "executing", node: NODE_ID, skill: "calculator" },
    { event: "done", result: result("t1") },
  ]);
  assert.equal(typeof router.calls[0].options.onEvent, "function");
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 sends events as they happen, before the result", async () => {
  const finish = deferred<NodeResult>();
  const router = fakeRouter(async (t, options) => {
    await Promise.resolve();
    options.onEvent?.({ event: "executing", node: NODE_ID });
    await new Promise((r) => setTimeout(r, 5));
    options.onEvent?.({ event: "forwarding", peer: "p1", address: "127.0.0.1:1", attempt: 1 });
    const r = await finish.promise;
    return { ...r, task_id: t.id };
  });
  const { app, deps } = makeApp({ router });
  const response = await postTask(app, task("t1"), { path: "/task?stream=1" });
  const lines = lineReader(response);
  assert.deepEqual(await lines.next(), { event: "received", task_id: "t1", node: NODE_ID });
  assert.deepEqual(await lines.next(), { event: "executing", node: NODE_ID });
  assert.deepEqual(await lines.next(), {
    event: "forwarding",
    peer: "p1",
    address: "127.0.0.1:1",
    attempt: 1,
  });
  assert.equal(deps.tracker.current(), "t1", "still running while streaming");
  finish.resolve(result("ignored", "late"));
  assert.deepEqual(await lines.next(), { event: "done", result: result("t1", "late") });
  assert.equal(await lines.next(), null);
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 answers a failure before any event as a plain JSON error", async () => {
  const router = fakeRouter(() =>
    Promise.reject(
      new SwarmError("no_match", "No node can do: gpu", { required_capabilities: ["gpu"] }),
    )
  );
  const { app, deps } = makeApp({ router });
  const response = await postTask(app, task("t1", ["gpu"]), { path: "/task?stream=1" });
  const body = await errorBody(response, 503, "no_match");
  assert.deepEqual(body.required_capabilities, ["gpu"]);
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 answers a slow failure before any event as a plain JSON error", async () => {
  const router = fakeRouter(async () => {
    await new Promise((r) => setTimeout(r, 10));
    throw new SwarmError("forward_failed", "All 2 candidate peers failed");
  });
  const { app, deps } = makeApp({ router });
  await errorBody(await postTask(app, task(), { path: "/task?stream=1" }), 502, "forward_failed");
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 ends the stream with an error event when routing fails after an event", async () => {
  const router = fakeRouter(async (_t, options) => {
    options.onEvent?.({ event: "executing", node: NODE_ID });
    await new Promise((r) => setTimeout(r, 5));
    throw new SwarmError("execution_failed", "Skill exited with status 1");
  });
  const { app, deps } = makeApp({ router });
  const response = await postTask(app, task("t1"), { path: "/task?stream=1" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/x-ndjson");
  const events = await ndjson(response);
  assert.deepEqual(events, [
    { event: "received", task_id: "t1", node: NODE_ID },
    { event: "executing", node: NODE_ID },
    {
      event: "error",
      error: { error: "execution_failed", message: "Skill exited with status 1" },
    },
  ]);
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 turns an unexpected error after an event into an internal error event", async () => {
  const router = fakeRouter((_t, options) => {
    options.onEvent?.({ event: "executing", node: NODE_ID });
    return Promise.reject(new TypeError("router bug"));
  });
  const { app } = makeApp({ router });
  const events = await ndjson(await postTask(app, task(), { path: "/task?stream=1" }));
  assert.deepEqual(events.at(-1), {
    event: "error",
    error: { error: "internal", message: "router bug" },
  });
});

Deno.test("taskRoutes() POST /task?stream=1 logs an unexpected error after an event like a plain request does", async () => {
  const router = fakeRouter((_t, options) => {
    options.onEvent?.({ event: "executing", node: NODE_ID });
    return Promise.reject(new TypeError("router bug"));
  });
  const { app, logged } = makeApp({ router });
  await ndjson(await postTask(app, task(), { path: "/task?stream=1" }));
  assert.equal(logged.length, 1, "an internal error is logged, streamed or not");
  assert.match(JSON.stringify(logged[0].props), /router bug/);
});

Deno.test("taskRoutes() POST /task?stream=1 keeps task ids JSON-escaped in every line", async () => {
  const id = 'a"b\nc\\d';
  const router = fakeRouter((t, options) => {
    options.onEvent?.({ event: "executing" });
    return Promise.resolve(result(t.id));
  });
  const { app } = makeApp({ router });
  const events = await ndjson(await postTask(app, task(id), { path: "/task?stream=1" }));
  assert.equal(events.length, 3);
  assert.deepEqual(events[0], { event: "received", task_id: id, node: NODE_ID });
  assert.deepEqual(events[2], { event: "done", result: result(id) });
});

Deno.test("taskRoutes() POST /task?stream=1 streams received and done when the router reports no progress", async () => {
  const { app } = makeApp();
  const events = await ndjson(await postTask(app, task("t1"), { path: "/task?stream=1" }));
  assert.deepEqual(events, [
    { event: "received", task_id: "t1", node: NODE_ID },
    { event: "done", result: result("t1") },
  ]);
});

for (const query of ["?stream=true", "?stream=0", "?stream=", "?stream=yes", "?streaming=1"]) {
  Deno.test(`taskRoutes() POST /task${query} answers plain JSON (only stream=1 streams)`, async () => {
    const { app, router } = makeApp();
    const response = await postTask(app, task("t1"), { path: `/task${query}` });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await response.json(), result("t1"));
    assert.equal(router.calls[0].options.onEvent, undefined);
  });
}

Deno.test("taskRoutes() POST /task?stream=1 holds a bounded number of lines for a caller that does not read", async () => {
  const sink: Array<Promise<void> | void> = [];
  const finish = deferred<NodeResult>();
  const router = fakeRouter(async (t, options) => {
    // A peer flooding progress events: 10 000 of 1 KiB each.
    for (let i = 0; i < 10_000; i++) {
      sink.push(
        options.onEvent?.({ event: "executing", node: NODE_ID, skill: `${i}${"s".repeat(1024)}` }),
      );
    }
    const r = await finish.promise;
    return { ...r, task_id: t.id };
  });
  const { app, deps } = makeApp({ router });
  const response = await postTask(app, task("t1"), { path: "/task?stream=1" });
  // Nobody reads yet: every event past the buffer was dropped, not kept.
  assert.equal(sink.length, 10_000);
  const waiting = sink.filter((p) => p instanceof Promise);
  assert.equal(waiting.length, 10_000, "the sink hands back a back-pressure promise");
  finish.resolve(result("t1", "end"));
  const events = await ndjson(response);
  assert.ok(events.length <= 16 + 1, `${events.length} lines were kept`);
  assert.deepEqual(events[0], { event: "received", task_id: "t1", node: NODE_ID });
  assert.deepEqual(events.at(-1), { event: "done", result: result("t1", "end") });
  await Promise.all(waiting);
  assert.equal(deps.tracker.size, 0);
});

Deno.test("taskRoutes() POST /task?stream=1 loses nothing when the producer awaits the sink", async () => {
  const router = fakeRouter(async (t, options) => {
    for (let i = 0; i < 200; i++) await options.onEvent?.({ event: "executing", skill: `s${i}` });
    return result(t.id);
  });
  const { app } = makeApp({ router });
  const response = await postTask(app, task("t1"), { path: "/task?stream=1" });
  const lines = lineReader(response);
  const seen: StreamEvent[] = [];
  for (let line = await lines.next(); line !== null; line = await lines.next()) {
    seen.push(line);
    // A slow reader: the producer must wait for it rather than drop events.
    if (seen.length % 50 === 0) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(seen.length, 1 + 200 + 1);
  assert.deepEqual(seen[200], { event: "executing", skill: "s199" });
});

Deno.test("taskRoutes() POST /task refuses a task outside the token's capabilities or skills with 403, before routing", async () => {
  const grant: Grant = {
    method: "token",
    subject: "ci",
    actions: ["task"],
    capabilities: ["calc"],
    skills: ["calculator"],
  };
  const { app, router } = makeApp({ verifyToken: () => () => Promise.resolve(grant) });
  const headers = { authorization: "Bearer scoped-token", "content-type": "application/json" };
  const refused: Array<[body: unknown, missing: string]> = [
    [task("t1", ["gpu"]), "capability:gpu"],
    [task("t2", ["calc", "web"]), "capability:web"],
    [{ ...task("t3", ["calc"]), tool_hint: "browser" }, "skill:browser"],
  ];
  for (const [body, missing] of refused) {
    const response = await postTask(app, body, { headers });
    assert.equal((await errorBody(response, 403, "forbidden")).missing_scope, missing);
  }
  assert.equal(router.calls.length, 0, "a refused task is never routed");
  const allowed = await postTask(app, { ...task("t4", ["calc"]), tool_hint: "calculator" }, {
    headers,
  });
  assert.equal(allowed.status, 200);
  assert.equal(router.calls.length, 1);
  assert.equal(router.calls[0].options.grant?.subject, "ci");
});
