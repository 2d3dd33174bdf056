/**
 * LAN discovery over mDNS between real nodes in network namespaces (the test bed):
 * zero-configuration discovery, forwarding to a discovered node, goodbye on a clean
 * stop, expiry after kill -9, and silence of a loopback-only node.
 */
import { strict as assert } from "node:assert";
import { FIXTURE_SKILLS, nodeTask, postTask, startNode } from "./_node.ts";
import { type BedNode, createTestbed, testbedUnavailable } from "./_testbed.ts";
import { measureRoutable } from "./_discovery.ts";
import { injectHostileMdns, LISTENER_QUERY_ID, listenForMdns } from "./_mdns_tools.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`discovery_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const unavailable = await testbedUnavailable();
if (unavailable) console.log(`discovery_test skipped: ${unavailable}`);
const TOKEN = "discovery-token";
const TTL_S = 3;
const auth = { authorization: `Bearer ${TOKEN}` };
const skill = (name: string) => ["--skills-dir", `${FIXTURE_SKILLS}${name}`];

async function peerIds(node: BedNode): Promise<string[]> {
  const status = await (await fetchWithin(`${node.url}/status`, { headers: auth })).json();
  return status.peers
    .filter((p: { sources: string[] }) => p.sources.includes("mdns"))
    .map((p: { id: string }) => p.id).sort();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return Date.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
}

Deno.test({
  name:
    "discovery: three nodes find each other over mDNS, forward, and forget stopped and killed nodes",
  ignore: unavailable !== null || noSkills !== null,
  sanitizeResources: false,
  async fn(t) {
    const bed = await createTestbed({ nodes: 4 });
    try {
      const common = ["--mdns-ttl-s", String(TTL_S)];
      const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
      const a = await bed.startNode(bed.hosts[0], {
        args: [...common, ...skill("echo-deno")],
        env,
      });
      const b = await bed.startNode(bed.hosts[1], { args: [...common, ...skill("sleeper")], env });
      const { node: c, routableMs, sinceSpawnMs } = await measureRoutable(
        () => bed.startNode(bed.hosts[2], { args: [...common, ...skill("web-fetch-deno")], env }),
        [a, b],
        TOKEN,
      );
      console.log(
        `discovery: node C routable from A and B ${routableMs} ms after swarm_started, ` +
          `${sinceSpawnMs} ms after its process was spawned`,
      );

      await t.step(
        "every node lists the other two, learnt over mDNS, with their capabilities",
        async () => {
          for (const [node, others] of [[a, [b, c]], [b, [a, c]], [c, [a, b]]] as const) {
            await until(
              `${node.host.name} sees its peers`,
              async () =>
                JSON.stringify(await peerIds(node)) === JSON.stringify(
                  others.map((n) => n.nodeId).sort(),
                ),
              10_000,
            );
          }
          const status = await (await fetchWithin(`${a.url}/status`, { headers: auth })).json();
          const row = status.peers.find((p: { id: string }) => p.id === c.nodeId);
          assert.deepEqual(row.capabilities, ["fetch"]);
          assert.equal(row.address, `${c.host.address}:${c.port}`);
          assert.equal(status.discovery.mdns, "active");
          assert.deepEqual(status.discovery.addresses, [a.host.address]);
          assert.deepEqual(status.discovery.permissions.net, ["0.0.0.0:5353", "224.0.0.251:5353"]);
        },
      );

      await t.step("a task needing C's capability, sent to A, is forwarded to C", async () => {
        const task = nodeTask("fetch", {
          required: ["fetch"],
          input: { url: "http://127.0.0.1:9/" },
        });
        const res = await postTask(a.url, task, { token: TOKEN });
        assert.equal(res.status, 200, res.text);
        const routed = a.logs.find((l) => l.message === "task_routed" && l.taskId === task.id);
        assert.equal(routed?.peer, c.nodeId);
        assert.ok(c.logs.some((l) => l.message === "task_routed" && l.taskId === task.id));
      });

      await t.step("B stopped cleanly disappears from A and C at once (goodbye)", async () => {
        const stoppedAt = Date.now();
        assert.equal(await b.stop(), 0);
        const goneAt = await until(
          "B gone from A and C",
          async () =>
            !(await peerIds(a)).includes(b.nodeId) && !(await peerIds(c)).includes(b.nodeId),
          10_000,
        );
        console.log(
          `discovery: B gone from A and C ${goneAt - stoppedAt} ms after SIGTERM returned`,
        );
        // "At once" is the goodbye's doing, not the TTL's: each peer says why B left.
        for (const [name, node] of [["A", a], ["C", c]] as const) {
          assert.ok(
            node.logs.some((l) =>
              l.message === "peer_left" && l.peer === b.nodeId && l.reason === "goodbye"
            ),
            `${name} did not drop B on its goodbye`,
          );
        }
      });

      await t.step(
        "C killed with -9 disappears within its TTL, and no task is routed to it",
        async () => {
          const killedAt = Date.now();
          await c.kill();
          const goneAt = await until(
            "C gone from A",
            async () => !(await peerIds(a)).includes(c.nodeId),
            TTL_S * 1000 + 3_000,
          );
          console.log(
            `discovery: C gone from A ${goneAt - killedAt} ms after kill -9 (TTL ${TTL_S} s)`,
          );
          const res = await postTask(a.url, nodeTask("fetch", { required: ["fetch"] }), {
            token: TOKEN,
          });
          assert.equal(res.status, 503, res.text);
          assert.equal((res.body as Record<string, unknown>).error, "no_match");
        },
      );

      await t.step("a node on loopback with no opt-in announces nothing", async () => {
        const quietHost = bed.hosts[3];
        const quiet = await startNode({
          prefix: quietHost.exec,
          host: "127.0.0.1",
          args: skill("sleeper"),
          env,
        });
        try {
          const heard = await listenForMdns(quietHost, 2500);
          const fromA = heard.filter((p) => p.from === a.host.address);
          assert.ok(
            fromA.some((p) => p.type === "response" && p.names.some((n) => n.startsWith(a.nodeId))),
            "the listener hears the opted-in node A answer",
          );
          const local = heard.filter((p) =>
            p.from === quietHost.address && !(p.type === "query" && p.id === LISTENER_QUERY_ID)
          );
          assert.deepEqual(
            local,
            [],
            "nothing but the listener's own queries leaves the quiet node's namespace",
          );
          assert.ok(!heard.some((p) => p.names.some((n) => n.startsWith(quiet.nodeId))));
        } finally {
          await quiet.stop();
        }
      });
    } finally {
      await bed.remove();
    }
  },
});

Deno.test({
  name: "discovery: hostile mDNS packets are ignored; a skill added at run time reaches peers",
  ignore: unavailable !== null || noSkills !== null,
  sanitizeResources: false,
  async fn(t) {
    const bed = await createTestbed({ nodes: 3 });
    const skillsDir = await Deno.makeTempDir({ prefix: "swarm-skills-" });
    try {
      await Deno.mkdir(`${skillsDir}/echo-deno`, { recursive: true });
      await copyDir(`${FIXTURE_SKILLS}echo-deno`, `${skillsDir}/echo-deno`);
      const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
      const common = ["--mdns-ttl-s", String(TTL_S)];
      const a = await bed.startNode(bed.hosts[0], {
        args: [...common, "--skills-dir", skillsDir],
        env,
      });
      const b = await bed.startNode(bed.hosts[1], { args: common, env });
      await until(
        "A and B see each other",
        async () => (await peerIds(a)).includes(b.nodeId) && (await peerIds(b)).includes(a.nodeId),
        10_000,
      );

      await t.step(
        "garbage, truncated, odd names, wrong types, oversized TXT, bad JSON: ignored",
        async () => {
          const evil = bed.hosts[2];
          await injectHostileMdns(evil, evil.address, 7700);
          await until(
            "the well-formed bad-caps service is seen",
            async () => (await peerIds(a)).includes("bad-caps"),
            5_000,
          );
          const health = await fetchWithin(`${a.url}/healthz`, { headers: auth });
          assert.equal(health.status, 200);
          await health.body?.cancel();
          const status = await (await fetchWithin(`${a.url}/status`, { headers: auth })).json();
          assert.equal(status.discovery.mdns, "active");
          for (const peer of status.peers as Array<Record<string, unknown>>) {
            if (peer.id === b.nodeId) {
              continue;
            }
            // Whatever the hostile host made us keep: printable ids, its own address, no capabilities.
            assert.match(String(peer.id), /^[\x21-\x7e]+$/, JSON.stringify(peer));
            assert.equal(peer.address, `${evil.address}:7700`);
            assert.deepEqual(peer.capabilities, [], JSON.stringify(peer));
          }
        },
      );

      await t.step("the mDNS worker still works after them: a new node is discovered", async () => {
        const c = await bed.startNode(bed.hosts[2], { args: common, env });
        await until("A sees C", async () => (await peerIds(a)).includes(c.nodeId), 5_000);
      });

      await t.step("a skill copied into A's skills dir reaches B without a restart", async () => {
        await copyDir(`${FIXTURE_SKILLS}sleeper`, `${skillsDir}/sleeper`);
        await until("B sees A with the sleep capability", async () => {
          const status = await (await fetchWithin(`${b.url}/status`, { headers: auth })).json();
          const row = status.peers.find((p: { id: string }) => p.id === a.nodeId);
          return JSON.stringify(row?.capabilities) === JSON.stringify(["echo", "sleep"]);
        }, 10_000);
        const own = await (await fetchWithin(`${a.url}/status`, { headers: auth })).json();
        assert.deepEqual(own.capabilities, ["echo", "sleep"]);
        assert.ok(a.logs.some((l) => l.message === "skills_changed"));
      });
    } finally {
      await bed.remove();
      await Deno.remove(skillsDir, { recursive: true });
    }
  },
});

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

Deno.test({
  name:
    "discovery: two nodes on one host find each other (multicast loopback, --mdns-interface) and stay past their TTL",
  ignore: unavailable !== null,
  sanitizeResources: false,
  async fn() {
    const bed = await createTestbed({ nodes: 1 });
    try {
      const host = bed.hosts[0];
      const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
      const args = ["--mdns-ttl-s", "2", "--mdns-interface", host.ifname];
      const a = await bed.startNode(host, { args, env });
      const b = await bed.startNode(host, {
        args: [...args.slice(0, 2), "--mdns-interface", host.address],
        env,
      });
      await until(
        "A and B on one host see each other",
        async () => (await peerIds(a)).includes(b.nodeId) && (await peerIds(b)).includes(a.nodeId),
        5_000,
      );
      const status = await (await fetchWithin(`${a.url}/status`, { headers: auth })).json();
      assert.equal(status.discovery.interface, host.address);
      const row = status.peers.find((p: { id: string }) => p.id === b.nodeId);
      assert.equal(row.address, `${host.address}:${b.port}`);
      // Live peers refresh each other's records: both are still there after 2.5 TTLs.
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        assert.ok((await peerIds(a)).includes(b.nodeId), "A lost B although B is alive");
        assert.ok((await peerIds(b)).includes(a.nodeId), "B lost A although A is alive");
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(!a.logs.some((l) => l.message === "peer_left"));
    } finally {
      await bed.remove();
    }
  },
});
