import assert from "node:assert/strict";
import { Hono } from "hono";
import { authenticate } from "../../../lib/http/middleware/auth.ts";
import { notFound, onError } from "../../../lib/http/middleware/errors.ts";
import { EVENTS_GAP_HEADER, eventsRoutes } from "../../../lib/http/routes/events.ts";
import { ROUTES } from "../../../lib/http/route_table.ts";
import { EventStreamHub } from "../../../lib/observability/event_stream.ts";
import { EventBus, type NodeEvent } from "../../../lib/observability/events.ts";
import { makeApp, TOKEN } from "../_fake.ts";
import { fetchWithin, withTimeout } from "../../_helpers/with_timeout.ts";

const NDJSON = "application/x-ndjson";

/**
 * The events route behind the same bearer gate and error handler as `createApp` (the
 * route is not mounted in the app yet).
 */
function setup(options: { heartbeatMs?: number; ringSize?: number; bufferSize?: number } = {}) {
  const bus = new EventBus("n1");
  const hub = new EventStreamHub({ ringSize: options.ringSize, bufferSize: options.bufferSize });
  hub.attach(bus);
  const app = new Hono();
  app.use(authenticate({ sharedSecret: () => TOKEN, verifyToken: () => undefined }));
  app.route("/", eventsRoutes({ hub, heartbeatMs: options.heartbeatMs ?? 0 }));
  app.notFound(notFound(ROUTES));
  app.onError(onError((err) => {
    throw err;
  }));
  return { bus, hub, app };
}

function get(app: Hono, path: string, headers: Record<string, string> = {}) {
  return app.request(`http://localhost${path}`, {
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  });
}

const decoder = new TextDecoder();

/** Reads the body until `enough(text)` holds (for at most 10 s); returns the text read so far. */
function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  enough: (text: string) => boolean,
): Promise<string> {
  let text = "";
  const read = async () => {
    while (!enough(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`Stream ended early after: ${JSON.stringify(text)}`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  };
  return withTimeout(read(), {
    ms: 10_000,
    waitingFor: "the event stream to say what the test waits for",
    onTimeout: () => reader.cancel(),
  });
}

const count = (pattern: string) => (text: string) => text.split(pattern).length - 1;

/** Reads `n` NDJSON events and returns them. */
async function ndjsonEvents(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  n: number,
): Promise<NodeEvent[]> {
  const text = await readUntil(reader, (t) => t.split("\n").filter((l) => l !== "").length >= n);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

function emitSome(bus: EventBus): NodeEvent[] {
  return [
    bus.emit({ type: "capabilities_changed", capabilities: ["calc"] }),
    bus.emit({ type: "peer_left", peer: "p1", source: "mdns", reason: "goodbye\nbye" }),
    bus.emit({ type: "peer_state_changed", peer: "p1", from: "healthy", to: "suspect" }),
  ];
}

async function waitFor(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("eventsRoutes() GET /events frames Server-Sent Events by default", async () => {
  const { bus, hub, app } = setup();
  const [, second, third] = emitSome(bus);
  const response = await get(app, "/events", { "last-event-id": "1" });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get(EVENTS_GAP_HEADER), null);
  const reader = response.body!.getReader();
  const live = bus.emit({ type: "swarm_stopping", reason: "signal" });
  const text = await readUntil(reader, (t) => count("\n\n")(t) >= 3);
  assert.equal(
    text,
    [second, third, live].map((e) =>
      `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`
    )
      .join(""),
  );
  // The newline inside a field stays escaped in the one data line.
  assert.match(text, /"reason":"goodbye\\nbye"/);
  await reader.cancel();
  hub.close();
});

Deno.test("eventsRoutes() GET /events answers NDJSON when Accept asks for it", async () => {
  const { bus, hub, app } = setup();
  const response = await get(app, "/events", { accept: `${NDJSON}, text/plain;q=0.5` });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), NDJSON);
  const reader = response.body!.getReader();
  const emitted = emitSome(bus);
  assert.deepEqual(await ndjsonEvents(reader, 3), emitted);
  await reader.cancel();
  hub.close();
});

const RESUMES: Array<[name: string, path: string, headers: Record<string, string>, ids: number[]]> =
  [
    ["the Last-Event-ID header", "/events", { "last-event-id": "2" }, [3, 4]],
    ["the last_event_id query parameter", "/events?last_event_id=1", {}, [2, 3, 4]],
    ["the header over the query parameter", "/events?last_event_id=0", { "last-event-id": "3" }, [
      4,
    ]],
    ["nothing when neither is given (live only)", "/events", {}, [4]],
    ["an empty header as absent", "/events?last_event_id=2", { "last-event-id": " " }, [3, 4]],
  ];

for (const [name, path, headers, ids] of RESUMES) {
  Deno.test(`eventsRoutes() GET /events resumes from ${name}`, async () => {
    const { bus, hub, app } = setup();
    emitSome(bus);
    const response = await get(app, path, { accept: NDJSON, ...headers });
    const reader = response.body!.getReader();
    bus.emit({ type: "swarm_stopping", reason: "signal" });
    hub.close();
    const events = await ndjsonEvents(reader, ids.length);
    assert.deepEqual(events.map((e) => e.id), ids);
    assert.equal((await reader.read()).done, true);
  });
}

Deno.test("eventsRoutes() GET /events says when resumed events were lost", async () => {
  const { bus, hub, app } = setup({ ringSize: 2 });
  emitSome(bus);
  const lost = await get(app, "/events", { accept: NDJSON, "last-event-id": "0" });
  assert.equal(lost.headers.get(EVENTS_GAP_HEADER), "true");
  const kept = await get(app, "/events", { accept: NDJSON, "last-event-id": "1" });
  assert.equal(kept.headers.get(EVENTS_GAP_HEADER), null);
  hub.close();
  assert.deepEqual((await lost.text()).trim().split("\n").map((l) => JSON.parse(l).id), [2, 3]);
  assert.deepEqual((await kept.text()).trim().split("\n").map((l) => JSON.parse(l).id), [2, 3]);
});

Deno.test("eventsRoutes() GET /events?types= keeps only those types", async () => {
  const { bus, hub, app } = setup();
  emitSome(bus);
  const response = await get(app, "/events?types=peer_left,%20swarm_stopping,&last_event_id=0", {
    accept: NDJSON,
  });
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  bus.emit({ type: "swarm_stopping", reason: "signal" });
  hub.close();
  const types = (await response.text()).trim().split("\n").map((l) => JSON.parse(l).type);
  assert.deepEqual(types, ["peer_left", "swarm_stopping"]);
});

const BAD_IDS: Array<[path: string, headers: Record<string, string>, field: string]> = [
  ["/events", { "last-event-id": "abc" }, "Last-Event-ID"],
  ["/events", { "last-event-id": "-1" }, "Last-Event-ID"],
  ["/events?last_event_id=1.5", {}, "last_event_id"],
  ["/events?last_event_id=99999999999999999999", {}, "last_event_id"],
];

for (const [path, headers, field] of BAD_IDS) {
  Deno.test(`eventsRoutes() GET ${path} ${JSON.stringify(headers)} answers 400`, async () => {
    const { hub, app } = setup();
    const response = await get(app, path, headers);
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error, "invalid_request");
    assert.equal(body.field, field);
    assert.match(body.message, /must be a non-negative integer: current value is '/);
    assert.equal(hub.subscribers, 0);
    hub.close();
  });
}

Deno.test("eventsRoutes() GET /events releases the subscription when the body is cancelled", async () => {
  const { bus, hub, app } = setup();
  const sse = await get(app, "/events");
  const ndjson = await get(app, "/events", { accept: NDJSON });
  assert.equal(hub.subscribers, 2);
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  await sse.body!.cancel();
  await ndjson.body!.cancel();
  assert.equal(hub.subscribers, 0);
  hub.close();
});

Deno.test("eventsRoutes() GET /events ends the stream when the hub closes", async () => {
  const { bus, hub, app } = setup();
  const response = await get(app, "/events", { accept: NDJSON });
  bus.emit({ type: "swarm_stopping", reason: "signal" });
  hub.close();
  assert.equal(JSON.parse(await response.text()).type, "swarm_stopping");
});

Deno.test("eventsRoutes() GET /events sends keep-alives while idle", async () => {
  const { hub, app } = setup({ heartbeatMs: 20 });
  const sse = (await get(app, "/events")).body!.getReader();
  assert.equal(await readUntil(sse, (t) => t.length > 0), ": keep-alive\n\n");
  const ndjson = (await get(app, "/events", { accept: NDJSON })).body!.getReader();
  assert.equal(await readUntil(ndjson, (t) => t.length > 0), "\n");
  await sse.cancel();
  await ndjson.cancel();
  assert.equal(hub.subscribers, 0);
  hub.close();
});

Deno.test("createApp() serves GET /events behind the bearer gate", async () => {
  const hub = new EventStreamHub();
  const { app } = makeApp({ events: hub });
  const refused = await app.request("http://localhost/events");
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).error, "unauthorized");
  const wrong = await app.request("http://localhost/events", {
    headers: { authorization: "Bearer nope" },
  });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  assert.equal(hub.subscribers, 0);
  const allowed = await get(app, "/events", { accept: NDJSON });
  assert.equal(allowed.status, 200);
  assert.equal(hub.subscribers, 1);
  await allowed.body!.cancel();
  assert.equal(hub.subscribers, 0);
  const posted = await app.request("http://localhost/events", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(posted.status, 405);
  await posted.body?.cancel();
  hub.close();
});

Deno.test("eventsRoutes() refuses a negative heartbeatMs with a RangeError", () => {
  assert.throws(
    () => eventsRoutes({ hub: new EventStreamHub(), heartbeatMs: -1 }),
    /^RangeError: Cannot serve events as 'heartbeatMs' must be a non-negative number/,
  );
});

/** The route on a real socket; `close()` stops the server and the hub. */
function listen(options: { bufferSize?: number } = {}) {
  const { bus, hub, app } = setup(options);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/events`;
  const headers = { authorization: `Bearer ${TOKEN}`, accept: NDJSON };
  const close = async () => {
    hub.close();
    await server.shutdown();
  };
  return { bus, hub, url, headers, close };
}

Deno.test("eventsRoutes() GET /events releases the subscription when a client disconnects", async () => {
  const { bus, hub, url, headers, close } = listen();
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.getReader();
  bus.emit({ type: "capabilities_changed", capabilities: [] });
  assert.equal((await ndjsonEvents(reader, 1))[0].id, 1);
  assert.equal(hub.subscribers, 1);
  controller.abort();
  await reader.cancel().catch(() => {});
  await waitFor(() => hub.subscribers === 0, "the subscription to be released");
  await close();
});

Deno.test("eventsRoutes() GET /events drops a client that stops reading, not the others", async () => {
  const { bus, hub, url, headers, close } = listen({ bufferSize: 64 });
  const stalled = await fetchWithin(url, { headers });
  const healthy = await fetchWithin(url, { headers });
  const reader = healthy.body!.getReader();
  const padding = "x".repeat(1_000);
  let emitted = 0;
  let read = 0;
  let text = "";
  // Emit in bursts until the stalled client's socket and buffer are full and it is dropped.
  while (hub.droppedSubscribers === 0) {
    if (emitted > 200_000) throw new Error("The stalled client was never dropped");
    for (let i = 0; i < 50; i++) {
      bus.emit({ type: "swarm_stopping", reason: padding });
      emitted++;
    }
    while (read < emitted) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      text += decoder.decode(value, { stream: true });
      const lines = text.split("\n");
      text = lines.pop()!;
      read += lines.filter((l) => l !== "").length;
    }
  }
  assert.equal(hub.subscribers, 1);
  assert.equal(read, emitted);
  // The dropped client's stream ends cleanly after a gapless prefix of the events, so it
  // can resume with the id of the last one it got.
  const ids = (await stalled.text()).trim().split("\n").map((l) => JSON.parse(l).id);
  assert.ok(ids.length < emitted, `The stalled client got all ${emitted} events`);
  assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1));
  await reader.cancel();
  await waitFor(() => hub.subscribers === 0, "the healthy subscription to be released");
  await close();
});
