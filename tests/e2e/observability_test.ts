/**
 * Observability across a real three-node mesh: one trace id in the result, in every
 * node's logs and event streams; /metrics counters matching the tasks sent and
 * accepted by promtool; `swarm status --json` valid against docs/status.schema.json;
 * `--mesh` covering every node.
 */
import { strict as assert } from "node:assert";
import Ajv from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import {
  FIXTURE_SKILLS,
  nodeTask,
  postTask,
  runSwarm,
  startNode,
  stopAll,
  type TestNode,
} from "./_node.ts";
import { fetchWithin, outputWithin, withTimeout } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`observability_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const TOKEN = "obs-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const env = { SKILLLITE_SWARM_TOKEN: TOKEN };

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Reads a node's NDJSON event stream from the start until `until` holds (bounded). */
async function readEvents(
  node: TestNode,
  until: (events: Array<Record<string, unknown>>) => boolean,
): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${node.url}/events?last_event_id=0`, {
    headers: { ...auth, accept: "application/x-ndjson" },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200);
  const events: Array<Record<string, unknown>> = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}

function metric(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[3] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

const promtool = await outputWithin("promtool", { args: ["--version"], ms: 30_000 })
  .then((o) => o.success, () => false);
if (!promtool) {
  console.log(
    "observability_test (promtool check of the metrics text) skipped: promtool not found",
  );
}

Deno.test({
  name: "observability: one trace across two forwards, metrics, events, status schema, --mesh",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn(t) {
    const nodes: TestNode[] = [];
    const bSkills = await Deno.makeTempDir({ prefix: "swarm-obs-" });
    try {
      const c = await startNode({ args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`], env });
      nodes.push(c);
      await copyDir(`${FIXTURE_SKILLS}echo-deno`, `${bSkills}/echo-deno`);
      const aPort = (await import("./_node.ts")).freePort();
      const b = await startNode({
        args: [
          "--skills-dir",
          bSkills,
          "--peer",
          `127.0.0.1:${c.port}`,
          "--peer",
          `127.0.0.1:${aPort}`,
        ],
        env,
      });
      nodes.push(b);
      // A learns B's capabilities once (echo, for now) and never re-probes.
      const a = await startNode({
        port: aPort,
        args: [
          "--peer",
          `127.0.0.1:${b.port}`,
          "--peer-probe-interval-ms",
          "600000",
          "--log-format",
          "json",
        ],
        env,
      });
      nodes.push(a);
      // B loses its echo skill: A's table is now stale, so A forwards to B, which forwards to C.
      await Deno.remove(`${bSkills}/echo-deno`, { recursive: true });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const s = await (await fetchWithin(`${b.url}/status`, { headers: auth })).json();
        if (s.capabilities.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }

      const task = nodeTask("hello", { required: ["echo"], input: { n: 1 } });
      let traceId = "";
      await t.step("the result carries one trace id, found in all three nodes' logs", async () => {
        const res = await postTask(a.url, task, { token: TOKEN });
        assert.equal(res.status, 200, res.text);
        traceId = String((res.body as Record<string, unknown>).trace_id);
        assert.match(traceId, /^[0-9a-f]{32}$/);
        const routedA = a.logs.find((l) => l.message === "task_routed" && l.taskId === task.id);
        assert.equal(routedA?.peer, b.nodeId, "A forwarded to B");
        const routedB = b.logs.find((l) => l.message === "task_routed" && l.taskId === task.id);
        assert.equal(routedB?.peer, c.nodeId, "B forwarded to C");
        for (const node of [a, b, c]) {
          const lines = node.logs.filter((l) => l.trace_id === traceId);
          assert.ok(lines.length > 0, `no log line of ${node.nodeId} has the trace id`);
          assert.ok(lines.every((l) => l.task_id === task.id && l.node_id === node.nodeId));
        }
        const hops = [a, b, c].map((n) => n.logs.find((l) => l.trace_id === traceId)?.hop);
        assert.deepEqual(hops, [0, 1, 2]);
      });

      await t.step("every node's event stream shows the task under the same trace id", async () => {
        for (
          const [node, types] of [
            [a, ["task_received", "task_routed", "task_forwarded", "task_completed"]],
            [b, ["task_received", "task_routed", "task_forwarded", "task_completed"]],
            [c, ["task_received", "task_routed", "task_executed", "task_completed"]],
          ] as const
        ) {
          const events = await readEvents(
            node,
            (es) => es.some((e) => e.type === "task_completed" && e.task_id === task.id),
          );
          const mine = events.filter((e) => e.task_id === task.id);
          assert.deepEqual(mine.map((e) => e.type), types, node.nodeId);
          assert.ok(mine.every((e) => e.trace_id === traceId && e.node_id === node.nodeId));
        }
      });

      await t.step("/metrics counts exactly the tasks sent, and promtool accepts it", async () => {
        const dup = await postTask(a.url, task, { token: TOKEN });
        assert.equal(dup.status, 200);
        const miss = await postTask(a.url, nodeTask("render", { required: ["gpu"] }), {
          token: TOKEN,
        });
        assert.equal(miss.status, 503);
        const unauth = await fetchWithin(`${a.url}/status`);
        assert.equal(unauth.status, 401);
        await unauth.body?.cancel();
        const res = await fetchWithin(`${a.url}/metrics`, { headers: auth });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.equal(metric(text, "swarm_tasks_received_total", { stream: "false" }), 3);
        assert.equal(
          metric(text, "swarm_tasks_completed_total", { route: "forward", completed: "true" }),
          1,
        );
        assert.equal(
          metric(text, "swarm_tasks_completed_total", { route: "deduplicated", completed: "true" }),
          1,
        );
        assert.equal(
          // No table entry had gpu: the who-can-do broadcast found nobody.
          metric(text, "swarm_tasks_failed_total", { route: "broadcast", code: "no_match" }),
          1,
        );
        assert.equal(metric(text, "swarm_forward_attempts_total", { peer: b.nodeId }), 1);
        assert.equal(metric(text, "swarm_dedup_hits_total", { state: "done" }), 1);
        assert.equal(metric(text, "swarm_auth_failures_total", { reason: "missing" }), 1);
        assert.equal(metric(text, "swarm_task_duration_seconds_count", { route: "forward" }), 1);
        assert.equal(metric(text, "swarm_peers", { state: "alive" }), 1);
        if (promtool) {
          const check = new Deno.Command("promtool", {
            args: ["check", "metrics"],
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const writer = check.stdin.getWriter();
          await writer.write(new TextEncoder().encode(text));
          await writer.close();
          const out = await withTimeout(check.output(), {
            ms: 30_000,
            waitingFor: "promtool check metrics to finish",
            onTimeout: () => check.kill("SIGKILL"),
          });
          assert.ok(
            out.success,
            new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout),
          );
        }
      });

      await t.step(
        "swarm status --json matches docs/status.schema.json on every node",
        async () => {
          const schema = JSON.parse(
            await Deno.readTextFile(new URL("../../docs/status.schema.json", import.meta.url)),
          );
          // deno-lint-ignore no-explicit-any
          const ajv = new (Ajv as any)({ allErrors: true, strict: false });
          // deno-lint-ignore no-explicit-any
          (addFormats as any)(ajv);
          const validate = ajv.compile(schema);
          for (const node of nodes) {
            const r = await runSwarm(["status", "--json", "--url", node.url], env);
            assert.equal(r.code, 0, r.stderr);
            const body = JSON.parse(r.stdout);
            assert.ok(validate(body), JSON.stringify(validate.errors));
          }
          const aStatus = JSON.parse(
            (await runSwarm(["status", "--json", "--url", a.url], env)).stdout,
          );
          assert.ok(aStatus.tasks.recent.some((r: { trace_id: string }) => r.trace_id === traceId));
          assert.equal(aStatus.counters.received, 3);
        },
      );

      await t.step(
        "swarm status --mesh lists every node; the human table is readable",
        async () => {
          const json = await runSwarm(["status", "--mesh", "--json", "--url", b.url], env);
          assert.equal(json.code, 0, json.stderr);
          const ids = JSON.parse(json.stdout).nodes.map((n: { status: { node_id: string } }) =>
            n.status.node_id
          ).sort();
          assert.deepEqual(ids, [a.nodeId, b.nodeId, c.nodeId].sort());
          const human = await runSwarm(["status", "--mesh", "--url", b.url], env);
          assert.equal(human.code, 0, human.stderr);
          const lines = human.stdout.trim().split("\n");
          assert.equal(lines.length, 4);
          assert.match(lines[0], /^NODE\s+ADDRESS\s+READY/);
          for (const node of [a, b, c]) {
            assert.ok(lines.some((l) => l.startsWith(node.nodeId) && /\syes\s/.test(l)));
          }
          const table = await runSwarm(["status", "--url", a.url], env);
          assert.match(table.stdout, /^node\s+\S+/m);
          assert.match(table.stdout, /^counters\s+received=3/m);
        },
      );
    } finally {
      await stopAll(nodes);
      await Deno.remove(bSkills, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "observability: with OTEL_DENO, all three nodes export spans of one trace to an OTLP receiver",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const spans: Array<
      { service: string; traceId: string; spanId: string; parentSpanId: string; name: string }
    > = [];
    const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      if (new URL(req.url).pathname === "/v1/traces") {
        const body = await req.json();
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) =>
            a.key === "service.name"
          )
            ?.value?.stringValue ?? "?";
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? "",
                name: s.name,
              });
            }
          }
        }
      } else {
        await req.body?.cancel();
      }
      return Response.json({});
    });
    const otel = (service: string) => ({
      ...env,
      OTEL_DENO: "true",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
      OTEL_SERVICE_NAME: service,
      OTEL_BSP_SCHEDULE_DELAY: "200",
    });
    const nodes: TestNode[] = [];
    const bSkills = await Deno.makeTempDir({ prefix: "swarm-otel-" });
    try {
      const c = await startNode({
        args: ["--skills-dir", `${FIXTURE_SKILLS}echo-deno`],
        env: otel("node-c"),
      });
      nodes.push(c);
      await copyDir(`${FIXTURE_SKILLS}echo-deno`, `${bSkills}/echo-deno`);
      const b = await startNode({
        args: ["--skills-dir", bSkills, "--peer", `127.0.0.1:${c.port}`],
        env: otel("node-b"),
      });
      nodes.push(b);
      const a = await startNode({
        args: ["--peer", `127.0.0.1:${b.port}`, "--peer-probe-interval-ms", "600000"],
        env: otel("node-a"),
      });
      nodes.push(a);
      await Deno.remove(`${bSkills}/echo-deno`, { recursive: true });
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const s = await (await fetchWithin(`${b.url}/status`, { headers: auth })).json();
        if (s.capabilities.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const res = await postTask(a.url, nodeTask("hello", { required: ["echo"] }), {
        token: TOKEN,
      });
      assert.equal(res.status, 200, res.text);
      const traceId = String((res.body as Record<string, unknown>).trace_id);
      const deadline = Date.now() + 15_000;
      const services = () =>
        new Set(spans.filter((s) => s.traceId === traceId).map((s) => s.service));
      // Spans arrive in batches per node: wait for every node and every step's span.
      const names = () => new Set(spans.filter((s) => s.traceId === traceId).map((s) => s.name));
      const complete = () =>
        services().size >= 3 &&
        ["swarm.task", "swarm.forward", "swarm.execute"].every((n) => names().has(n));
      while (!complete() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const mine = spans.filter((s) => s.traceId === traceId);
      assert.deepEqual(
        [...services()].sort(),
        ["node-a", "node-b", "node-c"],
        JSON.stringify(spans.slice(0, 20)),
      );
      for (const name of ["swarm.task", "swarm.forward", "swarm.execute"]) {
        assert.ok(mine.some((s) => s.name === name), `no ${name} span`);
      }
      // One trace: exactly one root, and every other span's parent is a span of the trace.
      const ids = new Set(mine.map((s) => s.spanId));
      const roots = mine.filter((s) => !s.parentSpanId);
      assert.equal(roots.length, 1, JSON.stringify(roots));
      for (const s of mine) {
        if (s.parentSpanId) {
          assert.ok(
            ids.has(s.parentSpanId),
            `${s.service} ${s.name} has a parent outside the trace`,
          );
        }
      }
    } finally {
      await stopAll(nodes);
      await receiver.shutdown();
      await Deno.remove(bSkills, { recursive: true }).catch(() => {});
    }
  },
});
