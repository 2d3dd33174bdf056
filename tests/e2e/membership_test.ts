/**
 * Peers prove mesh membership before they get any credential (issue 12, finding 1):
 * an intruder that announces itself on mDNS, or is named as a seed, or relays the
 * challenge to a real node, receives no token and no task; an announcement pointing at
 * loopback is dropped; real nodes prove themselves and forward; a SkillLite peer gets
 * the token only with `--allow-skilllite-peers`.
 */
import { strict as assert } from "node:assert";
import {
  FIXTURE_SKILLS,
  freePort,
  nodeTask,
  postTask,
  runSwarm,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
} from "./_node.ts";
import { startSkillLitePeer } from "./_skilllite_peer.ts";
import { createTestbed, testbedUnavailable, type TestHost } from "./_testbed.ts";
import { runScript } from "./_mdns_tools.ts";
import { fakePeerHandler, type LoggedRequest } from "./_fake_peer.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`membership_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const TOKEN = "membership-e2e-token";
const auth = { authorization: `Bearer ${TOKEN}` };

interface PeerRow {
  id: string;
  address: string;
  trust: string;
  trust_reason?: string;
}

async function peers(node: TestNode): Promise<PeerRow[]> {
  const res = await fetch(`${node.url}/status`, {
    headers: auth,
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()).peers;
}

/** The fake peer of `_fake_peer.ts` on loopback. */
function fakePeer(options: { relay?: string } = {}) {
  const requests: LoggedRequest[] = [];
  const id = `fake-${crypto.randomUUID().slice(0, 8)}`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    fakePeerHandler({ nodeId: id, relay: options.relay, requests }),
  );
  return { address: `127.0.0.1:${server.addr.port}`, id, requests, close: () => server.shutdown() };
}

Deno.test(
  "membership: a seed that cannot prove membership, or relays the challenge, gets no credential and no task",
  { ignore: noSkills !== null },
  async () => {
    const nodes: TestNode[] = [];
    const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
    const b = await startNode({ args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`], env });
    nodes.push(b);
    const spoof = fakePeer();
    const relay = fakePeer({ relay: b.url });
    try {
      const a = await startNode({
        args: [
          ...["--peer", spoof.address, "--peer", relay.address, "--peer", `127.0.0.1:${b.port}`],
          ...["--peer-probe-interval-ms", "300", "--health-interval-ms", "200"],
        ],
        env,
      });
      nodes.push(a);
      await waitFor(async () => {
        const rows = await peers(a);
        const settled = rows.filter((p) =>
          p.trust === "unproven" && !/not proven yet/.test(p.trust_reason ?? "")
        );
        return rows.some((p) => p.id === b.nodeId && p.trust === "token") && settled.length === 2;
      }, 15_000);
      const rows = await peers(a);
      const spoofRow = rows.find((p) => p.address === spoof.address)!;
      const relayRow = rows.find((p) => p.address === relay.address)!;
      assert.match(spoofRow.trust_reason ?? "", /cannot prove membership/);
      assert.match(relayRow.trust_reason ?? "", /relayed challenge/);

      // Every echo task goes to the proven node, none to the two that claim echo too.
      for (let i = 0; i < 5; i++) {
        const task = nodeTask(`echo ${i}`, { required: ["echo"] });
        const res = await postTask(a.url, task, { token: TOKEN });
        assert.equal(res.status, 200, res.text);
        assert.notEqual((res.body as { response: string }).response, "spoofed");
      }
      // The operator's `status --mesh` asks the proven node, lists the others unasked.
      const mesh = await runSwarm(["status", "--mesh", "--url", a.url], env);
      assert.equal(mesh.code, 0, mesh.stdout + mesh.stderr);
      assert.match(mesh.stdout, new RegExp(`${spoof.id}\\s+${spoof.address}\\s+-\\s+not asked`));
      // Several probe and health rounds have passed: the intruders saw probes, never a credential.
      await new Promise((r) => setTimeout(r, 1_500));
      for (const fake of [spoof, relay]) {
        assert.ok(fake.requests.length > 0, "the fake peer was contacted (probes, challenges)");
        assert.deepEqual(fake.requests.filter((r) => r.authorization !== null), []);
        assert.deepEqual(fake.requests.filter((r) => r.path === "/task"), []);
      }
    } finally {
      await stopAll(nodes);
      await spoof.close();
      await relay.close();
    }
  },
);

Deno.test("membership: a SkillLite peer gets the token only with --allow-skilllite-peers", async () => {
  const nodes: TestNode[] = [];
  const legacy = startSkillLitePeer({ capabilities: ["legacy"], token: TOKEN });
  try {
    const common = ["--peer", `127.0.0.1:${legacy.port}`, "--peer-probe-interval-ms", "300"];
    const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
    const strict = await startNode({ args: common, env });
    nodes.push(strict);
    // Probes and challenges run for a while; then a task that only the SkillLite node can do.
    await new Promise((r) => setTimeout(r, 1_500));
    const refused = await postTask(strict.url, nodeTask("old", { required: ["legacy"] }), {
      token: TOKEN,
    });
    assert.equal(refused.status, 503, refused.text);
    assert.equal((refused.body as { error: string }).error, "no_match");
    assert.ok(legacy.requests.length > 0);
    assert.deepEqual(legacy.requests.filter((r) => r.authorization !== null), []);
    const row = (await peers(strict)).find((p) => p.address === `127.0.0.1:${legacy.port}`);
    assert.equal(row?.trust, "unproven");
    await stopAll(nodes.splice(0));

    const trusting = await startNode({ args: [...common, "--allow-skilllite-peers"], env });
    nodes.push(trusting);
    const res = await postTask(trusting.url, nodeTask("old", { required: ["legacy"] }), {
      token: TOKEN,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(legacy.received.at(-1)?.headers.get("authorization"), `Bearer ${TOKEN}`);
    const trusted = (await peers(trusting)).find((p) => p.address === `127.0.0.1:${legacy.port}`);
    assert.equal(trusted?.trust, "skilllite");
  } finally {
    await stopAll(nodes);
    await legacy.close();
  }
});

const unavailable = await testbedUnavailable();
if (unavailable) console.log(`membership_test (mDNS spoof) skipped: ${unavailable}`);

/** Runs `_mdns_spoof_script.ts` inside `host`; resolves with what it logged. */
async function runSpoof(host: TestHost, args: string[]): Promise<{ requests: LoggedRequest[] }> {
  return await runScript(host, "_mdns_spoof_script.ts", args) as { requests: LoggedRequest[] };
}

Deno.test({
  name:
    "membership: an mDNS spoof on the LAN gets no credential, a loopback announcement is dropped, real nodes still forward",
  ignore: unavailable !== null || noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const bed = await createTestbed({ nodes: 3 });
    try {
      const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
      const [h0, h1, h2] = bed.hosts;
      // A has no skills: an echo task must be forwarded. B (real, proven) can do echo.
      const a = await bed.startNode(h0, { args: ["--mdns-ttl-s", "3"], env });
      const b = await bed.startNode(h2, {
        args: ["--mdns-ttl-s", "3", "--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env,
      });
      const loopPort = freePort();
      const durationMs = 8_000;
      // In A's own namespace, a loopback service the loopback announcement aims A at.
      const loopback = runSpoof(h0, ["127.0.0.1", String(loopPort), String(durationMs)]);
      // On the LAN, the intruder: announces `spoof` (echo) and `loop`, relays challenges to B.
      const intruder = runSpoof(h1, [
        h1.address,
        "7700",
        String(durationMs),
        "--announce",
        h1.address,
        "--loop-port",
        String(loopPort),
        "--relay",
        `${h2.address}:${b.port}`,
      ]);
      await waitFor(async () => {
        const rows = await peers(a);
        return rows.some((p) => p.id === b.nodeId && p.trust === "token") &&
          rows.some((p) => p.id === "spoof" && p.trust === "unproven");
      }, 6_000);
      const rows = await peers(a);
      assert.ok(!rows.some((p) => p.id === "loop"), "the loopback announcement was dropped");
      for (let i = 0; i < 3; i++) {
        const res = await postTask(a.url, nodeTask(`echo ${i}`, { required: ["echo"] }), {
          token: TOKEN,
        });
        assert.equal(res.status, 200, res.text);
        assert.notEqual((res.body as { response: string }).response, "spoofed");
      }
      const heard = await intruder;
      const loop = await loopback;
      assert.ok(heard.requests.length > 0, "A contacted the intruder (probes, challenges)");
      assert.deepEqual(heard.requests.filter((r) => r.authorization !== null), []);
      assert.deepEqual(heard.requests.filter((r) => r.path === "/task"), []);
      assert.deepEqual(loop.requests, [], "A never contacted its own loopback");
    } finally {
      await bed.remove();
    }
  },
});
