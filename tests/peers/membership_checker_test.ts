import assert from "node:assert/strict";
import { MembershipChecker } from "../../lib/peers/membership_checker.ts";
import { meshHelloRoutes } from "../../lib/http/routes/mesh_hello.ts";
import { onError } from "../../lib/http/middleware/errors.ts";
import type { Peer } from "../../lib/routing/types.ts";
import type { TrustSettings } from "../../lib/security/peer_trust.ts";
import { FakeClock } from "../_helpers/fake_clock.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

const TOKEN = "mesh-secret";
const SETTINGS: TrustSettings = {
  credentials: true,
  sharedToken: true,
  meshCa: false,
  allowSkillLitePeers: false,
};

interface Server {
  address: string;
  requests: Array<{ path: string; authorization: string | null }>;
  close(): Promise<void>;
}

/** An HTTP server on loopback that records every request it gets. */
function serve(handler: (req: Request, port: number) => Response | Promise<Response>): Server {
  const requests: Server["requests"] = [];
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req): Response | Promise<Response> => {
    requests.push({
      path: new URL(req.url).pathname,
      authorization: req.headers.get("authorization"),
    });
    return handler(req, server.addr.port);
  });
  return { address: `127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}

/** A real node's hello route holding `token`, answering as `nodeId`. */
function node(nodeId: string, token: string | undefined): Server {
  return serve((req, port) => {
    const routes = meshHelloRoutes({
      nodeId,
      token: () => token,
      self: () => ({ host: "127.0.0.1", port, interfaces: () => [] }),
    });
    routes.onError(onError(() => {}));
    return routes.fetch(req);
  });
}

function checker(settings: TrustSettings = SETTINGS) {
  return new MembershipChecker({
    selfId: "node-a",
    peers: () => Promise.resolve([]),
    settings: () => settings,
    token: () => TOKEN,
    tls: () => ({}),
    fetch,
    timeoutMs: 2_000,
    recheckMs: 60_000,
    retryMs: 1_000,
  });
}

function peer(id: string, address: string, swarm = true): Peer {
  return {
    id,
    address,
    scheme: "http",
    capabilities: [],
    sources: ["mdns"],
    lastSeenMs: Date.now(),
    healthy: true,
    swarm,
  };
}

Deno.test("MembershipChecker proves a node holding the shared token", async () => {
  const b = node("node-b", TOKEN);
  try {
    const c = checker();
    const evidence = await c.evidence({ scheme: "http", address: b.address }, "node-b");
    assert.deepEqual(evidence, { hello: "proven", nodeId: "node-b", tlsVerified: false });
    const [row] = await c.annotateProven([peer("node-b", b.address)]);
    assert.equal(row.trust, "token");
    assert.ok(
      b.requests.every((r) => r.authorization === null),
      "the challenge carries no credential",
    );
  } finally {
    await b.close();
  }
});

Deno.test("MembershipChecker refuses a node with another token", async () => {
  const b = node("node-b", "another-secret");
  try {
    const [row] = await checker().annotateProven([peer("node-b", b.address)]);
    assert.equal(row.trust, "unproven");
    assert.match(row.trustReason ?? "", /proof is wrong/);
  } finally {
    await b.close();
  }
});

Deno.test("MembershipChecker refuses an intruder relaying the challenge to a real node", async () => {
  const real = node("node-b", TOKEN);
  // The intruder announces node-b's id and passes every hello on to node-b, unchanged.
  const intruder = serve(async (req) => {
    const relayed = await fetchWithin(`http://${real.address}/mesh/hello`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: await req.text(),
    });
    return new Response(await relayed.text(), { status: relayed.status, headers: relayed.headers });
  });
  try {
    const [row] = await checker().annotateProven([peer("node-b", intruder.address)]);
    assert.equal(row.trust, "unproven");
    assert.match(row.trustReason ?? "", /relayed challenge/);
    // The real node refused to prove for the intruder's address.
    assert.equal(real.requests.length, 1);
  } finally {
    await intruder.close();
    await real.close();
  }
});

Deno.test("MembershipChecker refuses a proof from another node id than the one announced", async () => {
  const b = node("node-b", TOKEN);
  try {
    const [row] = await checker().annotateProven([peer("node-z", b.address)]);
    assert.equal(row.trust, "unproven");
    assert.match(row.trustReason ?? "", /proof is wrong/);
  } finally {
    await b.close();
  }
});

Deno.test("MembershipChecker: a SkillLite-shaped peer is trusted only with the opt-in", async () => {
  const skilllite = serve(() => new Response("Not Found", { status: 404 }));
  try {
    const strict = await checker().annotateProven([peer("sl", skilllite.address, false)]);
    assert.equal(strict[0].trust, "unproven");
    assert.match(strict[0].trustReason ?? "", /--allow-skilllite-peers/);
    const optIn = checker({ ...SETTINGS, allowSkillLitePeers: true });
    const [row] = await optIn.annotateProven([peer("sl", skilllite.address, false)]);
    assert.equal(row.trust, "skilllite");
  } finally {
    await skilllite.close();
  }
});

Deno.test("MembershipChecker reads at most a few KiB of a hello answer", async () => {
  const flood = serve(() =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
      }),
      { headers: { "content-type": "application/json" } },
    )
  );
  try {
    const evidence = await checker().evidence({ scheme: "http", address: flood.address });
    assert.equal(evidence.hello, "refused");
  } finally {
    await flood.close();
  }
});

Deno.test("MembershipChecker: an unreachable peer stays pending, never trusted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const c = checker();
  assert.equal((await c.evidence({ scheme: "http", address })).hello, "pending");
  assert.equal(c.decide(peer("x", address)).trust, "unproven");
});

Deno.test("MembershipChecker: nothing to protect means every peer is open", () => {
  const c = checker({ ...SETTINGS, credentials: false, sharedToken: false });
  assert.equal(c.decide(peer("x", "127.0.0.1:9")).trust, "open");
});

Deno.test("MembershipChecker.proveSeed(): a named swarm seed is trusted on a node that cannot demand proof, a SkillLite-shaped one is not", async () => {
  const swarmNode = node("node-b", undefined);
  const skilllite = serve(() => new Response("Not Found", { status: 404 }));
  try {
    const keyringOnly = checker({ ...SETTINGS, sharedToken: false });
    const seed = (address: string) => ({ scheme: "http" as const, address });
    assert.equal((await keyringOnly.proveSeed(seed(swarmNode.address))).trust, "configured");
    assert.equal((await keyringOnly.proveSeed(seed(skilllite.address))).trust, "unproven");
    // With a shared token a seed must prove itself like any peer.
    assert.equal((await checker().proveSeed(seed(swarmNode.address))).trust, "unproven");
  } finally {
    await swarmNode.close();
    await skilllite.close();
  }
});

Deno.test("MembershipChecker keeps outcomes for retryMs or recheckMs of its clock", async () => {
  const clock = new FakeClock({ startMs: 5_000 });
  let hellos = 0;
  let reply = () => Promise.reject<Response>(new TypeError("Connection refused"));
  const checker = new MembershipChecker({
    selfId: "node-a",
    peers: () => Promise.resolve([]),
    settings: () => SETTINGS,
    token: () => TOKEN,
    tls: () => ({}),
    fetch: () => {
      hellos++;
      return reply();
    },
    timeoutMs: 2_000,
    recheckMs: 60_000,
    retryMs: 1_000,
    clock,
  });
  const target = { scheme: "http" as const, address: "10.0.0.9:7700" };
  assert.equal((await checker.evidence(target)).hello, "pending", "unreachable");
  await clock.advance(999);
  await checker.evidence(target);
  assert.equal(hellos, 1, "an unreachable peer is retried only after retryMs");
  await clock.advance(1);
  // No such route: a settled outcome, held for recheckMs.
  reply = () => Promise.resolve(new Response("no", { status: 404 }));
  await checker.evidence(target);
  assert.equal(hellos, 2);
  for (let i = 0; i < 10 && (await checker.evidence(target)).hello === "pending"; i++) {
    await clock.advance(0);
  }
  assert.equal((await checker.evidence(target)).hello, "unsupported");
  await clock.advance(59_999);
  await checker.evidence(target);
  assert.equal(hellos, 2, "a settled outcome holds for recheckMs");
  await clock.advance(1);
  await checker.evidence(target);
  assert.equal(hellos, 3);
});

Deno.test("MembershipChecker.start() proves the table's peers on its clock until stop()", async () => {
  const clock = new FakeClock();
  let hellos = 0;
  const checker = new MembershipChecker({
    selfId: "node-a",
    peers: () => Promise.resolve([peer("node-b", "10.0.0.9:7700")]),
    settings: () => SETTINGS,
    token: () => TOKEN,
    tls: () => ({}),
    fetch: () => {
      hellos++;
      return Promise.reject(new TypeError("Connection refused"));
    },
    timeoutMs: 2_000,
    recheckMs: 60_000,
    retryMs: 1_000,
    clock,
  });
  checker.start();
  await clock.advance(0);
  assert.equal(hellos, 1);
  await clock.advance(999);
  assert.equal(hellos, 1, "ticks in between reuse the outcome");
  await clock.advance(100);
  assert.equal(hellos, 2, "retried after retryMs");
  checker.stop();
  assert.equal(clock.pending, 0);
  await clock.advance(10_000);
  assert.equal(hellos, 2);
});
