import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/_usage.ts";
import {
  EVENTS_HELP,
  formatEvent,
  parseEventsArgs,
  runEvents,
  type RunEventsOptions,
} from "../../lib/cli/events.ts";
import { eventsRoutes } from "../../lib/http/routes/events.ts";
import { EventStreamHub } from "../../lib/observability/event_stream.ts";
import { EventBus } from "../../lib/observability/events.ts";
import { ndjsonResponse, serve, type TestServer } from "../client/_serve.ts";
import { capture } from "./_capture.ts";

const BASE = { help: false, json: false, url: undefined, tokenFile: undefined, types: [] };

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseEventsArgs>]> = [
  [[], { ...BASE, lastEventId: undefined }],
  [["--json"], { ...BASE, json: true, lastEventId: undefined }],
  [
    ["--url", "http://127.0.0.1:7701", "--token-file=/t"],
    { ...BASE, url: "http://127.0.0.1:7701", tokenFile: "/t", lastEventId: undefined },
  ],
  [
    ["--types", "task_failed, peer_left,,"],
    { ...BASE, types: ["task_failed", "peer_left"], lastEventId: undefined },
  ],
  [["--last-event-id", "0"], { ...BASE, lastEventId: 0 }],
  [["--last-event-id=42"], { ...BASE, lastEventId: 42 }],
  [["-h"], { ...BASE, help: true, lastEventId: undefined }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseEventsArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseEventsArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [["extra"], /^Unexpected argument 'extra'$/],
  [["--bogus"], /Unknown option '--bogus'/],
  [["--types"], /--types/],
  [["--types", " , "], /^Option '--types' must name at least one event type$/],
  [
    ["--last-event-id", "abc"],
    /^Option '--last-event-id' must be a non-negative integer: .*'abc'$/,
  ],
  [["--last-event-id=-1"], /must be a non-negative integer: current value is '-1'$/],
  [["--last-event-id", "1.5"], /must be a non-negative integer: current value is '1.5'$/],
  [["--last-event-id", "99999999999999999999"], /must be a non-negative integer/],
  [["--json=1"], /does not take an argument/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseEventsArgs() refuses ${JSON.stringify(argv)} with a UsageError`, () => {
    assert.throws(() => parseEventsArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

const HEAD = { id: 7, time: "2025-01-01T00:00:00.000Z", node_id: "n1" };
const TASK = { task_id: "t1", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", hop: 1 };

const FORMATTED: Array<[name: string, event: Record<string, unknown>, line: string]> = [
  [
    "a lifecycle event",
    { ...HEAD, type: "swarm_stopping", reason: "signal" },
    "2025-01-01T00:00:00.000Z #7 swarm_stopping       reason=signal",
  ],
  [
    "a peer with its capabilities",
    {
      ...HEAD,
      type: "peer_joined",
      peer: "p2",
      address: "10.0.0.2:7700",
      source: "mdns",
      capabilities: ["calc", "web"],
    },
    "2025-01-01T00:00:00.000Z #7 peer_joined          peer=p2 address=10.0.0.2:7700 source=mdns capabilities=[calc,web]",
  ],
  [
    "an empty list",
    { ...HEAD, type: "capabilities_changed", capabilities: [] },
    "2025-01-01T00:00:00.000Z #7 capabilities_changed capabilities=[]",
  ],
  [
    "a task event with its trace id last",
    { ...HEAD, type: "task_routed", route: "forward", required_capabilities: ["gpu"], ...TASK },
    "2025-01-01T00:00:00.000Z #7 task_routed          task_id=t1 route=forward required_capabilities=[gpu] hop=1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
  ],
  [
    "an error in quotes",
    {
      ...HEAD,
      type: "task_failed",
      route: "forward",
      error: "Cannot reach 10.0.0.2:7700: Connection refused",
      status: 502,
      duration_ms: 12,
      ...TASK,
    },
    '2025-01-01T00:00:00.000Z #7 task_failed          task_id=t1 route=forward status=502 duration_ms=12 error="Cannot reach 10.0.0.2:7700: Connection refused" hop=1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
  ],
  [
    "a task event without its absent fields",
    {
      ...HEAD,
      type: "task_completed",
      route: "local",
      peer: undefined,
      duration_ms: 3,
      completed: true,
      ...TASK,
    },
    "2025-01-01T00:00:00.000Z #7 task_completed       task_id=t1 route=local completed=true duration_ms=3 hop=1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
  ],
  [
    "an unknown event type with every field",
    // An agent-side event this version does not know: every field, unknown ones sorted.
    { ...HEAD, type: "swarm_progress", zeta: { a: 1 }, alpha: "two words", task_id: "t1" },
    '2025-01-01T00:00:00.000Z #7 swarm_progress       task_id=t1 alpha="two words" zeta={"a":1}',
  ],
  ["an event without the common fields", { type: "swarm_started" }, "- #? swarm_started"],
];

for (const [name, event, line] of FORMATTED) {
  Deno.test(`formatEvent() renders ${name} on one line`, () => {
    assert.equal(formatEvent(event), line);
  });
}

const event = (id: number, type = "peer_left") => ({
  id,
  time: "2025-01-01T00:00:00.000Z",
  node_id: "n1",
  type,
  peer: "p1",
  source: "mdns",
  reason: "goodbye",
});

/** A 401 with swarm's JSON error body. */
const unauthorized = () =>
  Response.json({ error: "unauthorized", message: "Missing or invalid bearer token" }, {
    status: 401,
  });

/** Runs `swarm events --url <server> [argv…]` with fast reconnects, capturing its output. */
function run(server: TestServer, argv: string[] = [], options: RunEventsOptions = {}) {
  return capture(() =>
    runEvents(["--url", server.url, ...argv], { reconnectDelayMs: 10, ...options })
  );
}

Deno.test("runEvents() prints events and reconnects with Last-Event-ID after the stream ends", async () => {
  const tokenFile = await Deno.makeTempFile();
  await Deno.writeTextFile(tokenFile, "tok\n");
  const server = serve((_request, seen) => {
    const n = server.requests.length;
    if (n === 1) {
      assert.equal(seen.headers.get("last-event-id"), null);
      return ndjsonResponse([event(1), "", event(2)]);
    }
    if (n === 2) {
      assert.equal(seen.headers.get("last-event-id"), "2");
      const response = ndjsonResponse([event(3)]);
      response.headers.set("x-swarm-events-gap", "true");
      return response;
    }
    return unauthorized();
  });
  try {
    const out = await run(server, ["--token-file", tokenFile, "--types", "peer_left,task_failed"]);
    assert.equal(out.code, 1);
    assert.deepEqual(out.stdout.split("\n"), [1, 2, 3].map((id) => formatEvent(event(id))));
    const errors = out.stderr.split("\n");
    assert.equal(errors.length, 4);
    assert.match(
      errors[0],
      /^swarm events: http:\/\/127\.0\.0\.1:\d+ ended the event stream: reconnecting in \d+ ms \(attempt 1 of 5\)$/,
    );
    assert.equal(
      errors[1],
      "swarm events: Some events after id 2 were lost: the node no longer holds them or restarted",
    );
    assert.match(errors[2], /ended the event stream: reconnecting in \d+ ms \(attempt 1 of 5\)$/);
    assert.equal(errors[3], "swarm events: unauthorized: Missing or invalid bearer token");
    assert.equal(server.requests.length, 3);
    for (const seen of server.requests) {
      assert.equal(seen.path, "/events?types=peer_left,task_failed");
      assert.equal(seen.headers.get("authorization"), "Bearer tok");
      assert.equal(seen.headers.get("accept"), "application/x-ndjson");
    }
  } finally {
    await server.close();
    await Deno.remove(tokenFile);
  }
});

Deno.test("runEvents() --json prints each event as a JSON line and starts after --last-event-id", async () => {
  const stop = new AbortController();
  const server = serve((_request, _seen, closing) => {
    setTimeout(() => stop.abort(), 100);
    return ndjsonResponse(
      [event(6), event(7, "swarm_stopping")].concat(Array(50).fill("")),
      20,
      closing,
    );
  });
  try {
    const out = await run(server, ["--json", "--last-event-id", "5"], { signal: stop.signal });
    assert.equal(out.code, 0);
    assert.equal(out.stderr, "");
    assert.deepEqual(out.stdout.split("\n").map((l) => JSON.parse(l)), [
      event(6),
      event(7, "swarm_stopping"),
    ]);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].path, "/events");
    assert.equal(server.requests[0].headers.get("last-event-id"), "5");
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() exits 1 with one line when the node is unreachable", async () => {
  const server = serve(() => new Response("never"));
  await server.close();
  const out = await run(server);
  assert.equal(out.code, 1);
  assert.equal(out.stdout, "");
  assert.match(
    out.stderr,
    /^swarm events: peer_unreachable: Cannot reach http:\/\/127\.0\.0\.1:\d+: [^\n]+$/,
  );
});

Deno.test("runEvents() exits 1 with one line when the node refuses the token", async () => {
  const server = serve(unauthorized);
  try {
    const out = await run(server);
    assert.equal(out.code, 1);
    assert.equal(out.stderr, "swarm events: unauthorized: Missing or invalid bearer token");
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() exits 1 when the node has no event stream", async () => {
  const server = serve(() => new Response("<html>", { headers: { "content-type": "text/html" } }));
  try {
    const out = await run(server);
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      /^swarm events: bad_peer_response: .*\/events answered 'text\/html' instead of an event stream: is it a swarm node\?$/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() gives up after maxReconnects attempts in a row that receive nothing", async () => {
  const server = serve(() => ndjsonResponse([]));
  try {
    const out = await run(server, [], { maxReconnects: 2 });
    assert.equal(out.code, 1);
    assert.equal(server.requests.length, 3);
    const errors = out.stderr.split("\n");
    assert.match(errors[0], /\(attempt 1 of 2\)$/);
    assert.match(errors[1], /\(attempt 2 of 2\)$/);
    assert.match(
      errors[2],
      /^swarm events: peer_unreachable: Lost the event stream of http:\/\/127\.0\.0\.1:\d+: .* ended the event stream \(gave up after 2 reconnect attempts\)$/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() keeps reconnecting while connections deliver, then stops when the node goes", async () => {
  const server: TestServer = serve(() => {
    const n = server.requests.length;
    if (n === 6) setTimeout(() => server.close(), 0);
    // Each connection delivers one event, which resets the count of failed attempts.
    return ndjsonResponse([event(n)]);
  });
  const out = await run(server, [], { maxReconnects: 2 });
  assert.equal(out.code, 1);
  assert.equal(out.stdout.split("\n").length, 6);
  assert.ok(server.requests.length >= 6);
  assert.match(out.stderr.split("\n").at(-1)!, /gave up after 2 reconnect attempts\)$/);
});

Deno.test("runEvents() exits 0 at once when its signal stops the wait before a reconnect", async () => {
  const stop = new AbortController();
  const server = serve(() => {
    setTimeout(() => stop.abort(), 100);
    return ndjsonResponse([event(1)]);
  });
  try {
    const started = performance.now();
    const out = await run(server, [], { signal: stop.signal, reconnectDelayMs: 60_000 });
    assert.equal(out.code, 0);
    assert.ok(performance.now() - started < 10_000, "the 60 s wait was cut short");
    assert.equal(out.stdout, formatEvent(event(1)));
    assert.match(out.stderr, /ended the event stream: reconnecting in \d+ ms \(attempt 1 of 5\)$/);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() reconnects when nothing arrives for idleTimeoutMs", async () => {
  const server = serve((_request, _seen, closing) => {
    if (server.requests.length > 1) return unauthorized();
    // Headers, then silence until the test ends.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        closing.addEventListener("abort", () => {
          try {
            controller.close();
          } catch {
            // Already cancelled by the client.
          }
        });
      },
    });
    return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
  });
  try {
    const out = await run(server, [], { idleTimeoutMs: 100 });
    assert.equal(out.code, 1);
    const errors = out.stderr.split("\n");
    assert.match(errors[0], /: Lost connection to .*: No data from .* for 100 ms: reconnecting in/);
    assert.equal(errors[1], "swarm events: unauthorized: Missing or invalid bearer token");
  } finally {
    await server.close();
  }
});

Deno.test("runEvents() follows the real events route: replay, filter, live events", async () => {
  const bus = new EventBus("n1");
  const hub = new EventStreamHub();
  hub.attach(bus);
  const app = eventsRoutes({ hub, heartbeatMs: 0 });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
  bus.emit({ type: "swarm_stopping", reason: "ignored: before --last-event-id" });
  bus.emit({ type: "peer_left", peer: "p1", source: "mdns", reason: "goodbye" });
  const stop = new AbortController();
  const printed: string[] = [];
  const { log } = console;
  console.log = (line: string) => {
    printed.push(line);
    if (printed.length === 3) stop.abort();
  };
  try {
    const running = runEvents(
      ["--url", url, "--json", "--last-event-id", "2", "--types", "peer_left,peer_joined"],
      { signal: stop.signal },
    );
    // Emitted once the follower is (most likely) live; were it later, the replay has them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    bus.emit({ type: "capabilities_changed", capabilities: [] });
    bus.emit({ type: "peer_left", peer: "p2", source: "static", reason: "removed" });
    bus.emit({ type: "peer_joined", peer: "p3", address: "h:1", source: "mdns", capabilities: [] });
    assert.equal(await running, 0);
    // Stopping the follower closes its connection, which releases its subscription.
    const deadline = Date.now() + 5_000;
    while (hub.subscribers > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(hub.subscribers, 0);
  } finally {
    console.log = log;
    hub.close();
    await server.shutdown();
  }
  const events = printed.map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => [e.id, e.type, e.peer]), [
    [3, "peer_left", "p1"],
    [5, "peer_left", "p2"],
    [6, "peer_joined", "p3"],
  ]);
});

Deno.test("runEvents() --help prints the help and exits 0", async () => {
  const out = await capture(() => runEvents(["--help"]));
  assert.equal(out.code, 0);
  assert.equal(out.stdout, EVENTS_HELP);
});

Deno.test("runEvents() exits 2 on a usage mistake", async () => {
  const out = await capture(() => runEvents(["--last-event-id", "x"]));
  assert.equal(out.code, 2);
  assert.match(
    out.stderr,
    /^swarm events: invalid_argument: Option '--last-event-id' .* \(see 'swarm events --help'\)$/,
  );
});
