import assert from "node:assert/strict";
import { SwarmClient } from "../../lib/client/client.ts";
import type { StreamEvent } from "../../lib/protocol/types.ts";
import { makeTask, ndjsonResponse, okResult, serve, sleep } from "./_serve.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

Deno.test("SwarmClient.submitTask() posts JSON with the bearer token and returns the result", async () => {
  const server = serve((_req, seen) => Response.json(okResult(JSON.parse(seen.body).id)));
  try {
    const client = new SwarmClient({
      url: `${server.url}/`,
      token: "s3cret",
      headers: { "x-a": "1" },
    });
    const result = await client.submitTask(makeTask("t1"), { headers: { "x-b": "2" } });
    assert.deepEqual(result, okResult("t1"));
    const [seen] = server.requests;
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, "/task");
    assert.equal(seen.headers.get("authorization"), "Bearer s3cret");
    assert.equal(seen.headers.get("content-type"), "application/json");
    assert.equal(seen.headers.get("x-a"), "1");
    assert.equal(seen.headers.get("x-b"), "2");
    assert.deepEqual(JSON.parse(seen.body), makeTask("t1"));
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.submitTask() sends no Authorization header without a token", async () => {
  const server = serve(() => Response.json(okResult("t1")));
  try {
    await new SwarmClient({ url: server.url }).submitTask(makeTask("t1"));
    assert.equal(server.requests[0].headers.get("authorization"), null);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.submitTask() throws the server's own error code with its details", async () => {
  const server = serve(() =>
    Response.json(
      { error: "no_match", message: "No node can do: gpu", required_capabilities: ["gpu"] },
      { status: 503 },
    )
  );
  try {
    const err = await rejectsWith(
      new SwarmClient({ url: server.url }).submitTask(makeTask("t1", ["gpu"])),
      "no_match",
    );
    assert.equal(err.message, "No node can do: gpu");
    assert.deepEqual(err.details, { required_capabilities: ["gpu"], status: 503 });
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.submitTask() turns other error answers into forward_failed with the status", async () => {
  const cases = [
    { status: 500, body: "boom", contains: "500 Internal Server Error: boom" },
    { status: 422, body: "Failed to deserialize", contains: "422" },
    { status: 500, body: JSON.stringify({ error: "weird_code", message: "x" }), contains: "500" },
  ];
  for (const { status, body, contains } of cases) {
    const server = serve(() => new Response(body, { status }));
    try {
      const err = await rejectsWith(
        new SwarmClient({ url: server.url }).submitTask(makeTask("t1")),
        "forward_failed",
      );
      assert.ok(err.message.includes(contains), err.message);
      assert.ok(err.message.includes(server.url), err.message);
      assert.equal(err.details.status, status);
    } finally {
      await server.close();
    }
  }
});

Deno.test("SwarmClient.submitTask() rejects invalid JSON and invalid results as bad_peer_response", async () => {
  const bodies = [
    "not json",
    JSON.stringify({ task_id: "t1", response: "2", task_completed: true, tool_calls: 1.5 }),
  ];
  for (const body of bodies) {
    const server = serve(() =>
      new Response(body, { headers: { "content-type": "application/json" } })
    );
    try {
      await rejectsWith(
        new SwarmClient({ url: server.url }).submitTask(makeTask("t1")),
        "bad_peer_response",
      );
    } finally {
      await server.close();
    }
  }
});

Deno.test("SwarmClient.submitTask() reports an unreachable node as peer_unreachable naming the URL", async () => {
  const server = serve(() => new Response("x"));
  const url = server.url;
  await server.close();
  const err = await rejectsWith(
    new SwarmClient({ url }).submitTask(makeTask("t1")),
    "peer_unreachable",
  );
  assert.ok(err.message.startsWith(`Cannot reach ${url}: `), err.message);
  assert.ok(err.message.length > `Cannot reach ${url}: `.length);
  assert.equal(err.details.status, undefined, "no HTTP answer came");
  assert.equal(err.status, 502);
});

Deno.test("SwarmClient.submitTask() keeps a peer's own forward_failed answer (SkillLite's 502)", async () => {
  const server = serve(() =>
    Response.json(
      { error: "forward_failed", message: "All 2 forward attempts failed" },
      { status: 502 },
    )
  );
  try {
    const err = await rejectsWith(
      new SwarmClient({ url: server.url }).submitTask(makeTask("t1", ["calc"])),
      "forward_failed",
    );
    assert.equal(err.message, "All 2 forward attempts failed");
    assert.equal(err.details.status, 502);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient names what went wrong when fetch says only 'fetch failed'", async () => {
  const cause = new Error(
    "error sending request for url (https://10.0.0.9:7700/status): client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  const failing: typeof fetch = () => Promise.reject(new TypeError("fetch failed", { cause }));
  const err = await rejectsWith(
    new SwarmClient({ url: "https://10.0.0.9:7700", fetch: failing }).status(),
    "peer_unreachable",
  );
  assert.equal(
    err.message,
    "Cannot reach https://10.0.0.9:7700: fetch failed: client error (Connect): invalid peer certificate: UnknownIssuer",
  );
});

Deno.test("SwarmClient.submitTask() times out with a timeout error", async () => {
  const server = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return Response.json(okResult("t1"));
  });
  try {
    // The server answers after 5 s, the client's own limit is 5 s: a timeout naming
    // 200 ms is the call's limit.
    const err = await rejectsWith(
      new SwarmClient({ url: server.url, timeoutMs: 5000 }).submitTask(makeTask("t1"), {
        timeoutMs: 200,
      }),
      "timeout",
    );
    assert.ok(err.message.includes("200 ms"), err.message);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.submitTask() throws the caller's abort reason when aborted", async () => {
  const server = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return Response.json(okResult("t1"));
  });
  try {
    const controller = new AbortController();
    const reason = new Error("Caller gave up");
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(
      new SwarmClient({ url: server.url }).submitTask(makeTask("t1"), {
        signal: controller.signal,
      }),
      (err) => err === reason,
    );
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.streamTask() yields NDJSON events as they arrive", async () => {
  const server = serve((_req, _seen, closing) =>
    ndjsonResponse(
      [
        { event: "received", task_id: "t1", node: "n1" },
        { event: "executing", node: "n1", skill: "calc" },
        { event: "future_kind", x: 1 },
        { event: "done", result: okResult("t1") },
        { event: "executing" },
      ],
      150,
      closing,
    )
  );
  try {
    const client = new SwarmClient({ url: server.url, token: "t" });
    const started = performance.now();
    const arrivals: number[] = [];
    const events: StreamEvent[] = [];
    for await (const event of client.streamTask(makeTask("t1"))) {
      arrivals.push(performance.now() - started);
      events.push(event);
    }
    assert.deepEqual(events, [
      { event: "received", task_id: "t1", node: "n1" },
      { event: "executing", node: "n1", skill: "calc" },
      { event: "done", result: okResult("t1") },
    ]);
    assert.ok(arrivals[0] < arrivals[2] - 200, `events arrived together: ${arrivals}`);
    const [seen] = server.requests;
    assert.equal(seen.path, "/task?stream=1");
    assert.equal(seen.headers.get("authorization"), "Bearer t");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.streamTask() yields an error event and stops", async () => {
  const failure = { error: "execution_failed", message: "Skill crashed" };
  const server = serve(() =>
    ndjsonResponse([{ event: "received", task_id: "t1" }, { event: "error", error: failure }])
  );
  try {
    const events = await collect(new SwarmClient({ url: server.url }).streamTask(makeTask("t1")));
    assert.deepEqual(events.at(-1), { event: "error", error: failure });
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.streamTask() turns a plain JSON answer into one done event", async () => {
  const server = serve(() => Response.json(okResult("t1", "forwarded")));
  try {
    const events = await collect(new SwarmClient({ url: server.url }).streamTask(makeTask("t1")));
    assert.deepEqual(events, [{ event: "done", result: okResult("t1", "forwarded") }]);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.streamTask() throws on error answers, bad lines and truncated streams", async () => {
  const cases: Array<[() => Response, string]> = [
    [
      () => Response.json({ error: "unauthorized", message: "Bad token" }, { status: 401 }),
      "unauthorized",
    ],
    [
      () => ndjsonResponse([{ event: "received", task_id: "t1" }, "{not json"]),
      "bad_peer_response",
    ],
    [() => ndjsonResponse([{ event: "done", result: { task_id: "t1" } }]), "bad_peer_response"],
    [() => ndjsonResponse([{ event: "received", task_id: "t1" }]), "bad_peer_response"],
  ];
  for (const [answer, code] of cases) {
    const server = serve(answer);
    try {
      await rejectsWith(
        collect(new SwarmClient({ url: server.url }).streamTask(makeTask("t1"))),
        code,
      );
    } finally {
      await server.close();
    }
  }
});

Deno.test("SwarmClient.streamTask() times out while the stream is still open", async () => {
  const server = serve((_req, _seen, closing) =>
    ndjsonResponse(
      [{ event: "received", task_id: "t1" }, { event: "done", result: okResult("t1") }],
      3000,
      closing,
    )
  );
  try {
    const seen: StreamEvent[] = [];
    const err = await rejectsWith(
      (async () => {
        for await (
          const e of new SwarmClient({ url: server.url }).streamTask(makeTask("t1"), {
            timeoutMs: 300,
          })
        ) {
          seen.push(e);
        }
      })(),
      "timeout",
    );
    assert.equal(seen.length, 1);
    assert.ok(err.message.includes("300 ms"));
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.status() returns the node's status", async () => {
  const server = serve(() =>
    Response.json({ status: "busy", current_task_id: "t9", node_id: "n1" })
  );
  try {
    const status = await new SwarmClient({ url: server.url }).status();
    assert.deepEqual(status, { status: "busy", current_task_id: "t9", node_id: "n1" });
    assert.equal(server.requests[0].path, "/status");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.status() rejects a malformed status", async () => {
  const server = serve(() => Response.json({ status: "sleepy" }));
  try {
    await rejectsWith(new SwarmClient({ url: server.url }).status(), "bad_peer_response");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.canDo() asks with comma-joined tags and the token", async () => {
  const server = serve((req) => {
    const required = new URL(req.url).searchParams.get("required");
    return Response.json({ can_do: required === "calc,web", instance_name: "n1" });
  });
  try {
    const client = new SwarmClient({ url: server.url, token: "tok" });
    assert.deepEqual(await client.canDo(["calc", "web"]), { can_do: true, instance_name: "n1" });
    assert.deepEqual(await client.canDo(["calc"]), { can_do: false, instance_name: "n1" });
    await client.canDo([]);
    assert.equal(server.requests[0].path, "/can-do?required=calc,web");
    assert.equal(server.requests[0].headers.get("authorization"), "Bearer tok");
    assert.equal(server.requests[2].path, "/can-do");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.canDo() rejects an answer without a boolean can_do", async () => {
  const server = serve(() => Response.json({ can_do: "yes" }));
  try {
    await rejectsWith(new SwarmClient({ url: server.url }).canDo(["calc"]), "bad_peer_response");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient() rejects bad options", () => {
  assert.throws(() => new SwarmClient({ url: "not a url" }), TypeError);
  assert.throws(() => new SwarmClient({ url: "ftp://127.0.0.1:7700" }), TypeError);
  assert.throws(() => new SwarmClient({ url: "http://127.0.0.1:7700", timeoutMs: 0 }), RangeError);
  assert.equal(new SwarmClient({ url: "http://127.0.0.1:7700//" }).url, "http://127.0.0.1:7700");
});

Deno.test("SwarmClient.submitTask() keeps Deno's permission error in the message", async () => {
  const worker = new Worker(new URL("./_not_capable_worker.ts", import.meta.url), {
    type: "module",
    deno: { permissions: { net: ["127.0.0.1:9"], read: true } },
  });
  try {
    const message = await withTimeout(
      new Promise<string>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
      }),
      { ms: 30_000, waitingFor: "the worker's submitTask() message" },
    );
    assert.match(
      message,
      /^peer_unreachable: Cannot reach http:\/\/127\.0\.0\.1:7\d+: .*Requires net access/,
    );
  } finally {
    worker.terminate();
  }
});

/** A body that never ends: `chunk` again and again until the reader cancels it. */
function endless(chunk: string, sent: { bytes: number; cancelled: boolean }): ReadableStream {
  const bytes = new TextEncoder().encode(chunk);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      sent.bytes += bytes.length;
      controller.enqueue(bytes);
    },
    cancel() {
      sent.cancelled = true;
    },
  });
}

Deno.test("SwarmClient.submitTask() refuses an answer over maxResultBytes and stops reading it", async () => {
  const sent = { bytes: 0, cancelled: false };
  const server = serve(() =>
    new Response(endless('{"task_id":"t1","response":"' + "a".repeat(65_536), sent), {
      headers: { "content-type": "application/json" },
    })
  );
  try {
    const client = new SwarmClient({ url: server.url, maxResultBytes: 1_000_000 });
    const err = await rejectsWith(client.submitTask(makeTask("t1")), "bad_peer_response");
    assert.match(
      err.message,
      /^Task result from http:\/\/127\.0\.0\.1:\d+ is larger than the limit of 1000000 bytes$/,
    );
    assert.deepEqual(
      [err.details.status, err.details.reason, err.details.max_bytes],
      [200, "too_large", 1_000_000],
    );
    await sleep(100);
    assert.ok(sent.cancelled, "the peer's body was cancelled");
    assert.ok(sent.bytes < 20_000_000, `the peer sent ${sent.bytes} bytes`);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.submitTask() refuses a Content-Length over maxResultBytes before reading", async () => {
  const server = serve(() => Response.json(okResult("t1", "x".repeat(2000))));
  try {
    const client = new SwarmClient({ url: server.url, maxResultBytes: 1000 });
    const err = await rejectsWith(client.submitTask(makeTask("t1")), "bad_peer_response");
    assert.equal(err.details.reason, "too_large");
    const fits = new SwarmClient({ url: server.url, maxResultBytes: 3000 });
    assert.equal((await fits.submitTask(makeTask("t1"))).response.length, 2000);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.status() and canDo() refuse answers over their limits", async () => {
  const sent = { bytes: 0, cancelled: false };
  const server = serve(() =>
    new Response(endless('{"status":"idle","pad":"' + "p".repeat(16_384), sent), {
      headers: { "content-type": "application/json" },
    })
  );
  try {
    const client = new SwarmClient({ url: server.url, maxStatusBytes: 100_000 });
    const status = await rejectsWith(client.status(), "bad_peer_response");
    assert.match(status.message, /larger than the limit of 100000 bytes/);
    const canDo = await rejectsWith(client.canDo(["calc"]), "bad_peer_response");
    assert.match(canDo.message, /larger than the limit of 65536 bytes/);
    const defaults = await rejectsWith(
      new SwarmClient({ url: server.url }).status(),
      "bad_peer_response",
    );
    assert.match(defaults.message, /larger than the limit of 1048576 bytes/);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient reads only the first 64 KiB of an error answer", async () => {
  const sent = { bytes: 0, cancelled: false };
  const server = serve(() => new Response(endless("oops ", sent), { status: 403 }));
  try {
    const client = new SwarmClient({ url: server.url });
    const err = await rejectsWith(client.submitTask(makeTask("t1")), "forward_failed");
    assert.equal(err.details.status, 403);
    assert.match(err.message, /answered 403 Forbidden: oops oops/);
    await sleep(100);
    assert.ok(sent.cancelled && sent.bytes < 10_000_000, `the peer sent ${sent.bytes} bytes`);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient gives up on a body that trickles past its time limit", async () => {
  const server = serve((_req, _seen, closing) => {
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await sleep(50, closing);
        controller.enqueue(new TextEncoder().encode(" "));
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  try {
    const client = new SwarmClient({ url: server.url, timeoutMs: 300 });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["submitTask()", () => client.submitTask(makeTask("t1"))],
      ["status()", () => client.status()],
    ];
    for (const [name, call] of calls) {
      // The body never ends: only the client's limit ends the call.
      const err = await rejectsWith(
        withTimeout(call(), { ms: 10_000, waitingFor: `${name} to give up on an endless body` }),
        "timeout",
      );
      assert.match(err.message, /Timed out after 300 ms/);
    }
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient never follows a redirect: a 3xx is forward_failed 'redirect refused'", async () => {
  const target = serve(() => Response.json(okResult("t1", "followed")));
  const server = serve(() =>
    new Response(null, { status: 307, headers: { location: `${target.url}/task` } })
  );
  try {
    const client = new SwarmClient({ url: server.url, token: "secret" });
    for (const call of [() => client.submitTask(makeTask("t1")), () => client.status()]) {
      const err = await rejectsWith(call(), "forward_failed");
      assert.equal(err.details.status, 307);
      assert.match(
        err.message,
        /answered 307: redirect refused \(to http:\/\/127\.0\.0\.1:\d+\/task\)$/,
      );
    }
    const events = client.streamTask(makeTask("t1"));
    const err = await rejectsWith(collect(events), "forward_failed");
    assert.match(err.message, /redirect refused/);
    assert.equal(target.requests.length, 0, "the redirect target was never asked");
  } finally {
    await Promise.all([server.close(), target.close()]);
  }
});

Deno.test("SwarmClient marks a complete 2xx answer that is no result with its reason", async () => {
  const cases: Array<[string, () => Response, string]> = [
    ["not JSON", () => new Response("<html>portal</html>"), "invalid_json"],
    ["not a result", () => Response.json({ task_id: "t1", response: 1 }), "invalid_result"],
  ];
  for (const [label, answer, reason] of cases) {
    const server = serve(answer);
    try {
      const err = await rejectsWith(
        new SwarmClient({ url: server.url }).submitTask(makeTask("t1")),
        "bad_peer_response",
      );
      assert.deepEqual([err.details.status, err.details.reason], [200, reason], label);
    } finally {
      await server.close();
    }
  }
});

Deno.test("SwarmClient.streamTask() refuses an over-long progress event, line or event count", async () => {
  const executing = (skill: string) => ({ event: "executing", node: "p", skill });
  const cases: Array<[string, unknown[], Record<string, unknown>, RegExp, string]> = [
    [
      "progress event over 64 KiB",
      [executing("s".repeat(70_000))],
      {},
      /Progress event from .* is larger than the limit of 65536 bytes/,
      "too_large",
    ],
    [
      "line over maxResultBytes",
      [{ event: "done", result: okResult("t1", "r".repeat(5000)) }],
      { maxResultBytes: 4096 },
      /longer than 4096 bytes/,
      "too_large",
    ],
    [
      "more progress events than maxProgressEvents",
      Array.from({ length: 10 }, () => executing("calc")),
      { maxProgressEvents: 5 },
      /sent more than 5 progress events/,
      "too_many_events",
    ],
    [
      "a line that is not an event",
      [{ nope: true }],
      {},
      /Invalid stream line/,
      "invalid_event",
    ],
  ];
  for (const [label, lines, options, message, reason] of cases) {
    const server = serve(() => ndjsonResponse(lines));
    try {
      const client = new SwarmClient({ url: server.url, ...options });
      const err = await rejectsWith(
        collect(client.streamTask(makeTask("t1"))),
        "bad_peer_response",
      );
      assert.match(err.message, message, label);
      assert.deepEqual([err.details.status, err.details.reason], [200, reason], label);
    } finally {
      await server.close();
    }
  }
});

Deno.test("SwarmClient() refuses size and count limits that are not positive integers", () => {
  for (const field of ["maxResultBytes", "maxStatusBytes", "maxProgressEvents"]) {
    for (const value of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new SwarmClient({ url: "http://h:1", [field]: value }), {
        name: "RangeError",
        message: new RegExp(`'${field}' must be a positive integer`),
      });
    }
  }
});

Deno.test("SwarmClient marks an answer cut off after its 2xx status as cut_off", async () => {
  const server = serve(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"task_id":"t1","resp'));
          setTimeout(() => controller.error(new Error("peer died")), 20);
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const err = await rejectsWith(
      new SwarmClient({ url: server.url }).submitTask(makeTask("t1")),
      "peer_unreachable",
    );
    assert.match(err.message, /^Lost connection to http:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual([err.details.status, err.details.reason], [200, "cut_off"]);
  } finally {
    await server.close();
  }
});

async function collectEvents(
  events: AsyncIterable<Record<string, unknown>>,
): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

Deno.test("SwarmClient.events() asks for the types after the last id and yields each event", async () => {
  const server = serve(() => {
    const response = ndjsonResponse([
      { id: 8, type: "peer_left", peer: "p2" },
      "",
      { id: 9, type: "task_failed", task_id: "t1" },
    ]);
    response.headers.set("x-swarm-events-gap", "true");
    return response;
  });
  try {
    const client = new SwarmClient({ url: server.url, token: "s3cret", timeoutMs: 1 });
    const stream = await client.events({ types: ["peer_left", "task_failed"], lastEventId: 7 });
    assert.equal(stream.gap, true);
    const events = await collectEvents(stream);
    assert.deepEqual(events.map((e) => e.id), [8, 9], "no overall time limit applies");
    assert.equal(stream.received, true);
    const [seen] = server.requests;
    assert.equal(seen.path, "/events?types=peer_left,task_failed");
    assert.equal(seen.headers.get("accept"), "application/x-ndjson");
    assert.equal(seen.headers.get("authorization"), "Bearer s3cret");
    assert.equal(seen.headers.get("last-event-id"), "7");
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.events() throws the node's error answer and refuses what is not a stream", async () => {
  const server = serve((_req, seen) =>
    seen.headers.get("authorization")
      ? new Response("<html></html>", { headers: { "content-type": "text/html" } })
      : Response.json({ error: "unauthorized", message: "Missing or invalid bearer token" }, {
        status: 401,
      })
  );
  try {
    const refused = await rejectsWith(
      new SwarmClient({ url: server.url }).events(),
      "unauthorized",
    );
    assert.equal(refused.message, "Missing or invalid bearer token");
    assert.equal(refused.details.status, 401);
    const html = await rejectsWith(
      new SwarmClient({ url: server.url, token: "t" }).events(),
      "bad_peer_response",
    );
    assert.match(html.message, /\/events answered 'text\/html' instead of an event stream/);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.events() reports an unreachable node as peer_unreachable", async () => {
  const server = serve(() => new Response("x"));
  const url = server.url;
  await server.close();
  const err = await rejectsWith(new SwarmClient({ url }).events(), "peer_unreachable");
  assert.ok(err.message.startsWith(`Cannot reach ${url}: `), err.message);
  assert.equal(err.details.status, undefined);
});

Deno.test("SwarmClient.events() fails a stream that goes silent or is cut as peer_unreachable cut_off", async () => {
  const server = serve((_req, _seen, closing) =>
    ndjsonResponse([{ id: 1, type: "peer_joined" }, { id: 2, type: "peer_left" }], 2_000, closing)
  );
  try {
    const stream = await new SwarmClient({ url: server.url }).events({ idleTimeoutMs: 200 });
    const seen: unknown[] = [];
    const err = await rejectsWith(
      (async () => {
        for await (const event of stream) seen.push(event.id);
      })(),
      "peer_unreachable",
    );
    assert.deepEqual(seen, [1]);
    assert.match(
      err.message,
      /^Lost connection to http:\/\/127\.0\.0\.1:\d+: No data from .* for 200 ms$/,
    );
    assert.deepEqual([err.details.status, err.details.reason], [200, "cut_off"]);
    assert.equal(stream.received, true);
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.events() refuses a line that is not a JSON object", async () => {
  const server = serve(() => ndjsonResponse([{ id: 1, type: "peer_joined" }, "[1]"]));
  try {
    const stream = await new SwarmClient({ url: server.url }).events();
    const err = await rejectsWith(collectEvents(stream), "bad_peer_response");
    assert.match(
      err.message,
      /^Invalid event from http:\/\/127\.0\.0\.1:\d+: expected a JSON object: \[1\]$/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("SwarmClient.events() stops with the caller's abort reason", async () => {
  const server = serve((_req, _seen, closing) =>
    ndjsonResponse([{ id: 1, type: "peer_joined" }, { id: 2, type: "peer_left" }], 2_000, closing)
  );
  try {
    const stop = new AbortController();
    const stream = await new SwarmClient({ url: server.url }).events({ signal: stop.signal });
    const reason = new Error("stopped");
    await assert.rejects(
      (async () => {
        for await (const _event of stream) stop.abort(reason);
      })(),
      (err) => err === reason,
    );
  } finally {
    await server.close();
  }
});
