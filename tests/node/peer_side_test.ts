import assert from "node:assert/strict";
import { Hono } from "hono";
import { type Config, DEFAULT_CONFIG } from "../../lib/config/config.ts";
import { onError } from "../../lib/http/middleware/errors.ts";
import { meshHelloRoutes } from "../../lib/http/routes/mesh_hello.ts";
import { PeerSide } from "../../lib/node/peer_side.ts";
import type { SecurityMaterial } from "../../lib/node/security_material.ts";
import { EventBus } from "../../lib/observability/events.ts";
import { KvPeerTable } from "../../lib/store/peer_table.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";

const TOKEN = "mesh-secret";

interface FakePeer {
  url: string;
  address: string;
  requests: Array<{ path: string; authorization: string | null }>;
  close(): Promise<void>;
}

/**
 * A swarm node stand-in on loopback, recording every request: `/status` names it (with
 * the `gpu` capability), `/healthz` answers, and the real hello route proves `token`
 * (none: it answers `proof: null`, as a node without the shared token does).
 */
function fakePeer(nodeId: string, token: string | undefined): FakePeer {
  const requests: FakePeer["requests"] = [];
  let port = 0;
  const app = new Hono();
  app.get("/status", (c) =>
    c.json({
      status: "idle",
      current_task_id: null,
      node_id: nodeId,
      capabilities: ["gpu"],
      running_tasks: 0,
    }));
  app.get("/healthz", (c) => c.json({ status: "ok", node_id: nodeId }));
  app.route(
    "/",
    meshHelloRoutes({
      nodeId,
      token: () => token,
      self: () => ({ host: "127.0.0.1", port, interfaces: () => [] }),
    }),
  );
  app.onError(onError(() => {}));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push({ path, authorization: req.headers.get("authorization") });
    return app.fetch(req);
  });
  port = server.addr.port;
  const address = `127.0.0.1:${port}`;
  return { url: `http://${address}`, address, requests, close: () => server.shutdown() };
}

/**
 * A started PeerSide of node `node-a` over an in-memory table; its background probes
 * wait on a fake clock, so only `start()` (the seeds' first round) and `routable()`
 * (first proofs) talk to peers.
 */
async function startedSide(config: Partial<Config>, security: SecurityMaterial = {}) {
  const kv = await Deno.openKv(":memory:");
  const side = new PeerSide({
    config: { ...DEFAULT_CONFIG, dataDir: ":memory:", ...config },
    nodeId: "node-a",
    security: () => security,
    fetch,
    clock: new FakeClock({ startMs: 1_000_000 }),
    events: new EventBus("node-a"),
    log: () => {},
  });
  await side.start(new KvPeerTable(kv));
  return {
    side,
    [Symbol.asyncDispose]: () => {
      side.stop();
      kv.close();
      return Promise.resolve();
    },
  };
}

Deno.test("PeerSide gives the node's token and tasks only to seeds that proved membership", async () => {
  const member = fakePeer("member", TOKEN);
  const intruder = fakePeer("intruder", undefined);
  try {
    await using node = await startedSide({
      token: TOKEN,
      nodeToken: TOKEN,
      peers: [member.url, intruder.url],
    });
    assert.deepEqual((await node.side.routable()).map((p) => p.id), ["member"]);
    const rows = await node.side.annotated();
    assert.equal(rows.find((p) => p.id === "intruder")?.trust, "unproven");
    const probed = (peer: FakePeer) => peer.requests.filter((r) => r.path === "/status");
    assert.deepEqual(probed(member).map((r) => r.authorization), [`Bearer ${TOKEN}`]);
    assert.equal(probed(intruder).length, 1, "the intruder was probed");
    assert.deepEqual(
      intruder.requests.filter((r) => r.authorization !== null),
      [],
      "the intruder never got a credential",
    );
  } finally {
    await Promise.all([member.close(), intruder.close()]);
  }
});

Deno.test("PeerSide offers a TLS node no plain-http peer unless --allow-plain-peers", async () => {
  const member = fakePeer("member", TOKEN);
  try {
    for (const allowPlainPeers of [false, true]) {
      await using node = await startedSide(
        { token: TOKEN, allowPlainPeers },
        { tls: { cert: "served-cert", key: "served-key" } },
      );
      await node.side.mdnsUp({
        id: "member",
        address: member.address,
        scheme: "http",
        capabilities: ["gpu"],
        swarm: true,
      });
      const routable = (await node.side.routable()).map((p) => p.id);
      assert.deepEqual(routable, allowPlainPeers ? ["member"] : [], `${allowPlainPeers}`);
      if (!allowPlainPeers) assert.equal(member.requests.length, 0, "not even asked to prove");
    }
  } finally {
    await member.close();
  }
});
