/**
 * Real TLS and mTLS between real nodes, with certificates made by `swarm tls`: a
 * three-node mTLS mesh forwarding a task, clients with no or a rogue certificate
 * refused, plain HTTP to a TLS node failing, and certificates rotated on disk picked up
 * with no restart while a steady stream of requests keeps succeeding.
 */
import { strict as assert } from "node:assert";
import { fetchFailed, PLAIN_TO_TLS, TLS_REFUSED } from "../_helpers/fetch_failure.ts";
import tls from "node:tls";
import {
  FIXTURE_SKILLS,
  followEvents,
  freePort,
  nodeTask,
  postTask,
  runSwarm,
  runSwarmOk,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
} from "./_node.ts";
import { createTestbed, testbedUnavailable } from "./_testbed.ts";
import { makeCliPki } from "./_pki.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) console.log(`tls_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);

/** A mesh CA with node certificates for 127.0.0.1, an agent's client certificate, and a rogue CA's. */
function makePki(nodes: string[]) {
  return makePkiFor(nodes.map((name) => [name, "127.0.0.1"]));
}

/** The same, each node's certificate for its own address (and localhost). */
async function makePkiFor(nodes: Array<[name: string, ip: string]>) {
  const pki = await makeCliPki({ servers: nodes });
  const { dir } = pki;
  return {
    ...pki,
    nodeFlags: (name: string, mtls = true) => [
      "--tls-cert",
      `${dir}/${name}.crt`,
      "--tls-key",
      `${dir}/${name}.key`,
      ...(mtls ? ["--tls-client-ca", `${dir}/ca.crt`] : ["--tls-ca", `${dir}/ca.crt`]),
    ],
  };
}

/** An HTTP client trusting `ca`, presenting `identity` when given, with no connection reuse. */
function client(ca: string, identity?: { cert: string; key: string }): Deno.HttpClient {
  return Deno.createHttpClient({
    caCerts: [ca],
    poolMaxIdlePerHost: 0,
    ...(identity ? { cert: identity.cert, key: identity.key } : {}),
  });
}

async function getJson(url: string, httpClient: Deno.HttpClient): Promise<Record<string, unknown>> {
  const res = await fetch(url, { client: httpClient, signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  return await res.json();
}

/** The SHA-256 fingerprint of the certificate a TLS server presents now. */
function servedFingerprint(port: number, ca: string, identity?: { cert: string; key: string }) {
  return new Promise<string>((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
      ...(identity ?? {}),
    }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

Deno.test(
  "tls: three nodes over mTLS forward a task; clients without the mesh's certificate are refused",
  { ignore: noSkills !== null },
  async (t) => {
    const pki = await makePki(["a", "b", "c"]);
    const nodes: TestNode[] = [];
    const agent = client(pki.ca, pki.agent);
    try {
      const c = await startNode({
        args: [...pki.nodeFlags("c"), "--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
      });
      nodes.push(c);
      const b = await startNode({ args: pki.nodeFlags("b") });
      nodes.push(b);
      const a = await startNode({
        args: [
          ...pki.nodeFlags("a"),
          "--peer",
          `127.0.0.1:${b.port}`,
          "--peer",
          `127.0.0.1:${c.port}`,
        ],
      });
      nodes.push(a);

      await t.step("every node serves https and knows its peers as https", async () => {
        for (const node of nodes) assert.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const status = await getJson(`${a.url}/status`, agent);
        assert.equal(status.scheme, "https");
        assert.equal(status.auth, "mtls");
        const peers = status.peers as Array<{ id: string; scheme: string }>;
        assert.deepEqual(peers.map((p) => p.id).sort(), [b.nodeId, c.nodeId].sort());
        assert.ok(peers.every((p) => p.scheme === "https"));
      });

      await t.step(
        "a task for C's capability is forwarded A → C over mTLS and succeeds",
        async () => {
          const task = nodeTask("echo this", { required: ["echo"], input: { n: 7 } });
          const res = await postTask(a.url, task, { client: agent });
          const body = res.body as { task_completed: boolean; response: string };
          assert.equal(res.status, 200, res.text);
          assert.equal(body.task_completed, true, res.text);
          assert.match(body.response, /"n":7/);
          const routed = a.logs.find((l) => l.message === "task_routed" && l.taskId === task.id);
          assert.equal(routed?.route, "forward");
          assert.ok(
            c.logs.some((l) => l.message === "task_routed" && l.taskId === task.id),
            "C ran it",
          );
        },
      );

      await t.step(
        "swarm status and swarm task reach the mTLS node with --tls-* flags",
        async () => {
          const tlsFlags = [
            "--tls-ca",
            `${pki.dir}/ca.crt`,
            "--tls-cert",
            `${pki.dir}/agent.crt`,
            "--tls-key",
            `${pki.dir}/agent.key`,
          ];
          const status = await runSwarm(["status", "--url", a.url, "--json", ...tlsFlags]);
          assert.equal(status.code, 0, status.stderr);
          assert.equal(JSON.parse(status.stdout).scheme, "https");
          const task = await runSwarm([
            "task",
            "echo through the CLI",
            "--url",
            a.url,
            "--require",
            "echo",
            "--json",
            ...tlsFlags,
          ]);
          assert.equal(task.code, 0, task.stderr);
          assert.equal(JSON.parse(task.stdout).task_completed, true);
          // Without a client certificate: one line naming the TLS failure, exit 1.
          const refused = await runSwarm([
            "status",
            "--url",
            a.url,
            "--tls-ca",
            `${pki.dir}/ca.crt`,
          ]);
          assert.equal(refused.code, 1);
          assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
          assert.match(refused.stderr, /^swarm status: peer_unreachable: Cannot reach https:/);
        },
      );

      await t.step("a client with no certificate is refused during the handshake", async () => {
        const bare = client(pki.ca);
        try {
          await assert.rejects(
            fetchWithin(`${a.url}/status`, { client: bare }),
            fetchFailed(TLS_REFUSED),
          );
        } finally {
          bare.close();
        }
      });

      await t.step("a client with a certificate from another CA is refused", async () => {
        const rogue = client(pki.ca, pki.rogueAgent);
        try {
          await assert.rejects(
            fetchWithin(`${a.url}/status`, { client: rogue }),
            fetchFailed(TLS_REFUSED),
          );
        } finally {
          rogue.close();
        }
      });

      await t.step("plain HTTP to a TLS node gets no answer", async () => {
        await assert.rejects(
          fetch(`http://127.0.0.1:${a.port}/status`, { signal: AbortSignal.timeout(5_000) }),
          fetchFailed(PLAIN_TO_TLS),
        );
      });

      await t.step("the client certificate's identity reaches the node's events", async () => {
        const events = await followEvents(c.url, ["task_received"], { client: agent });
        const task = nodeTask("echo", { required: ["echo"] });
        assert.equal((await postTask(c.url, task, { client: agent })).status, 200);
        const event = await events.waitFor(String(task.id)) as Record<
          string,
          Record<string, string>
        >;
        await events.close();
        assert.equal(event.type, "task_received");
        assert.equal(event.caller.method, "client-cert");
        assert.equal(event.caller.subject, "agent");
        assert.match(event.caller.cert_fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      });
    } finally {
      agent.close();
      await stopAll(nodes);
      await pki.cleanup();
    }
  },
);

Deno.test("tls: a TLS-only node (Deno.serve) refuses plain HTTP and trusts its CA", async () => {
  const pki = await makePki(["solo"]);
  let node: TestNode | undefined;
  const trusting = client(pki.ca);
  try {
    node = await startNode({ args: pki.nodeFlags("solo", false) });
    assert.match(node.url, /^https:/);
    const status = await getJson(`${node.url}/status`, trusting);
    assert.equal(status.scheme, "https");
    assert.equal((status.security as { tls: { mtls: boolean } }).tls.mtls, false);
    await assert.rejects(
      fetch(`http://127.0.0.1:${node.port}/status`, { signal: AbortSignal.timeout(5_000) }),
      fetchFailed(PLAIN_TO_TLS),
    );
    // Without the mesh CA, the node's certificate is not trusted.
    await assert.rejects(
      fetchWithin(`${node.url}/status`),
      fetchFailed(/invalid peer certificate: UnknownIssuer/),
    );
  } finally {
    trusting.close();
    await node?.kill();
    await pki.cleanup();
  }
});

for (const mtls of [false, true]) {
  const kind = mtls ? "mTLS (node:https)" : "TLS (Deno.serve)";
  Deno.test(`tls: a ${kind} certificate rotated on disk is served without restart, no request lost`, async () => {
    const pki = await makePki(["rot"]);
    let node: TestNode | undefined;
    const caller = client(pki.ca, mtls ? pki.agent : undefined);
    try {
      node = await startNode({ port: freePort(), args: pki.nodeFlags("rot", mtls) });
      const identity = mtls ? pki.agent : undefined;
      const before = await servedFingerprint(node.port, pki.ca, identity);
      let ok = 0;
      const failures: string[] = [];
      let running = true;
      const stream = (async () => {
        // Bounded: stops on the flag or after 2,000 requests.
        for (let i = 0; running && i < 2_000; i++) {
          try {
            const res = await fetch(`${node!.url}/healthz`, {
              client: caller,
              signal: AbortSignal.timeout(5_000),
            });
            await res.body?.cancel();
            if (res.status === 200) ok++;
            else failures.push(`status ${res.status}`);
          } catch (err) {
            failures.push(String((err as Error).message));
          }
        }
      })();
      await waitFor(() => Promise.resolve(ok >= 20), 15_000);
      // Re-issue the certificate in place: `swarm tls issue --force` replaces it by rename.
      await runSwarmOk([
        "tls",
        "issue",
        "rot",
        "--dir",
        pki.dir,
        "--ip",
        "127.0.0.1",
        "--dns",
        "localhost",
        "--force",
      ]);
      await waitFor(
        async () => (await servedFingerprint(node!.port, pki.ca, identity)) !== before,
        15_000,
      );
      const afterReload = ok;
      await waitFor(() => Promise.resolve(ok >= afterReload + 20), 15_000);
      running = false;
      await stream;
      assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} failed`);
      assert.ok(
        node.logs.some((l) =>
          l.message === "security_reloaded" && (l.changed as string[]).includes("tls")
        ),
      );
      const status = await getJson(`${node.url}/status`, caller);
      const served = await servedFingerprint(node.port, pki.ca, identity);
      const security = status.security as { tls: { certificate: { fingerprint256: string } } };
      assert.equal(security.tls.certificate.fingerprint256, served);
      console.log(`${kind}: ${ok} requests, none failed, across the certificate rotation`);
    } finally {
      caller.close();
      await node?.kill();
      await pki.cleanup();
    }
  });
}

const bedUnavailable = await testbedUnavailable();
if (bedUnavailable) console.log(`tls_test: the mDNS case is skipped: ${bedUnavailable}`);

Deno.test({
  name: "tls: mTLS nodes on a LAN find each other over mDNS as https peers and forward",
  ignore: bedUnavailable !== null || noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const bed = await createTestbed({ nodes: 2 });
    const pki = await makePkiFor(bed.hosts.map((h, i) => [`n${i}`, h.address]));
    const agent = client(pki.ca, pki.agent);
    try {
      const common = ["--mdns-ttl-s", "3"];
      const a = await bed.startNode(bed.hosts[0], { args: [...common, ...pki.nodeFlags("n0")] });
      const b = await bed.startNode(bed.hosts[1], {
        args: [...common, ...pki.nodeFlags("n1"), "--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
      });
      assert.match(a.url, /^https:/);
      // B's announcement carries scheme=https in its TXT record: A lists it as an https peer.
      await waitFor(async () => {
        const status = await getJson(`${a.url}/status`, agent);
        const peers = status.peers as Array<{ id: string; scheme: string; sources: string[] }>;
        return peers.some((p) =>
          p.id === b.nodeId && p.scheme === "https" && p.sources.includes("mdns")
        );
      }, 15_000);
      const task = nodeTask("echo over the LAN", { required: ["echo"] });
      const res = await postTask(a.url, task, { client: agent });
      assert.equal(res.status, 200, res.text);
      assert.equal((res.body as { task_completed: boolean }).task_completed, true);
      assert.ok(b.logs.some((l) => l.message === "task_routed" && l.taskId === task.id));
    } finally {
      agent.close();
      await bed.remove();
      await pki.cleanup();
    }
  },
});
