import assert from "node:assert/strict";
import {
  identityFromStatus,
  type JoinedPeer,
  type SeedIdentity,
  StaticPeerSource,
  type StaticPeerSourceOptions,
} from "../../lib/peers/static_source.ts";
import { KvPeerTable } from "../../lib/store/peer_table.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const SELF_ID = "self-node-id";

const IDENTITIES: Array<[name: string, body: Record<string, unknown>, expected: SeedIdentity]> = [
  [
    "a swarm status",
    {
      status: "idle",
      current_task_id: null,
      node_id: "n1",
      capabilities: ["calc", "web"],
      running_tasks: 3,
    },
    { id: "n1", capabilities: ["calc", "web"], swarm: true, load: 3 },
  ],
  [
    "a swarm status with stray capability values",
    { node_id: "n1", capabilities: ["calc", 5, null, "web"] },
    { id: "n1", capabilities: ["calc", "web"], swarm: true, load: undefined },
  ],
  [
    "a swarm status with capabilities not a list",
    { node_id: "n1", capabilities: "calc" },
    { id: "n1", capabilities: [], swarm: true, load: undefined },
  ],
  [
    "a SkillLite status",
    { status: "busy", current_task_id: "t1" },
    { id: "addr:10.0.0.2:7700", capabilities: [], swarm: false },
  ],
  [
    "an empty node_id",
    { status: "idle", node_id: "", capabilities: ["calc"] },
    { id: "addr:10.0.0.2:7700", capabilities: [], swarm: false },
  ],
  [
    "a numeric node_id",
    { status: "idle", node_id: 7, capabilities: ["calc"] },
    { id: "addr:10.0.0.2:7700", capabilities: [], swarm: false },
  ],
];

for (const [name, body, expected] of IDENTITIES) {
  Deno.test(`identityFromStatus() reads ${name}`, () => {
    assert.deepEqual(identityFromStatus(body, "10.0.0.2:7700"), expected);
  });
}

/** A real HTTP server on 127.0.0.1 that records the requests it answers. */
interface FakeNode {
  url: string;
  address: string;
  requests: Array<{ path: string; authorization: string | null }>;
  close(): Promise<void>;
}

function startNode(answer: (count: number, closing: AbortSignal) => Response | Promise<Response>) {
  const requests: FakeNode["requests"] = [];
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    requests.push({ path: url.pathname, authorization: request.headers.get("authorization") });
    return answer(requests.length, closing.signal);
  });
  const address = `127.0.0.1:${server.addr.port}`;
  const node: FakeNode = {
    url: `http://${address}`,
    address,
    requests,
    close: () => {
      closing.abort();
      return server.shutdown();
    },
  };
  return node;
}

function swarmStatus(nodeId: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({
    status: "idle",
    current_task_id: null,
    node_id: nodeId,
    capabilities: ["web", "calc"],
    running_tasks: 1,
    ...extra,
  });
}

function skillLiteStatus(): Response {
  return Response.json({ status: "idle", current_task_id: null });
}

/** A port on 127.0.0.1 that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Harness {
  table: KvPeerTable;
  logs: Array<{ message: string; props: Record<string, unknown> }>;
  source(seeds: string[], options?: Partial<StaticPeerSourceOptions>): StaticPeerSource;
}

async function withHarness(fn: (h: Harness) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  const table = new KvPeerTable(kv);
  const logs: Harness["logs"] = [];
  try {
    await fn({
      table,
      logs,
      source: (seeds, options = {}) =>
        new StaticPeerSource({
          seeds,
          selfId: SELF_ID,
          table,
          credential: () => Promise.resolve("tok"),
          intervalMs: 60_000,
          timeoutMs: 2_000,
          log: (message, props) => logs.push({ message, props }),
          ...options,
        }),
    });
  } finally {
    kv.close();
  }
}

Deno.test("StaticPeerSource.probeAll() records a swarm node, a SkillLite node and a down seed", async () => {
  const swarm = startNode(() => swarmStatus("peer-swarm", { running_tasks: 2 }));
  const skillLite = startNode(() => skillLiteStatus());
  const downAddress = `127.0.0.1:${closedPort()}`;
  try {
    await withHarness(async ({ table, source, logs }) => {
      const before = Date.now();
      await source([swarm.url, skillLite.url, `http://${downAddress}`]).probeAll();
      const peers = await table.list();
      const expectedIds = [`addr:${downAddress}`, `addr:${skillLite.address}`, "peer-swarm"];
      assert.deepEqual(peers.map((p) => p.id), expectedIds.sort(), "one row each, sorted by id");
      const byId = (id: string) => peers.find((p) => p.id === id)!;
      const [down, sl, sw] = [
        byId(`addr:${downAddress}`),
        byId(`addr:${skillLite.address}`),
        byId("peer-swarm"),
      ];
      assert.equal(down.healthy, false);
      assert.equal(down.swarm, false);
      assert.equal(down.address, downAddress);
      assert.deepEqual(down.sources, ["static"]);
      assert.match(down.lastError ?? "", /\S/);
      assert.deepEqual(sl, {
        id: `addr:${skillLite.address}`,
        address: skillLite.address,
        scheme: "http",
        capabilities: [],
        sources: ["static"],
        lastSeenMs: sl.lastSeenMs,
        healthy: true,
        swarm: false,
      });
      assert.ok(sl.lastSeenMs >= before);
      assert.deepEqual(sw, {
        id: "peer-swarm",
        address: swarm.address,
        scheme: "http",
        capabilities: ["calc", "web"],
        sources: ["static"],
        lastSeenMs: sw.lastSeenMs,
        healthy: true,
        swarm: true,
        load: 2,
      });
      assert.deepEqual(
        logs.filter((l) => l.message === "peer_joined").map((l) => l.props.peer).sort(),
        [`addr:${skillLite.address}`, "peer-swarm"],
      );
      assert.equal(logs.filter((l) => l.message === "Peer probe failed").length, 1);
    });
  } finally {
    await Promise.all([swarm.close(), skillLite.close()]);
  }
});

Deno.test("StaticPeerSource.probeAll() asks GET /status with the credential given for that seed", async () => {
  const node = startNode(() => swarmStatus("peer-a"));
  try {
    const asked: unknown[] = [];
    await withHarness(async ({ source }) => {
      await source([node.url], {
        credential: (seed) => {
          asked.push(seed);
          return Promise.resolve("s3cret");
        },
      }).probeAll();
    });
    assert.deepEqual(node.requests, [{ path: "/status", authorization: "Bearer s3cret" }]);
    assert.deepEqual(asked, [{ address: new URL(node.url).host, scheme: "http" }]);
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() sends no Authorization header to an unproven seed", async () => {
  const node = startNode(() => swarmStatus("peer-a"));
  try {
    await withHarness(async ({ source }) => {
      await source([node.url], { credential: () => Promise.resolve(undefined) }).probeAll();
    });
    assert.equal(node.requests[0].authorization, null);
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() ignores a seed that is this node", async () => {
  const self = startNode(() => swarmStatus(SELF_ID));
  try {
    await withHarness(async ({ table, source, logs }) => {
      const src = source([self.url]);
      await src.probeAll();
      await src.probeAll();
      assert.deepEqual(await table.list(), []);
      const ignored = logs.filter((l) => l.message === "Ignoring a --peer seed that is this node");
      assert.equal(ignored.length, 1, "logged once, not every round");
      assert.equal(ignored[0].props.seed, self.url);
    });
  } finally {
    await self.close();
  }
});

Deno.test("StaticPeerSource.probeAll() keeps no row for a seed that failed once and then turned out to be this node", async () => {
  // The first probe of this node's own seed can fail (e.g. a timeout under load); once
  // the seed answers with this node's id, the failure row must not stay in the table.
  const self = startNode((count) =>
    count === 1 ? new Response("starting", { status: 500 }) : swarmStatus(SELF_ID)
  );
  try {
    await withHarness(async ({ table, source }) => {
      const src = source([self.url]);
      await src.probeAll();
      assert.equal((await table.list()).length, 1, "the failure was recorded");
      await src.probeAll();
      assert.deepEqual((await table.list()).map((p) => p.id), []);
    });
  } finally {
    await self.close();
  }
});

Deno.test("StaticPeerSource.probeAll() replaces a SkillLite row when the seed starts speaking swarm", async () => {
  const node = startNode((count) => count === 1 ? skillLiteStatus() : swarmStatus("peer-b"));
  try {
    await withHarness(async ({ table, source }) => {
      const src = source([node.url]);
      await src.probeAll();
      assert.deepEqual((await table.list()).map((p) => p.id), [`addr:${node.address}`]);
      await src.probeAll();
      assert.deepEqual((await table.list()).map((p) => p.id), ["peer-b"]);
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() replaces the row of a seed whose node id changed", async () => {
  const node = startNode((count) => swarmStatus(count === 1 ? "old-id" : "new-id"));
  try {
    await withHarness(async ({ table, source, logs }) => {
      const src = source([node.url]);
      await src.probeAll();
      await src.probeAll();
      assert.deepEqual((await table.list()).map((p) => p.id), ["new-id"]);
      assert.deepEqual(
        logs.filter((l) => l.message === "peer_joined").map((l) => l.props.peer),
        ["old-id", "new-id"],
      );
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() marks a known peer unhealthy under its node id when it fails", async () => {
  const node = startNode((count) =>
    count === 1 ? swarmStatus("peer-c") : Response.json({ error: "internal", message: "boom" }, {
      status: 500,
    })
  );
  try {
    await withHarness(async ({ table, source, logs }) => {
      const src = source([node.url]);
      await src.probeAll();
      await src.probeAll();
      const peers = await table.list();
      assert.deepEqual(peers.map((p) => [p.id, p.healthy]), [["peer-c", false]]);
      assert.match(peers[0].lastError ?? "", /boom/);
      assert.deepEqual(peers[0].capabilities, ["calc", "web"], "what was known is kept");
      const failed = logs.find((l) => l.message === "Peer probe failed");
      assert.equal(failed?.props.peer, "peer-c");
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() records a seed answering an invalid status as failed", async () => {
  const node = startNode(() => Response.json({ hello: "world" }));
  try {
    await withHarness(async ({ table, source }) => {
      await source([node.url]).probeAll();
      const [peer] = await table.list();
      assert.equal(peer.id, `addr:${node.address}`);
      assert.equal(peer.healthy, false);
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() gives up on a silent seed after timeoutMs", async () => {
  const node = startNode((_count, closing) =>
    new Promise((resolve) =>
      closing.addEventListener("abort", () => resolve(new Response("late")), { once: true })
    )
  );
  try {
    await withHarness(async ({ table, source }) => {
      // The seed answers only when the test ends: the probe must give up by itself.
      await withTimeout(source([node.url], { timeoutMs: 200 }).probeAll(), {
        ms: 10_000,
        waitingFor: "probeAll() to give up on a seed that never answers",
      });
      const [peer] = await table.list();
      assert.equal(peer.healthy, false);
      assert.match(peer.lastError ?? "", /Timed out after 200 ms/);
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.probeAll() shares one round between overlapping calls", async () => {
  const node = startNode(() => swarmStatus("peer-d"));
  try {
    await withHarness(async ({ source }) => {
      const src = source([node.url]);
      await Promise.all([src.probeAll(), src.probeAll(), src.probeAll()]);
      assert.equal(node.requests.length, 1);
      await src.probeAll();
      assert.equal(node.requests.length, 2, "a later call starts a new round");
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.start() probes at once, then every intervalMs until stop()", async () => {
  const node = startNode(() => swarmStatus("peer-e"));
  try {
    await withHarness(async ({ table, source }) => {
      const src = source([node.url], { intervalMs: 30 });
      await src.start();
      assert.equal(node.requests.length, 1, "the first round is done when start() resolves");
      assert.equal((await table.list()).length, 1);
      const deadline = Date.now() + 3_000;
      while (node.requests.length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(node.requests.length >= 3, `probed again (${node.requests.length} rounds)`);
      src.stop();
      await src.probeAll(); // waits for a round already under way
      const count = node.requests.length;
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(node.requests.length, count, "no probe after stop()");
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource.start() drops static rows of seeds no longer configured", async () => {
  // The routing table lives in Deno KV and survives restarts. A peer that a previous
  // run knew only from a --peer seed the operator has since removed must not stay a
  // routing candidate (healthy, never probed again) in the next run.
  const kept = startNode(() => swarmStatus("kept-peer"));
  try {
    await withHarness(async ({ table, source }) => {
      await table.report({
        id: "removed-peer",
        address: "127.0.0.1:7799",
        scheme: "http",
        capabilities: ["calc"],
        source: "static",
        swarm: true,
      });
      await table.report({
        id: "mdns-peer",
        address: "127.0.0.1:7798",
        scheme: "http",
        capabilities: [],
        source: "mdns",
        swarm: true,
      });
      const src = source([kept.url]);
      await src.start();
      src.stop();
      const peers = await table.list();
      assert.deepEqual(peers.map((p) => p.id), ["kept-peer", "mdns-peer"]);
    });
  } finally {
    await kept.close();
  }
});

Deno.test("StaticPeerSource.start() with no seeds does nothing", async () => {
  await withHarness(async ({ table, source }) => {
    const src = source([], { intervalMs: 1 });
    await src.start();
    src.stop();
    assert.deepEqual(await table.list(), []);
  });
});

Deno.test("StaticPeerSource.start() paces its rounds on its clock, intervalMs after each round ends", async () => {
  const node = startNode(() => swarmStatus("peer-f"));
  const clock = new FakeClock();
  const until = async (done: () => boolean) => {
    // Real milliseconds: the probe goes over real HTTP.
    for (let i = 0; !done(); i++) {
      assert.ok(i < 5_000, "timed out");
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  try {
    await withHarness(async ({ source }) => {
      const src = source([node.url], { intervalMs: 60_000, clock });
      await src.start();
      assert.equal(node.requests.length, 1);
      assert.equal(clock.nextAtMs(), 60_000, "the next round is due intervalMs later");
      await clock.advance(59_999);
      assert.equal(node.requests.length, 1);
      await clock.advance(1);
      await until(() => clock.pending === 1);
      assert.equal(node.requests.length, 2);
      assert.equal(clock.nextAtMs(), 120_000);
      src.stop();
      assert.equal(clock.pending, 0, "stop() clears the timer");
    });
  } finally {
    await node.close();
  }
});

Deno.test("StaticPeerSource tells onJoined of each peer a seed turns out to be, once", async () => {
  const node = startNode((count) => swarmStatus(count <= 2 ? "old-id" : "new-id"));
  try {
    await withHarness(async ({ source }) => {
      const joined: JoinedPeer[] = [];
      const src = source([node.url], { onJoined: (peer) => joined.push(peer) });
      for (let round = 0; round < 3; round++) await src.probeAll();
      assert.deepEqual(joined, [
        { id: "old-id", address: node.address, capabilities: ["web", "calc"] },
        { id: "new-id", address: node.address, capabilities: ["web", "calc"] },
      ]);
    });
  } finally {
    await node.close();
  }
});
