import assert from "node:assert/strict";
import { SwarmClient } from "../../lib/client/client.ts";
import { HealthChecker } from "../../lib/peers/health_checker.ts";
import { DEFAULT_HEALTH_POLICY, type HealthState } from "../../lib/peers/health_state.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeTask, StreamEvent } from "../../lib/protocol/types.ts";
import type { LlmConfig } from "../../lib/config/llm_config.ts";
import { Deadline } from "../../lib/routing/deadline.ts";
import { type RoutedInfo, Router, type RouterDeps } from "../../lib/routing/router.ts";
import type { Peer } from "../../lib/routing/types.ts";
import { forwardingFor } from "../../lib/security/forwarding.ts";
import type { Grant } from "../../lib/security/grant.ts";
import {
  makeTask,
  ndjsonResponse,
  okResult,
  serve,
  sleep,
  type TestServer,
} from "../client/_serve.ts";
import { peer } from "./_peer.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";

const NO_LLM: LlmConfig = {
  enabled: false,
  baseUrl: "http://127.0.0.1:9",
  model: "m",
  timeoutMs: 300,
};

type TaskMode =
  | "ok"
  | "fail"
  | "busy"
  | "slow"
  | "invalid"
  | "stream-error"
  | "json-only"
  | "other-id"
  | "forbidden"
  | "conflict"
  | "not-a-result"
  | "redirect"
  | "huge"
  | "stream-forbidden";

interface PeerServer extends TestServer {
  id: string;
  /** Bodies of the tasks it received. */
  tasks(): NodeTask[];
}

/** `/can-do` questions being answered at once, across the servers sharing it. */
interface InFlight {
  now: number;
  /** The most at any one time. */
  max: number;
}

/**
 * A peer answering `/task` per `mode` and `/can-do` with `canDo` after `canDoDelayMs`,
 * counting its `/can-do` questions in `inFlight` while it holds them.
 */
function peerServer(
  id: string,
  mode: TaskMode,
  canDo = false,
  canDoDelayMs = 0,
  inFlight: InFlight = { now: 0, max: 0 },
): PeerServer {
  const server = serve(async (req, seen, closing) => {
    const url = new URL(req.url);
    if (url.pathname === "/can-do") {
      inFlight.max = Math.max(inFlight.max, ++inFlight.now);
      try {
        await sleep(canDoDelayMs, closing);
      } finally {
        inFlight.now--;
      }
      return Response.json({ can_do: canDo, instance_name: id });
    }
    const task = JSON.parse(seen.body) as NodeTask;
    const stream = url.searchParams.get("stream") === "1";
    const result = okResult(mode === "other-id" ? "remote-id" : task.id, `from ${id}`);
    switch (mode) {
      case "fail":
        return new Response("boom", { status: 500 });
      case "busy":
        return Response.json(
          { error: "overloaded", message: "Node is busy", retry_after_s: 1 },
          { status: 429, headers: { "retry-after": "1" } },
        );
      case "slow":
        await sleep(5000, closing);
        return Response.json(result);
      case "invalid":
        return new Response("not json", { headers: { "content-type": "application/json" } });
      case "stream-error": {
        const error = { error: "draining", message: "Node is shutting down" };
        return stream
          ? ndjsonResponse([{ event: "received", task_id: task.id, node: id }, {
            event: "error",
            error,
          }])
          : Response.json(error, { status: 500 });
      }
      case "stream-forbidden": {
        // A swarm node refusing the caller's scope after its stream began (200).
        const refusal = { error: "forbidden", message: `${id} refuses`, missing_scope: "skill:x" };
        return stream
          ? ndjsonResponse([{ event: "received", task_id: task.id, node: id }, {
            event: "error",
            error: refusal,
          }])
          : Response.json(refusal, { status: 403 });
      }
      case "json-only":
        return Response.json(result);
      case "forbidden":
        return Response.json(
          { error: "forbidden", message: `${id} refuses`, missing_scope: "skill:calc" },
          { status: 403 },
        );
      case "conflict":
        return Response.json(
          { error: "task_conflict", message: `${id} saw it before` },
          { status: 409 },
        );
      case "not-a-result":
        return Response.json({ task_id: task.id, response: 42 });
      case "redirect":
        return new Response(null, {
          status: 307,
          headers: { location: "http://127.0.0.1:9/task" },
        });
      case "huge":
        return new Response(`{"task_id":"x","response":"${"a".repeat(4096)}"}`, {
          headers: { "content-type": "application/json" },
        });
      default:
        return stream
          ? ndjsonResponse([
            { event: "received", task_id: task.id, node: id },
            { event: "executing", node: id, skill: "calc" },
            { event: "done", result },
          ])
          : Response.json(result);
    }
  });
  const tasks = () =>
    server.requests.filter((r) => r.path.startsWith("/task")).map((r) => JSON.parse(r.body));
  return { ...server, id, tasks };
}

function asPeer(server: PeerServer, fields: Partial<Peer> = {}): Peer {
  return peer(server.id, { address: server.address, ...fields });
}

interface Harness {
  router: Router;
  local: Array<{ task: NodeTask; capabilities: string[] }>;
  routed: RoutedInfo[];
}

function harness(peers: Peer[], fields: Partial<RouterDeps> = {}): Harness {
  const local: Harness["local"] = [];
  const routed: RoutedInfo[] = [];
  const router = new Router({
    selfId: "me",
    maxHops: 4,
    localCapabilities: () => [],
    peers: () => Promise.resolve(peers),
    executeLocal: async (task, { capabilities }) => {
      await Promise.resolve();
      local.push({ task, capabilities });
      return okResult(task.id, "local");
    },
    clientFor: (p) => new SwarmClient({ url: `${p.scheme}://${p.address}`, token: "tok" }),
    llm: NO_LLM,
    canDoTimeoutMs: 1000,
    forwardTimeoutMs: 2000,
    retryPolicy: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, jitter: 0 },
    onRouted: (info) => routed.push(info),
    ...fields,
  });
  return { router, local, routed };
}

async function closeAll(servers: TestServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.close()));
}

Deno.test("Router.route() runs a task locally when this node holds every tag", async () => {
  const calc = peerServer("calc", "ok");
  try {
    const { router, local, routed } = harness([asPeer(calc, { capabilities: ["calc"] })], {
      localCapabilities: () => ["calc", "web"],
    });
    const events: StreamEvent[] = [];
    const result = await router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(result, okResult("t1", "local"));
    assert.deepEqual(local.map((l) => l.capabilities), [["calc"]]);
    assert.deepEqual(events, [{ event: "executing", node: "me" }]);
    assert.equal(calc.requests.length, 0);
    assert.equal(routed[0].route, "local");
    assert.equal(routed[0].ok, true);
  } finally {
    await calc.close();
  }
});

Deno.test("Router.route() retries past a busy and a slow peer to a good one", async () => {
  const servers = [
    peerServer("busy", "busy"),
    peerServer("slow", "slow"),
    peerServer("good", "ok"),
  ];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router, routed } = harness(peers, { forwardTimeoutMs: 300 });
    const result = await router.route(makeTask("t1", ["calc"]), { hops: 1, via: ["origin"] });
    // The slow peer would answer (ok) after 5 s: the good peer's answer shows it was cut off.
    assert.deepEqual(result, okResult("t1", "from good"));
    assert.deepEqual(routed[0].attempts.map((a) => [a.peer, a.error]), [
      ["busy", "overloaded"],
      ["slow", "timeout"],
    ]);
    for (const server of servers) assert.equal(server.tasks().length, 1, server.id);
    const seen = servers[2].requests[0];
    assert.equal(seen.headers.get("x-swarm-hops"), "2");
    assert.equal(seen.headers.get("x-swarm-via"), "origin,me");
    assert.equal(seen.headers.get("authorization"), "Bearer tok");
    assert.deepEqual(JSON.parse(seen.body), makeTask("t1", ["calc"]));
    const [info] = routed;
    assert.equal(info.route, "forward");
    assert.equal(info.peer, "good");
    assert.deepEqual(info.attempts.map((a) => [a.peer, a.error]), [
      ["busy", "overloaded"],
      ["slow", "timeout"],
    ]);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() throws forward_failed naming every failed attempt", async () => {
  const servers = [peerServer("busy", "busy"), peerServer("broken", "fail")];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router, routed } = harness(peers);
    const err = await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
      "forward_failed",
    );
    assert.match(
      err.message,
      /^All 2 forward attempts failed: busy \(Node is busy\); broken \(.+\)$/,
    );
    assert.deepEqual(err.details.required_capabilities, ["calc"]);
    assert.equal((err.details.attempts as unknown[]).length, 2);
    assert.equal(err.status, 502);
    assert.equal(routed[0].ok, false);
    assert.equal(routed[0].error, "forward_failed");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() relays remote progress in stream mode and skips failed streams", async () => {
  const servers = [
    peerServer("busy", "busy"),
    peerServer("broken", "stream-error"),
    peerServer("good", "ok"),
  ];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router, routed } = harness(peers);
    const events: StreamEvent[] = [];
    const result = await router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(result, okResult("t1", "from good"));
    assert.deepEqual(events, [
      { event: "forwarding", peer: "busy", address: servers[0].address, attempt: 1 },
      { event: "forwarding", peer: "broken", address: servers[1].address, attempt: 2 },
      { event: "received", task_id: "t1", node: "broken" },
      { event: "forwarding", peer: "good", address: servers[2].address, attempt: 3 },
      { event: "received", task_id: "t1", node: "good" },
      { event: "executing", node: "good", skill: "calc" },
    ]);
    assert.equal(servers[2].requests[0].path, "/task?stream=1");
    assert.deepEqual(routed[0].attempts.map((a) => [a.peer, a.error, a.message]), [
      ["busy", "overloaded", "Node is busy"],
      ["broken", "draining", "Node is shutting down"],
    ]);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() accepts a plain JSON answer to a streamed forward", async () => {
  const skilllite = peerServer("skilllite", "json-only");
  try {
    const { router } = harness([asPeer(skilllite, { capabilities: ["calc"], swarm: false })]);
    const events: StreamEvent[] = [];
    const result = await router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(result, okResult("t1", "from skilllite"));
    assert.deepEqual(events.map((e) => e.event), ["forwarding"]);
  } finally {
    await skilllite.close();
  }
});

Deno.test("Router.route() returns a peer's result with another task_id as is", async () => {
  const other = peerServer("other", "other-id");
  try {
    const { router } = harness([asPeer(other, { capabilities: ["calc"] })]);
    const result = await router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] });
    assert.equal(result.task_id, "remote-id");
  } finally {
    await other.close();
  }
});

Deno.test("Router.route() asks every peer /can-do in parallel and forwards to those that can", async () => {
  const inFlight = { now: 0, max: 0 };
  const servers = [
    peerServer("no", "ok", false, 400, inFlight),
    peerServer("yes-b", "ok", true, 400, inFlight),
    peerServer("yes-a", "busy", true, 400, inFlight),
    peerServer("mute", "ok", true, 5000, inFlight),
  ];
  try {
    const peers = [
      asPeer(servers[0]),
      asPeer(servers[1], { load: 1 }),
      asPeer(servers[2], { load: 0 }),
      asPeer(servers[3]),
    ];
    const { router, routed } = harness(peers, { canDoTimeoutMs: 1000 });
    const result = await router.route(makeTask("t1", ["gpu"]), { hops: 0, via: [] });
    // Each question is held at least 400 ms: four at once means nobody waited for another.
    assert.equal(inFlight.max, 4, "questions held at once");
    assert.deepEqual(result, okResult("t1", "from yes-b"));
    for (const server of servers) {
      const ask = server.requests.find((r) => r.path.startsWith("/can-do"));
      assert.equal(ask?.path, "/can-do?required=gpu", server.id);
      assert.equal(ask?.headers.get("authorization"), "Bearer tok");
    }
    assert.equal(servers[0].tasks().length, 0);
    assert.equal(servers[2].tasks().length, 1);
    assert.equal(servers[3].tasks().length, 0);
    const [info] = routed;
    assert.equal(info.route, "broadcast");
    assert.deepEqual(info.broadcast?.able, ["yes-a", "yes-b"]);
    assert.deepEqual(info.attempts.map((a) => a.peer), ["yes-a"]);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() asks /can-do of all peers at once", async () => {
  const inFlight = { now: 0, max: 0 };
  const servers = ["a", "b", "c"].map((id) => peerServer(id, "ok", id === "c", 400, inFlight));
  try {
    const { router } = harness(servers.map((s) => asPeer(s)));
    await router.route(makeTask("t1", ["gpu"]), { hops: 0, via: [] });
    // Asked one after another, no two questions would be held at the same time.
    assert.equal(inFlight.max, 3, "questions held at once");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() throws no_match when nobody can", async () => {
  const servers = [peerServer("no", "ok", false)];
  try {
    const cases: Array<[Peer[], string]> = [[[], "no peers"], [
      [asPeer(servers[0])],
      "every /can-do false",
    ]];
    for (const [peers, name] of cases) {
      const { router, local } = harness(peers, { localCapabilities: () => ["calc"] });
      const err = await rejectsWith(
        router.route(makeTask("t1", ["gpu", "cuda"]), { hops: 0, via: [] }),
        "no_match",
      );
      assert.equal(err.message, "No node can handle required capabilities: gpu, cuda", name);
      assert.deepEqual(err.details, { required_capabilities: ["gpu", "cuda"] }, name);
      assert.equal(local.length, 0, name);
    }
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() refuses loops and exhausted hop counts", async () => {
  const good = peerServer("good", "ok", true);
  try {
    const peers = [asPeer(good, { capabilities: ["calc"] })];
    const { router, local, routed } = harness(peers, {
      maxHops: 2,
      localCapabilities: () => ["calc"],
    });
    await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 1, via: ["a", "me"] }),
      "loop_detected",
    );
    await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 3, via: ["a"] }),
      "hop_limit_exceeded",
    );
    assert.equal(local.length, 0);
    assert.deepEqual(routed.map((r) => r.route), ["rejected", "rejected"]);
    // At the limit a task still runs locally, but is not forwarded or broadcast.
    await router.route(makeTask("t1", ["calc"]), { hops: 2, via: ["a", "b"] });
    assert.equal(local.length, 1);
    const { router: bare } = harness(peers, { maxHops: 2 });
    await rejectsWith(
      bare.route(makeTask("t1", ["calc"]), { hops: 2, via: ["a", "b"] }),
      "hop_limit_exceeded",
    );
    await rejectsWith(
      bare.route(makeTask("t1", ["gpu"]), { hops: 2, via: ["a", "b"] }),
      "hop_limit_exceeded",
    );
    assert.equal(good.requests.length, 0);
  } finally {
    await good.close();
  }
});

Deno.test("Router.route() never forwards to a node the task already visited", async () => {
  const servers = [peerServer("a", "ok"), peerServer("b", "ok")];
  try {
    const peers = servers.map((s) => asPeer(s, { capabilities: ["calc"] }));
    const { router } = harness(peers);
    const result = await router.route(makeTask("t1", ["calc"]), { hops: 1, via: ["a"] });
    assert.deepEqual(result, okResult("t1", "from b"));
    assert.equal(servers[0].requests.length, 0);
    assert.equal(servers[1].requests[0].headers.get("x-swarm-via"), "a,me");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() forwards an untagged task along the fallback chain when it has no capability", async () => {
  const servers = [peerServer("one", "ok"), peerServer("two", "ok")];
  try {
    const peers = [
      asPeer(servers[0], { capabilities: ["web"] }),
      asPeer(servers[1], { capabilities: ["calc", "web"] }),
    ];
    const { router, routed } = harness(peers);
    const result = await router.route(makeTask("t1", [], "hello there"), { hops: 0, via: [] });
    assert.deepEqual(result, okResult("t1", "from two"));
    assert.deepEqual(servers[1].tasks()[0].context.required_capabilities, []);
    assert.equal(routed[0].inference?.source, "none");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() runs an untagged task locally when nobody has capabilities", async () => {
  const { router, local, routed } = harness([peer("bare")]);
  await router.route(makeTask("t1", [], "1+1"), { hops: 0, via: [] });
  assert.deepEqual(local.map((l) => l.capabilities), [[]]);
  assert.equal(routed[0].inference, undefined);
});

Deno.test("Router.route() routes an untagged task by the LLM's inferred tags", async () => {
  const chat = serve(() => Response.json({ choices: [{ message: { content: '["calc"]' } }] }));
  const calc = peerServer("calc", "ok");
  try {
    const { router, routed } = harness([asPeer(calc, { capabilities: ["calc"] })], {
      localCapabilities: () => ["web"],
      llm: { enabled: true, apiKey: "sk-test", baseUrl: chat.url, model: "m", timeoutMs: 2000 },
    });
    const result = await router.route(makeTask("t1", [], "how much is one and one"), {
      hops: 0,
      via: [],
    });
    assert.deepEqual(result, okResult("t1", "from calc"));
    assert.deepEqual(calc.tasks()[0].context.required_capabilities, ["calc"]);
    assert.ok(JSON.parse(chat.requests[0].body).messages[0].content.includes("calc, web"));
    assert.deepEqual(routed[0].inference, { tags: ["calc"], source: "llm" });
    assert.deepEqual(routed[0].required, ["calc"]);
  } finally {
    await closeAll([chat, calc]);
  }
});

Deno.test("Router.route() falls back to offline inference when the LLM is too slow", async () => {
  const chat = serve(async (_req, _seen, closing) => {
    await sleep(5000, closing);
    return Response.json({ choices: [{ message: { content: '["web"]' } }] });
  });
  const calc = peerServer("calc", "ok");
  try {
    const { router, routed } = harness([asPeer(calc, { capabilities: ["calc"] })], {
      localCapabilities: () => ["web"],
      llm: { enabled: true, apiKey: "sk-test", baseUrl: chat.url, model: "m", timeoutMs: 300 },
    });
    // The LLM would answer ["web"] (local) after 5 s: "calc" from the offline rules
    // shows it was cut off at its 300 ms.
    const result = await router.route(makeTask("t1", [], "1+1等于几？"), { hops: 0, via: [] });
    assert.deepEqual(result, okResult("t1", "from calc"));
    assert.equal(routed[0].inference?.source, "offline");
    assert.deepEqual(routed[0].inference?.tags, ["calc"]);
  } finally {
    await closeAll([chat, calc]);
  }
});

Deno.test("Router.route() passes inferred tags to the local executor", async () => {
  const { router, local } = harness([peer("web", { capabilities: ["web"] })], {
    localCapabilities: () => ["calc"],
  });
  await router.route(makeTask("t1", [], "what is 12 * 7"), { hops: 0, via: [] });
  assert.deepEqual(local.map((l) => l.capabilities), [["calc"]]);
  assert.deepEqual(local[0].task.context.required_capabilities, []);
});

Deno.test("Router.route() routes as untagged when the inferred tags fit no node", async () => {
  const chat = serve(() =>
    Response.json({ choices: [{ message: { content: '["calc", "web"]' } }] })
  );
  const web = peerServer("web", "ok", false);
  try {
    const { router, local, routed } = harness([asPeer(web, { capabilities: ["web"] })], {
      localCapabilities: () => ["calc"],
      llm: { enabled: true, apiKey: "sk-test", baseUrl: chat.url, model: "m", timeoutMs: 2000 },
    });
    const result = await router.route(makeTask("t1", [], "add 1 and 1 and post it"), {
      hops: 0,
      via: [],
    });
    assert.deepEqual(result, okResult("t1", "local"));
    assert.equal(web.requests.filter((r) => r.path.startsWith("/can-do")).length, 1);
    assert.deepEqual(local.map((l) => l.capabilities), [[]]);
    assert.equal(routed[0].route, "local");
  } finally {
    await closeAll([chat, web]);
  }
});

Deno.test("Router.route() stops at the caller's abort without trying further peers", async () => {
  const servers = [peerServer("slow", "slow"), peerServer("good", "ok")];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router } = harness(peers, { forwardTimeoutMs: 5000 });
    const controller = new AbortController();
    const reason = new Error("Client went away");
    setTimeout(() => controller.abort(reason), 200);
    await assert.rejects(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [], signal: controller.signal }),
      (err) => err === reason,
    );
    assert.equal(servers[1].requests.length, 0);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() survives a throwing onRouted hook", async () => {
  const { router } = harness([], {
    localCapabilities: () => ["calc"],
    onRouted: () => {
      throw new Error("metrics down");
    },
  });
  const result = await router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] });
  assert.equal(result.response, "local");
});

Deno.test("Router() rejects bad limits", () => {
  const deps = (fields: Partial<RouterDeps>): RouterDeps => ({
    selfId: "me",
    maxHops: 4,
    localCapabilities: () => [],
    peers: () => Promise.resolve([]),
    executeLocal: (task) => Promise.resolve(okResult(task.id)),
    clientFor: () => {
      throw new Error("unused");
    },
    llm: NO_LLM,
    ...fields,
  });
  assert.throws(() => new Router(deps({ maxHops: -1 })), RangeError);
  assert.throws(() => new Router(deps({ maxHops: 1.5 })), RangeError);
  assert.throws(() => new Router(deps({ canDoTimeoutMs: 0 })), RangeError);
  assert.throws(() => new Router(deps({ forwardTimeoutMs: Number.NaN })), RangeError);
  assert.doesNotThrow(() => new Router(deps({ maxHops: 0 })));
});

Deno.test("Router.route() does not retry an answer that may mean the task ran (500, too large)", async () => {
  const cases = [
    ["fail", "forward_failed", /answered 500/],
    ["huge", "bad_peer_response", /larger than the limit of 1024 bytes/],
  ] as const;
  for (const [mode, code, message] of cases) {
    const servers = [peerServer("first", mode), peerServer("good", "ok")];
    try {
      const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
      const { router } = harness(peers, {
        clientFor: (p) =>
          new SwarmClient({ url: `${p.scheme}://${p.address}`, maxResultBytes: 1024 }),
      });
      const err = await rejectsWith(
        router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
        code,
      );
      assert.match(err.message, message);
      assert.equal(servers[1].tasks().length, 0, "the next candidate is not asked");
    } finally {
      await closeAll(servers);
    }
  }
});

Deno.test("Router.route() sends the task on after a peer's refusal or garbage answer", async () => {
  const cases: Array<[TaskMode, string]> = [
    ["forbidden", "forbidden"],
    ["conflict", "task_conflict"],
    ["invalid", "bad_peer_response"],
    ["not-a-result", "bad_peer_response"],
    ["redirect", "forward_failed"],
  ];
  for (const [mode, code] of cases) {
    for (const stream of [false, true]) {
      const servers = [peerServer("liar", mode), peerServer("honest", "ok")];
      try {
        const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
        const { router, routed } = harness(peers);
        const events: StreamEvent[] = [];
        const result = await router.route(makeTask("t1", ["calc"]), {
          hops: 0,
          via: [],
          ...(stream ? { onEvent: (e: StreamEvent) => void events.push(e) } : {}),
        });
        const label = `${mode}${stream ? " (stream)" : ""}`;
        assert.deepEqual(result, okResult("t1", "from honest"), label);
        assert.equal(servers[0].tasks().length, 1, `${label}: the liar was asked first`);
        assert.deepEqual(routed[0].attempts.map((a) => [a.peer, a.error]), [["liar", code]], label);
        if (mode === "redirect") assert.match(routed[0].attempts[0].message, /redirect refused/);
      } finally {
        await closeAll(servers);
      }
    }
  }
});

Deno.test("Router.route() answers a refusal every candidate gave alike with its own code", async () => {
  const servers = [peerServer("a", "forbidden"), peerServer("b", "forbidden")];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router } = harness(peers);
    const err = await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
      "forbidden",
    );
    assert.equal(err.status, 403);
    assert.equal(err.details.missing_scope, "skill:calc");
    assert.equal((err.details.attempts as unknown[]).length, 2);
    for (const server of servers) assert.equal(server.tasks().length, 1, server.id);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() answers forward_failed listing peer_unreachable when no candidate answers", async () => {
  const gone = await Promise.all(["a", "b"].map(async (id) => {
    const server = peerServer(id, "ok");
    await server.close();
    return asPeer(server, { capabilities: ["calc"] });
  }));
  // Equal loads: the tie-break by address would follow the random ports; loads fix the order.
  const { router, routed } = harness(gone.map((peer, load) => ({ ...peer, load })));
  const err = await rejectsWith(
    router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
    "forward_failed",
  );
  assert.equal(err.status, 502);
  assert.match(
    err.message,
    /^All 2 forward attempts failed: a \(Cannot reach .*\); b \(Cannot reach .*\)$/,
  );
  assert.deepEqual(routed[0].attempts.map((a) => a.error), [
    "peer_unreachable",
    "peer_unreachable",
  ]);
});

Deno.test("Router.route() answers forward_failed when candidates refused differently", async () => {
  const servers = [peerServer("a", "forbidden"), peerServer("b", "conflict")];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router } = harness(peers);
    const err = await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
      "forward_failed",
    );
    assert.match(err.message, /a \(a refuses\); b \(b saw it before\)/);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() orders by believable load only: a negative claim does not come first", async () => {
  const servers = [peerServer("liar", "ok"), peerServer("honest", "ok")];
  try {
    // The liar's address sorts after the honest peer's; only its load could put it first.
    const [liar, honest] = servers[0].address > servers[1].address
      ? servers
      : [servers[1], servers[0]];
    const peers = [
      asPeer(liar, { capabilities: ["calc"], load: -1_000_000 }),
      asPeer(honest, { capabilities: ["calc"], load: 0 }),
    ];
    const { router, routed } = harness(peers);
    await router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] });
    assert.equal(routed[0].peer, honest.id);
    assert.equal(liar.tasks().length, 0);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() reads a peer's stream no faster than an async sink accepts events", async () => {
  const server = serve(() =>
    ndjsonResponse([
      { event: "received", task_id: "t1", node: "p" },
      { event: "executing", node: "p", skill: "calc" },
      { event: "done", result: okResult("t1", "streamed") },
    ])
  );
  try {
    const { router } = harness([peer("p", { address: server.address, capabilities: ["calc"] })]);
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => release = resolve);
    const routing = router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      onEvent: (e) => {
        seen.push(e.event);
        // Hold the relay at the first relayed event of the peer.
        return e.event === "received" ? gate : undefined;
      },
    });
    await sleep(200);
    assert.deepEqual(seen, ["forwarding", "received"], "nothing read past the held event");
    release();
    assert.equal((await routing).response, "streamed");
    assert.deepEqual(seen, ["forwarding", "received", "executing"]);
  } finally {
    await server.close();
  }
});

Deno.test("Router.route() stops waiting for a stuck sink when its signal aborts", async () => {
  const server = serve(() =>
    ndjsonResponse([
      { event: "received", task_id: "t1", node: "p" },
      { event: "done", result: okResult("t1", "streamed") },
    ])
  );
  try {
    const { router } = harness([peer("p", { address: server.address, capabilities: ["calc"] })]);
    const stop = new AbortController();
    const routing = router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      signal: stop.signal,
      onEvent: (e) => e.event === "received" ? new Promise<void>(() => {}) : undefined,
    });
    await sleep(100);
    stop.abort(new Error("caller gone"));
    await assert.rejects(routing, /caller gone/);
  } finally {
    await server.close();
  }
});

Deno.test("Router.route() stops after maxAttempts, whatever the number of candidates", async () => {
  const servers = ["a", "b", "c", "d"].map((id) => peerServer(id, "busy"));
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const { router } = harness(peers);
    const err = await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
      "overloaded",
    );
    assert.equal((err.details.attempts as unknown[]).length, 3);
    assert.equal(servers[3].tasks().length, 0);
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() sends the remaining budget and answers timeout at the deadline", async () => {
  const slow = peerServer("slow", "slow");
  try {
    // Only the deadline can end this: the forward timeout is beyond the slow peer's 5 s.
    const { router } = harness([asPeer(slow, { capabilities: ["calc"] })], {
      forwardTimeoutMs: 60_000,
    });
    const deadline = new Deadline(400);
    await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [], deadline }),
      "timeout",
    );
    const sent = Number(slow.requests[0].headers.get("x-swarm-deadline-ms"));
    assert.ok(sent > 0 && sent <= 400, `sent budget ${sent}`);
  } finally {
    await slow.close();
  }
});

Deno.test("Router.route() asks the preferred peer first and reports each attempt", async () => {
  const servers = [peerServer("a", "ok"), peerServer("owner", "ok")];
  try {
    const peers = servers.map((s, load) => asPeer(s, { capabilities: ["calc"], load }));
    const attempts: string[] = [];
    const outcomes: Array<[string, boolean]> = [];
    const { router } = harness(peers, {
      onForwardAttempt: (_task, peer) => {
        attempts.push(peer.id);
        return Promise.resolve();
      },
      onForwardOutcome: (peer, { answered }) => outcomes.push([peer.id, answered]),
    });
    const result = await router.route(makeTask("t1", ["calc"]), {
      hops: 0,
      via: [],
      preferPeer: "owner",
    });
    assert.equal(result.response, "from owner");
    assert.deepEqual(attempts, ["owner"]);
    assert.deepEqual(outcomes, [["owner", true]]);
    assert.equal(servers[0].tasks().length, 0);
  } finally {
    await closeAll(servers);
  }
});

/** A checker that never probes on its own (tests call its passive side). */
function idleChecker(changes: Array<[string, HealthState]> = []): HealthChecker {
  return new HealthChecker({
    policy: DEFAULT_HEALTH_POLICY,
    peers: () => Promise.resolve([]),
    onChange: (peer, _from, to) => changes.push([peer.id, to]),
  });
}

Deno.test("Router.route() feeds each forward's outcome to peer health: no answer demotes, any answer keeps alive", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const goneAddress = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const servers = [peerServer("refusing", "forbidden"), peerServer("ok", "ok")];
  try {
    const rows = [
      peer("gone", { address: goneAddress, capabilities: ["calc"], load: 0 }),
      asPeer(servers[0], { capabilities: ["calc"], load: 1 }),
      asPeer(servers[1], { capabilities: ["calc"], load: 2 }),
    ];
    const changes: Array<[string, HealthState]> = [];
    const health = idleChecker(changes);
    const { router, routed } = harness([], {
      peers: () => Promise.resolve(health.annotate(rows)),
      onForwardOutcome: (peer, outcome) => health.forwardOutcome(peer, outcome),
    });
    const first = await router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] });
    assert.equal(first.response, "from ok");
    assert.deepEqual(routed[0].attempts.map((a) => [a.peer, a.error]), [
      ["gone", "peer_unreachable"],
      ["refusing", "forbidden"],
    ]);
    assert.match(routed[0].attempts[0].message, /^Cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    // No answer: suspect. A 403 is an answer: the peer serves, it stays alive.
    assert.deepEqual(changes, [["gone", "suspect"]]);
    assert.deepEqual(["gone", "refusing", "ok"].map((id) => health.health(id).state), [
      "suspect",
      "alive",
      "alive",
    ]);
    // Demoted: the suspect peer is now tried after the alive ones, whatever its load.
    await router.route(makeTask("t2", ["calc"]), { hops: 0, via: [] });
    assert.deepEqual(routed[1].attempts.map((a) => a.peer), ["refusing"]);
    assert.equal(routed[1].peer, "ok");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() with health wired: a peer whose probes fail but whose forwards succeed stays routable", async () => {
  // Each probe of the peer fails, right after a task was routed: only the forwards'
  // answers stand between the failed probes.
  for (const wired of [true, false]) {
    const ok = peerServer("ok", "ok");
    try {
      const rows = [asPeer(ok, { capabilities: ["calc"] })];
      const outcomes: string[] = [];
      const changes: Array<[string, HealthState]> = [];
      let probes = 0;
      const health = new HealthChecker({
        policy: { ...DEFAULT_HEALTH_POLICY, intervalMs: 100, deadProbeIntervalMs: 100 },
        peers: () => Promise.resolve(rows),
        onChange: (peer, _from, to) => changes.push([peer.id, to]),
        fetch: async () => {
          probes++;
          try {
            const result = await router.route(makeTask(`t${probes}`, ["calc"]), {
              hops: 0,
              via: [],
            });
            outcomes.push(result.response);
          } catch (err) {
            outcomes.push((err as SwarmError).code);
          }
          throw new TypeError("Probe timed out");
        },
      });
      const { router } = harness([], {
        peers: () => Promise.resolve(health.annotate(rows)),
        ...(wired
          ? { onForwardOutcome: (peer, outcome) => health.forwardOutcome(peer, outcome) }
          : {}),
      });
      health.start();
      try {
        const deadline = Date.now() + 5000;
        while (outcomes.length < 6 && Date.now() < deadline) await sleep(20);
      } finally {
        health.stop();
      }
      // Every probe started has routed its task.
      const settled = Date.now() + 2000;
      while (outcomes.length < probes && Date.now() < settled) await sleep(10);
      assert.ok(outcomes.length >= 6, `wired ${wired}: ${outcomes.length} tasks routed`);
      if (wired) {
        assert.ok(!changes.some(([, to]) => to === "dead"), JSON.stringify(changes));
        assert.ok(outcomes.every((o) => o === "from ok"), outcomes.join());
      } else {
        // The control: without the forwards' answers two failed probes make it dead,
        // and a dead peer is no candidate.
        assert.deepEqual(changes.slice(0, 2), [["ok", "suspect"], ["ok", "dead"]]);
        assert.equal(outcomes.at(-1), "no_match");
      }
    } finally {
      await ok.close();
    }
  }
});

Deno.test("Router.route() answers timeout, not forward_failed, when the last attempt timed out", async () => {
  const slow = peerServer("slow", "slow");
  try {
    const { router } = harness([asPeer(slow, { capabilities: ["calc"] })], {
      forwardTimeoutMs: 200,
    });
    const err = await rejectsWith(
      router.route(makeTask("t1", ["calc"]), { hops: 0, via: [] }),
      "timeout",
    );
    assert.equal(err.status, 504);
    assert.equal((err.details.attempts as unknown[]).length, 1);
  } finally {
    await slow.close();
  }
});

Deno.test("Router.route() reads a refusal inside a peer's stream as that refusal: next peer, or the 403 when all refuse", async () => {
  const refusing = peerServer("refusing", "stream-forbidden");
  const also = peerServer("also", "stream-forbidden");
  const good = peerServer("good", "ok");
  try {
    const stream = { hops: 0, via: [], onEvent: () => {} };
    // The refusing peer is tried first (preferred), then the good one.
    const first = harness([
      asPeer(refusing, { capabilities: ["calc"] }),
      asPeer(good, { capabilities: ["calc"] }),
    ]);
    const result = await first.router.route(makeTask("t1", ["calc"]), {
      ...stream,
      preferPeer: "refusing",
    });
    assert.equal(result.response, "from good");
    assert.equal(refusing.tasks().length, 1);
    const all = harness([
      asPeer(refusing, { capabilities: ["calc"] }),
      asPeer(also, { capabilities: ["calc"] }),
    ]);
    const err = await rejectsWith(all.router.route(makeTask("t2", ["calc"]), stream), "forbidden");
    assert.equal(err.status, 403);
    assert.equal(err.details.missing_scope, "skill:x");
    assert.deepEqual((err.details.attempts as Array<{ error: string }>).map((a) => a.error), [
      "forbidden",
      "forbidden",
    ]);
  } finally {
    await closeAll([refusing, also, good]);
  }
});

Deno.test("Router.route() keeps a scoped task to the peers its rules allow, with the caller's token", async () => {
  const servers = [peerServer("skilllite", "ok"), peerServer("swarm", "ok")];
  try {
    const grant: Grant = {
      method: "token",
      subject: "ci",
      actions: ["task"],
      capabilities: ["calc"],
      skills: ["*"],
      token: "scoped-token",
    };
    const rules = forwardingFor(grant, { forwardScopedToSkilllite: false });
    // The SkillLite peer ranks first (idle): only the rules keep the task from it.
    const peers = [
      asPeer(servers[0], { capabilities: ["calc"], swarm: false, load: 0 }),
      asPeer(servers[1], { capabilities: ["calc"], load: 3 }),
    ];
    const { router } = harness(peers);
    const result = await router.route(makeTask("t1", ["calc"]), { hops: 0, via: [], ...rules });
    assert.deepEqual(result, okResult("t1", "from swarm"));
    assert.equal(servers[0].requests.length, 0, "the SkillLite peer is never contacted");
    assert.equal(servers[1].requests[0].headers.get("authorization"), "Bearer scoped-token");
  } finally {
    await closeAll(servers);
  }
});

Deno.test("Router.route() refuses tags outside the caller's scope before running or forwarding", async () => {
  const gpu = peerServer("gpu", "ok");
  try {
    const grant: Grant = {
      method: "token",
      subject: "ci",
      actions: ["task"],
      capabilities: ["calc"],
      skills: ["*"],
      token: "scoped-token",
    };
    const rules = forwardingFor(grant, { forwardScopedToSkilllite: false });
    for (const local of [[], ["gpu"]]) {
      const { router } = harness([asPeer(gpu, { capabilities: ["gpu"] })], {
        localCapabilities: () => local,
      });
      const err = await rejectsWith(
        router.route(makeTask("t1", ["gpu"]), { hops: 0, via: [], ...rules }),
        "forbidden",
      );
      assert.equal(err.details.missing_scope, "capability:gpu");
    }
    assert.equal(gpu.requests.length, 0);
  } finally {
    await gpu.close();
  }
});
