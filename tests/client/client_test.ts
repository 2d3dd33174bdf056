import assert from "node:assert/strict";
import { SwarmClient } from "../../lib/client/client.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { StreamEvent } from "../../lib/protocol/types.ts";
import { makeTask, ndjsonResponse, okResult, serve, sleep } from "./_serve.ts";

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SwarmError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SwarmError, `expected a SwarmError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
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

Deno.test("SwarmClient.submitTask() reports an unreachable node as forward_failed naming the URL", async () => {
  const server = serve(() => new Response("x"));
  const url = server.url;
  await server.close();
  const err = await rejectsWith(
    new SwarmClient({ url }).submitTask(makeTask("t1")),
    "forward_failed",
  );
  assert.ok(err.message.startsWith(`Cannot reach ${url}: `), err.message);
  assert.ok(err.message.length > `Cannot reach ${url}: `.length);
});

Deno.test("SwarmClient names what went wrong when fetch says only 'fetch failed'", async () => {
  const cause = new Error(
    "error sending request for url (https://10.0.0.9:7700/status): client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  const failing: typeof fetch = () => Promise.reject(new TypeError("fetch failed", { cause }));
  const err = await rejectsWith(
    new SwarmClient({ url: "https://10.0.0.9:7700", fetch: failing }).status(),
    "forward_failed",
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
    const started = performance.now();
    const err = await rejectsWith(
      new SwarmClient({ url: server.url, timeoutMs: 5000 }).submitTask(makeTask("t1"), {
        timeoutMs: 200,
      }),
      "timeout",
    );
    assert.ok(performance.now() - started < 3000);
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
    const message = await new Promise<string>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
    assert.match(
      message,
      /^forward_failed: Cannot reach http:\/\/127\.0\.0\.1:7\d+: .*Requires net access/,
    );
  } finally {
    worker.terminate();
  }
});
