/**
 * A malicious peer against a real node (issue 12, findings 3, 5 and 6): a fake peer on
 * loopback floods the node's forward, probes and relay with hundreds of MiB, redirects a
 * TLS node's task to plain HTTP, and lies about its load then refuses or garbles the
 * task. The node is started through the installed launcher; its resident memory is read
 * from /proc while the attack runs.
 */
import { strict as assert } from "node:assert";
import {
  nodeTask,
  postTask,
  runSwarmOk,
  startNode,
  stopAll,
  type TestNode,
  waitFor,
} from "./_node.ts";
import { type HostilePeer, rssBytes, sampleRss, startHostilePeer } from "./_hostile_peer.ts";

const MIB = 1024 * 1024;
/** The bound this suite states: an attack may grow the node's RSS by less than this. */
const MAX_RSS_GROWTH = 300 * MIB;

/** An empty skills dir: the node under test can only forward. */
const NO_SKILLS = await Deno.makeTempDir({ prefix: "swarm-hostile-noskills-" });

/** Starts the node under test with the given peers as `--peer` seeds. */
function startRouter(peers: string[], extra: string[] = []): Promise<TestNode> {
  return startNode({
    args: [
      "--skills-dir",
      NO_SKILLS,
      "--peer-probe-interval-ms",
      "500",
      ...peers.flatMap((url) => ["--peer", url]),
      ...extra,
    ],
  });
}

/** `GET /status` of a node, with its peers. */
async function status(url: string, client?: Deno.HttpClient): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/status`, {
    signal: AbortSignal.timeout(5000),
    ...(client ? { client } : {}),
  });
  return await res.json();
}

/** The row of peer `id` in a node's `/status`, once it is there. */
async function peerRow(
  url: string,
  id: string,
  client?: Deno.HttpClient,
): Promise<Record<string, unknown> | undefined> {
  const peers = (await status(url, client)).peers as Array<Record<string, unknown>>;
  return peers.find((p) => p.id === id);
}

/** The node's RSS now, taken as the baseline: the highest of a few samples. */
async function baseline(node: TestNode): Promise<number> {
  let max = 0;
  for (let i = 0; i < 5; i++) {
    max = Math.max(max, await rssBytes(node.pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  return max;
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(0)} MiB`;
}

/** Asserts a node's RSS growth during an attack stays under the suite's bound. */
function assertBounded(label: string, before: number, peak: number): void {
  const growth = peak - before;
  console.log(`${label}: RSS ${mib(before)} -> peak ${mib(peak)} (+${mib(growth)})`);
  assert.ok(
    growth < MAX_RSS_GROWTH,
    `${label}: RSS grew by ${mib(growth)}, over the ${mib(MAX_RSS_GROWTH)} bound`,
  );
}

Deno.test({
  name:
    "hostile peer (finding 3): a 400 MB /task answer is cut at the result limit; RSS stays bounded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hostile = startHostilePeer({ nodeId: "hostile", capabilities: ["calc"], task: "flood" });
    let node: TestNode | undefined;
    try {
      node = await startRouter([hostile.url]);
      const url = node.url;
      await waitFor(async () => (await peerRow(url, "hostile")) !== undefined);
      const before = await baseline(node);
      const rss = sampleRss(node.pid);
      const answer = await postTask(node.url, nodeTask("add", { required: ["calc"] }), {
        timeoutMs: 60_000,
      });
      const peak = await rss.stop();
      const [flood] = hostile.floods;
      console.log(`task flood: the peer got ${mib(flood.bytes)} of 400 MiB out`);
      assertBounded("task flood", before, peak);
      assert.ok(!flood.finished, "the node stopped reading before the end of the flood");
      // Refused, and refused because of the size limit (not retried: it may have run).
      assert.equal(answer.status, 502, answer.text);
      const body = answer.body as Record<string, unknown>;
      assert.equal(body.error, "forward_failed", answer.text);
      const attempts = body.attempts as Array<Record<string, unknown>>;
      assert.deepEqual(attempts.map((a) => a.error), ["bad_peer_response"], answer.text);
      assert.match(
        String(attempts[0].message),
        /^Task result from http:\/\/127\.0\.0\.1:\d+ is larger than the limit of 8388608 bytes$/,
      );
    } finally {
      await stopAll([node]);
      await hostile.close();
    }
  },
});

Deno.test({
  name:
    "hostile peer (finding 3): 300 MB /status, /healthz and /can-do bodies cost the node's probes bounded memory",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Registers with no capability, so a task needing calc asks it /can-do.
    const hostile = startHostilePeer({
      nodeId: "hostile",
      capabilities: [],
      floodStatus: true,
      floodHealthz: true,
      floodCanDo: true,
      floodBytes: 300 * MIB,
    });
    let node: TestNode | undefined;
    try {
      node = await startRouter([hostile.url]);
      const url = node.url;
      await waitFor(async () => (await peerRow(url, "hostile")) !== undefined);
      const before = await baseline(node);
      const rss = sampleRss(node.pid);
      const answer = await postTask(node.url, nodeTask("add", { required: ["calc"] }), {
        timeoutMs: 30_000,
      });
      // Probes go on meanwhile: at least a few of each kind.
      await waitFor(
        () => {
          const count = (path: string) => hostile.floods.filter((f) => f.path === path).length;
          return Promise.resolve(count("/healthz") >= 4 && count("/status") >= 4);
        },
        20_000,
      );
      const peak = await rss.stop();
      assertBounded("probe floods", before, peak);
      // The broadcast's /can-do flood was refused, so nobody can: no_match, not a crash.
      assert.equal(answer.status, 503, answer.text);
      assert.equal((answer.body as Record<string, unknown>).error, "no_match", answer.text);
      for (const path of ["/status", "/healthz", "/can-do"]) {
        const floods = hostile.floods.filter((f) => f.path === path);
        assert.ok(floods.length > 0, `${path} was flooded`);
        const most = Math.max(...floods.map((f) => f.bytes));
        console.log(`${path}: ${floods.length} floods, at most ${mib(most)} of 300 MiB sent`);
        assert.ok(floods.every((f) => !f.finished), `${path}: the node read a whole flood`);
        assert.ok(most < 100 * MIB, `${path}: the node read ${mib(most)} of one answer`);
      }
      // The peer's status flood is a failed probe: its row says why.
      await waitFor(async () =>
        /larger than the limit of 1048576 bytes/.test(
          String((await peerRow(url, "hostile"))?.last_error ?? ""),
        )
      );
    } finally {
      await stopAll([node]);
      await hostile.close();
    }
  },
});

/** Sends a streamed task over a raw socket and never reads the answer. */
async function nonReadingCaller(node: TestNode, task: unknown): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.port });
  const body = JSON.stringify(task);
  const request = `POST /task?stream=1 HTTP/1.1\r\nHost: 127.0.0.1:${node.port}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${new TextEncoder().encode(body).length}` +
    `\r\n\r\n${body}`;
  await conn.write(new TextEncoder().encode(request));
  return conn;
}

Deno.test({
  name:
    "hostile peer (finding 3): endless progress lines to a caller that never reads cost bounded memory, and the node stops reading",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hostile = startHostilePeer({
      nodeId: "hostile",
      capabilities: ["calc"],
      task: "progress_flood",
      floodBytes: 4096 * MIB,
    });
    let node: TestNode | undefined;
    let conn: Deno.TcpConn | undefined;
    try {
      node = await startRouter([hostile.url]);
      const url = node.url;
      await waitFor(async () => (await peerRow(url, "hostile")) !== undefined);
      const before = await baseline(node);
      const rss = sampleRss(node.pid);
      const task = nodeTask("add", { required: ["calc"] });
      conn = await nonReadingCaller(node, task);
      await waitFor(() => Promise.resolve(hostile.floods.length === 1), 10_000);
      const [flood] = hostile.floods;
      // Watch for 8 s (the issue saw 829 MB after 15 s) or until the node gives up.
      const started = Date.now();
      while (Date.now() - started < 8000 && !flood.cancelled) {
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const peak = await rss.stop();
      console.log(
        `progress flood: the peer got ${mib(flood.bytes)} out, cancelled: ${flood.cancelled}`,
      );
      assertBounded("progress flood", before, peak);
      // The node stopped reading the peer: it cut the stream at its progress-event limit.
      assert.ok(flood.cancelled, "the node cancelled the peer's endless stream");
      assert.ok(flood.bytes < 200 * MIB, `the node read ${mib(flood.bytes)} of progress`);
      // Why: the node gave up on the peer at its progress-event limit.
      const routed = () =>
        node!.logs.find((l) => l.message === "task_routed" && l.taskId === task.id);
      await waitFor(() => Promise.resolve(routed() !== undefined));
      const record = routed()!;
      assert.equal(record.error, "forward_failed", JSON.stringify(record));
      const attempts = record.attempts as Array<Record<string, unknown>>;
      assert.deepEqual(attempts.map((a) => a.error), ["bad_peer_response"]);
      assert.match(
        String(attempts.at(-1)?.message),
        /^Stream from http:\/\/127\.0\.0\.1:\d+ sent more than 1024 progress events$/,
      );
    } finally {
      conn?.close();
      await stopAll([node]);
      await hostile.close();
    }
  },
});

Deno.test({
  name:
    "hostile peer (finding 5): a TLS node refuses a peer's 307 to plain HTTP; the task never travels in clear",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "swarm-hostile-tls-" });
    const plainSeen: string[] = [];
    const plain = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      plainSeen.push(`${req.method} ${new URL(req.url).pathname} ${await req.text()}`);
      return Response.json({
        task_id: "x",
        response: "read in clear text",
        task_completed: true,
        tool_calls: 0,
      });
    });
    let hostile: HostilePeer | undefined;
    let honest: HostilePeer | undefined;
    let node: TestNode | undefined;
    let client: Deno.HttpClient | undefined;
    try {
      await runSwarmOk(["tls", "init", "--dir", dir]);
      for (const name of ["node", "hostile", "honest"]) {
        await runSwarmOk(["tls", "issue", name, "--dir", dir, "--ip", "127.0.0.1"]);
      }
      const read = (name: string) => Deno.readTextFileSync(`${dir}/${name}`);
      const ca = read("ca.crt");
      hostile = startHostilePeer({
        nodeId: "hostile",
        capabilities: ["calc"],
        task: "redirect",
        redirectTo: `http://127.0.0.1:${plain.addr.port}/task`,
        tls: { cert: read("hostile.crt"), key: read("hostile.key") },
      });
      node = await startRouter([hostile.url], [
        "--tls-cert",
        `${dir}/node.crt`,
        "--tls-key",
        `${dir}/node.key`,
        "--tls-ca",
        `${dir}/ca.crt`,
        "--max-forward-attempts",
        "3",
      ]);
      client = Deno.createHttpClient({ caCerts: [ca] });
      const url = node.url;
      const tls = client;
      await waitFor(async () => (await peerRow(url, "hostile", tls)) !== undefined);
      const task = nodeTask("secret input", { required: ["calc"], input: { card: "4111" } });
      const refused = await postTask(node.url, task, { client });
      // Refused, because of the redirect; nothing reached the plain-HTTP address.
      assert.equal(refused.status, 502, refused.text);
      const body = refused.body as Record<string, unknown>;
      assert.equal(body.error, "forward_failed", refused.text);
      const attempts = body.attempts as Array<Record<string, unknown>>;
      assert.equal(attempts.length, 1);
      assert.match(
        String(attempts[0].message),
        /^https:\/\/127\.0\.0\.1:\d+ answered 307: redirect refused \(to http:\/\/127\.0\.0\.1:\d+\/task\)$/,
      );
      assert.equal(hostile.tasks.length, 1, "the task went to the peer over TLS");
      assert.deepEqual(plainSeen, [], "nothing was sent in clear text");

      // With an honest TLS peer beside it, the redirect is a refusal like any other: the
      // task goes on to the honest peer.
      honest = startHostilePeer({
        nodeId: "honest",
        capabilities: ["calc"],
        healthzDelayMs: 80,
        tls: { cert: read("honest.crt"), key: read("honest.key") },
      });
      await node.stop();
      node = await startRouter([hostile.url, honest.url], [
        "--tls-cert",
        `${dir}/node.crt`,
        "--tls-key",
        `${dir}/node.key`,
        "--tls-ca",
        `${dir}/ca.crt`,
      ]);
      const url2 = node.url;
      await waitFor(async () => {
        const h = await peerRow(url2, "hostile", tls);
        const o = await peerRow(url2, "honest", tls);
        return typeof h?.latency_ms === "number" && typeof o?.latency_ms === "number" &&
          (o.latency_ms as number) >= 40;
      });
      const answered = await postTask(node.url, nodeTask("again", { required: ["calc"] }), {
        client,
      });
      assert.equal(answered.status, 200, answered.text);
      assert.equal((answered.body as Record<string, unknown>).response, "from honest");
      assert.equal(hostile.tasks.length, 2, "the hostile peer was tried first");
      assert.deepEqual(plainSeen, [], "nothing was sent in clear text");
    } finally {
      client?.close();
      await stopAll([node]);
      await Promise.all([hostile?.close(), honest?.close(), plain.shutdown()]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** Waits until both peers have a probe latency, `slow` clearly slower (≥ 40 ms). */
async function probed(url: string, fast: string, slow: string): Promise<void> {
  await waitFor(async () => {
    const f = await peerRow(url, fast);
    const s = await peerRow(url, slow);
    return typeof f?.latency_ms === "number" && typeof s?.latency_ms === "number" &&
      (s.latency_ms as number) >= 40;
  }, 15_000);
}

Deno.test({
  name: "hostile peer (finding 6): a negative running_tasks claim does not win the tasks",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The liar is the slower of the two: only its load claim could put it first.
    const liar = startHostilePeer({
      nodeId: "liar",
      capabilities: ["calc"],
      load: -1_000_000,
      healthzDelayMs: 80,
    });
    const honest = startHostilePeer({ nodeId: "honest", capabilities: ["calc"] });
    let node: TestNode | undefined;
    try {
      node = await startRouter([liar.url, honest.url]);
      await probed(node.url, "honest", "liar");
      const row = await peerRow(node.url, "liar");
      assert.equal(
        row?.load,
        undefined,
        `the claimed load is not believed: ${JSON.stringify(row)}`,
      );
      for (let i = 0; i < 5; i++) {
        const answer = await postTask(node.url, nodeTask(`add ${i}`, { required: ["calc"] }));
        assert.equal(answer.status, 200, answer.text);
        assert.equal((answer.body as Record<string, unknown>).response, "from honest");
      }
      assert.equal(liar.tasks.length, 0, "no task went to the peer claiming -1000000 tasks");
    } finally {
      await stopAll([node]);
      await Promise.all([liar.close(), honest.close()]);
    }
  },
});

Deno.test({
  name:
    "hostile peer (finding 6): a peer's 403, 409 or garbage answer sends the task on to the honest peer",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The hostile peer is first in line (the honest one answers probes slower).
    const hostile = startHostilePeer({ nodeId: "hostile", capabilities: ["calc"] });
    const honest = startHostilePeer({
      nodeId: "honest",
      capabilities: ["calc"],
      healthzDelayMs: 80,
    });
    let node: TestNode | undefined;
    try {
      node = await startRouter([hostile.url, honest.url]);
      await probed(node.url, "hostile", "honest");
      const modes = ["forbidden", "conflict", "garbage", "not_a_result"] as const;
      for (const mode of modes) {
        hostile.options.task = mode;
        for (const stream of [false, true]) {
          const label = `${mode}${stream ? " (stream)" : ""}`;
          const tried = hostile.tasks.length;
          const task = nodeTask(`add (${label})`, { required: ["calc"] });
          const answer = await postTask(node.url, task, { stream });
          assert.equal(answer.status, 200, `${label}: ${answer.text}`);
          const result = stream
            ? (answer.body as Array<Record<string, unknown>>).at(-1)?.result
            : answer.body;
          assert.equal(
            (result as Record<string, unknown> | undefined)?.response,
            "from honest",
            `${label}: ${answer.text}`,
          );
          assert.equal(
            hostile.tasks.length,
            tried + 1,
            `${label}: the hostile peer was tried first`,
          );
        }
      }
      assert.equal(honest.tasks.length, modes.length * 2);
    } finally {
      await stopAll([node]);
      await Promise.all([hostile.close(), honest.close()]);
    }
  },
});
