import assert from "node:assert/strict";
import { EventBus, type NodeEvent, type NodeEventData } from "../../lib/observability/events.ts";
import {
  type GaugeSnapshot,
  NodeMetrics,
  TASK_DURATION_BUCKETS_SECONDS,
} from "../../lib/observability/metrics.ts";
import { workerPermissions } from "../../lib/node/permissions.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

/** One sample line of the text format: metric name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the sample lines of the Prometheus text format (enough for prom-client's output). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `Unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    const value = match[3] === "+Inf" ? Infinity : Number(match[3]);
    samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** The value of the one sample named `name` with exactly `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}) {
  const found = parseSamples(text).filter((s) =>
    s.name === name && Object.keys(s.labels).length === Object.keys(labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.ok(found.length <= 1, `Several samples match ${name}`);
  return found[0]?.value;
}

/** All samples named `name`, as `labels → value` with labels rendered `k=v,k=v`. */
function series(text: string, name: string): Record<string, number> {
  return Object.fromEntries(
    parseSamples(text).filter((s) => s.name === name).map((s) => [
      Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(","),
      s.value,
    ]),
  );
}

const task = (id: string) => ({ task_id: id, trace_id: "0".repeat(31) + "1", hop: 0 });

/**
 * Five tasks and the surrounding node life: A runs locally; B is forwarded, retried on
 * another peer and completes; C is forwarded, retried on the same peer and times out;
 * D matches no node; E fails with an error that is not a stable code.
 */
const SEQUENCE: NodeEventData[] = [
  {
    type: "swarm_started",
    url: "http://127.0.0.1:7700",
    version: "0.1.0",
    capabilities: [],
    skills: 0,
    starter_skills: false,
    executor: "none",
    peers: 0,
  },
  { type: "peer_joined", peer: "b", address: "10.0.0.2:7700", source: "mdns", capabilities: [] },
  { type: "peer_joined", peer: "c", address: "10.0.0.3:7700", source: "mdns", capabilities: [] },
  { type: "peer_joined", peer: "d", address: "10.0.0.4:7700", source: "static", capabilities: [] },
  { type: "capabilities_changed", capabilities: ["calc"] },
  // A
  { type: "task_received", required_capabilities: ["calc"], stream: false, ...task("A") },
  { type: "task_routed", route: "local", required_capabilities: ["calc"], ...task("A") },
  { type: "task_executed", skill: "calc", duration_ms: 12, completed: true, ...task("A") },
  { type: "task_completed", route: "local", duration_ms: 15, completed: true, ...task("A") },
  // B
  { type: "task_received", required_capabilities: ["gpu"], stream: true, ...task("B") },
  { type: "task_routed", route: "forward", required_capabilities: ["gpu"], ...task("B") },
  { type: "task_forwarded", peer: "b", attempt: 1, ...task("B") },
  {
    type: "task_retried",
    peer: "b",
    attempt: 1,
    error: "peer_unreachable",
    delay_ms: 100,
    ...task("B"),
  },
  { type: "peer_state_changed", peer: "b", from: "alive", to: "suspect" },
  { type: "task_forwarded", peer: "c", attempt: 2, ...task("B") },
  {
    type: "task_completed",
    route: "forward",
    peer: "c",
    duration_ms: 250,
    completed: false,
    ...task("B"),
  },
  // C
  { type: "task_received", required_capabilities: ["gpu"], stream: false, ...task("C") },
  { type: "task_forwarded", peer: "c", attempt: 1, ...task("C") },
  { type: "task_retried", peer: "c", attempt: 1, error: "timeout", delay_ms: 100, ...task("C") },
  { type: "task_forwarded", peer: "c", attempt: 2, ...task("C") },
  {
    type: "task_failed",
    route: "forward",
    error: "timeout",
    status: 504,
    duration_ms: 3000,
    ...task("C"),
  },
  // D
  { type: "task_received", required_capabilities: ["tpu"], stream: false, ...task("D") },
  {
    type: "task_failed",
    route: "no_match",
    error: "no_match",
    status: 503,
    duration_ms: 2,
    ...task("D"),
  },
  // E: the error is free text, which must not become a label value.
  { type: "task_received", required_capabilities: [], stream: false, ...task("E") },
  { type: "task_executed", duration_ms: 40, completed: false, ...task("E") },
  {
    type: "task_failed",
    route: "local",
    error: "Something odd: x",
    status: 500,
    duration_ms: 45,
    ...task("E"),
  },
  // Duplicates, auth, peer churn.
  { type: "task_deduplicated", state: "done", ...task("A") },
  { type: "task_deduplicated", state: "running", ...task("C") },
  { type: "task_deduplicated", state: "done", ...task("A") },
  { type: "auth_failed", reason: "missing_token", path: "/task" },
  { type: "auth_failed", reason: "missing_token", path: "/status" },
  { type: "auth_failed", reason: "bad_token", path: "/task" },
  { type: "peer_state_changed", peer: "b", from: "suspect", to: "dead" },
  { type: "peer_left", peer: "b", source: "mdns", reason: "goodbye" },
  { type: "peer_state_changed", peer: "c", from: "suspect", to: "alive" },
  { type: "swarm_stopping", reason: "signal" },
];

const IDLE: GaugeSnapshot = { peersByState: {}, queued: 0, running: 0 };

async function renderSequence(): Promise<string> {
  const metrics = new NodeMetrics({ nodeId: "node-a", version: "0.1.0", gauges: () => IDLE });
  const bus = new EventBus("node-a");
  bus.subscribe(metrics.hook);
  for (const data of SEQUENCE) bus.emit(data);
  return (await metrics.render()).body;
}

Deno.test("NodeMetrics counts a known sequence of events exactly", async () => {
  const text = await renderSequence();
  assert.equal(sample(text, "swarm_build_info", { version: "0.1.0", node_id: "node-a" }), 1);
  assert.deepEqual(series(text, "swarm_tasks_received_total"), {
    "stream=false": 4,
    "stream=true": 1,
  });
  assert.deepEqual(series(text, "swarm_tasks_completed_total"), {
    "route=local,completed=true": 1,
    "route=forward,completed=false": 1,
  });
  assert.deepEqual(series(text, "swarm_tasks_failed_total"), {
    "route=forward,code=timeout": 1,
    "route=no_match,code=no_match": 1,
    "route=local,code=other": 1,
  });
  assert.deepEqual(series(text, "swarm_forward_attempts_total"), { "peer=b": 1, "peer=c": 3 });
  assert.deepEqual(series(text, "swarm_retries_total"), {
    "peer=b,error=peer_unreachable": 1,
    "peer=c,error=timeout": 1,
  });
  assert.deepEqual(series(text, "swarm_dedup_hits_total"), { "state=done": 2, "state=running": 1 });
  assert.deepEqual(series(text, "swarm_auth_failures_total"), {
    "reason=missing_token": 2,
    "reason=bad_token": 1,
  });
  assert.deepEqual(series(text, "swarm_peer_events_total"), {
    "event=joined,source=mdns": 2,
    "event=joined,source=static": 1,
    "event=left,source=mdns": 1,
  });
  assert.deepEqual(series(text, "swarm_peer_state_changes_total"), {
    "to=suspect": 1,
    "to=dead": 1,
    "to=alive": 1,
  });
});

Deno.test("NodeMetrics fills the duration histograms from event durations in seconds", async () => {
  const text = await renderSequence();
  const bucket = (name: string, labels: Record<string, string>, le: string) =>
    sample(text, `${name}_bucket`, { ...labels, le });
  const hist = "swarm_task_duration_seconds";
  // local: 0.015 s (A) and 0.045 s (E).
  assert.equal(sample(text, `${hist}_count`, { route: "local" }), 2);
  assert.ok(Math.abs(sample(text, `${hist}_sum`, { route: "local" })! - 0.06) < 1e-9);
  assert.equal(bucket(hist, { route: "local" }, "0.01"), 0);
  assert.equal(bucket(hist, { route: "local" }, "0.025"), 1);
  assert.equal(bucket(hist, { route: "local" }, "0.05"), 2);
  // forward: 0.25 s (B) and 3 s (C).
  assert.equal(sample(text, `${hist}_count`, { route: "forward" }), 2);
  assert.equal(sample(text, `${hist}_sum`, { route: "forward" }), 3.25);
  assert.equal(bucket(hist, { route: "forward" }, "0.25"), 1);
  assert.equal(bucket(hist, { route: "forward" }, "2.5"), 1);
  assert.equal(bucket(hist, { route: "forward" }, "5"), 2);
  assert.equal(bucket(hist, { route: "forward" }, "+Inf"), 2);
  assert.equal(sample(text, `${hist}_count`, { route: "no_match" }), 1);
  // Every bucket of the configured layout is rendered, smallest 5 ms, largest 120 s.
  const les = parseSamples(text)
    .filter((s) => s.name === `${hist}_bucket` && s.labels.route === "forward")
    .map((s) => s.labels.le);
  assert.deepEqual(les, [...TASK_DURATION_BUCKETS_SECONDS.map(String), "+Inf"]);
  assert.deepEqual([les[0], les.at(-2)], ["0.005", "120"]);
  // Executions: calc 0.012 s (A); E ran without a skill.
  const exec = "swarm_execution_duration_seconds";
  assert.equal(sample(text, `${exec}_count`, { skill: "calc" }), 1);
  assert.equal(sample(text, `${exec}_sum`, { skill: "calc" }), 0.012);
  assert.equal(bucket(exec, { skill: "calc" }, "0.01"), 0);
  assert.equal(bucket(exec, { skill: "calc" }, "0.025"), 1);
  assert.equal(sample(text, `${exec}_count`, { skill: "none" }), 1);
});

Deno.test("NodeMetrics reads the gauges from the callback at every scrape", async () => {
  let snapshot: GaugeSnapshot = { peersByState: { alive: 2, suspect: 1 }, queued: 3, running: 2 };
  let calls = 0;
  const metrics = new NodeMetrics({
    nodeId: "n",
    version: "1",
    gauges: () => (calls++, snapshot),
  });
  assert.equal(calls, 0, "nothing is read before a scrape");
  let text = (await metrics.render()).body;
  assert.deepEqual(series(text, "swarm_peers"), { "state=alive": 2, "state=suspect": 1 });
  assert.equal(sample(text, "swarm_queue_depth"), 3);
  assert.equal(sample(text, "swarm_running_tasks"), 2);
  snapshot = { peersByState: { alive: 1, dead: 2 }, queued: 0, running: 1 };
  text = (await metrics.render()).body;
  assert.deepEqual(series(text, "swarm_peers"), { "state=alive": 1, "state=dead": 2 });
  assert.equal(sample(text, "swarm_queue_depth"), 0);
  assert.equal(sample(text, "swarm_running_tasks"), 1);
  assert.ok(calls >= 2);
});

Deno.test("NodeMetrics.render() answers Prometheus text and rejects when the gauges throw", async () => {
  const ok = new NodeMetrics({ nodeId: "n", version: "1", gauges: () => IDLE });
  const { contentType } = await ok.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  const broken = new NodeMetrics({
    nodeId: "n",
    version: "1",
    gauges: () => {
      throw new Error("Gauges unavailable");
    },
  });
  await assert.rejects(broken.render(), /Gauges unavailable/);
});

Deno.test("NodeMetrics.hook never throws and drops an unrecordable event whole", async () => {
  const metrics = new NodeMetrics({ nodeId: "n", version: "1", gauges: () => IDLE });
  const base = { id: 1, time: new Date(0).toISOString(), node_id: "n", ...task("X") };
  const bad = {
    type: "task_completed",
    route: "local",
    duration_ms: NaN,
    completed: true,
    ...base,
  } as NodeEvent;
  assert.doesNotThrow(() => metrics.hook(bad));
  assert.doesNotThrow(() => metrics.hook(null as unknown as NodeEvent));
  assert.doesNotThrow(() => metrics.hook({ type: "no_such_event" } as unknown as NodeEvent));
  metrics.hook({ ...bad, duration_ms: 20 } as NodeEvent);
  const text = (await metrics.render()).body;
  assert.deepEqual(series(text, "swarm_tasks_completed_total"), {
    "route=local,completed=true": 1,
  });
  assert.equal(sample(text, "swarm_task_duration_seconds_count", { route: "local" }), 1);
});

/** Runs `promtool check metrics` on `text`; its exit code and everything it printed. */
async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await withTimeout(child.output(), {
    ms: 30_000,
    waitingFor: "promtool check metrics to finish",
    onTimeout: () => child.kill("SIGKILL"),
  });
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

const promtoolMissing = (() => {
  try {
    return !new Deno.Command("promtool", { args: ["--version"] }).outputSync().success;
  } catch {
    return true;
  }
})();
if (promtoolMissing) {
  console.log(
    "metrics_test (promtool check) skipped: promtool not found (apt-get install prometheus)",
  );
}

Deno.test({
  name: "NodeMetrics.render() output passes `promtool check metrics` without a warning",
  ignore: promtoolMissing,
  fn: async () => {
    const metrics = new NodeMetrics({
      nodeId: "node-a",
      version: "0.1.0",
      gauges: () => ({ peersByState: { alive: 1, dead: 1 }, queued: 2, running: 1 }),
    });
    const bus = new EventBus("node-a");
    bus.subscribe(metrics.hook);
    for (const data of SEQUENCE) bus.emit(data);
    const { body } = await metrics.render();
    assert.deepEqual(await promtoolCheck(body), { code: 0, output: "" });
    // The checker is live: it refuses a broken exposition.
    const broken = await promtoolCheck(body.replace("swarm_build_info{", "swarm_build_info{{"));
    assert.notEqual(broken.code, 0);
  },
});

Deno.test("NodeMetrics works in a worker with the network worker's permissions", async () => {
  const permissions = workerPermissions({
    listen: { host: "127.0.0.1", port: 7700 },
    allowNet: { kind: "loopback" },
    dataDir: ":memory:",
  });
  assert.deepEqual(
    [permissions.read, permissions.write, permissions.run, permissions.sys],
    [false, false, false, false],
  );
  assert.deepEqual(permissions.env, ["LOG_STREAM", "LOG_TOKENS"]);
  const moduleUrl = new URL("../../lib/observability/metrics.ts", import.meta.url).href;
  const source = `
    const out = {};
    try { Deno.env.get("HOME"); out.env = "allowed"; } catch (e) { out.env = e.name; }
    try {
      const { NodeMetrics } = await import(${JSON.stringify(moduleUrl)});
      const metrics = new NodeMetrics({
        nodeId: "w",
        version: "1",
        gauges: () => ({ peersByState: { alive: 1 }, queued: 0, running: 0 }),
      });
      metrics.hook({ type: "task_received", stream: true, required_capabilities: [],
        task_id: "t", trace_id: "t", hop: 0, id: 1, time: "", node_id: "w" });
      out.body = (await metrics.render()).body;
    } catch (e) {
      out.error = String(e);
    }
    self.postMessage(out);`;
  const worker = new Worker(`data:application/javascript,${encodeURIComponent(source)}`, {
    type: "module",
    deno: { permissions },
  });
  try {
    const out = await withTimeout(
      new Promise<{ env: string; body?: string; error?: string }>(
        (resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new Error(e.message));
          };
        },
      ),
      { ms: 30_000, waitingFor: "the restricted worker's metrics" },
    );
    assert.equal(out.env, "NotCapable", "the worker is really restricted");
    assert.equal(out.error, undefined);
    assert.equal(sample(out.body!, "swarm_tasks_received_total", { stream: "true" }), 1);
    assert.equal(sample(out.body!, "swarm_peers", { state: "alive" }), 1);
  } finally {
    worker.terminate();
  }
});
