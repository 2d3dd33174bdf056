/**
 * Scenario 5, scale of the routing table: the pure routing decision (`decideRoute`)
 * with 10, 1 000 and 10 000 peers; reading the table from Deno KV as a node does for
 * every task; `/status` and a local task on a node whose data dir holds that many peers
 * (injected through `KvPeerTable` before start, not real nodes); and the start of a
 * node whose store holds 10 000 peers and 100 000 idempotency records (`KvTaskStore`).
 *
 * @module
 */
import { decideRoute } from "../../lib/routing/decide.ts";
import type { Peer } from "../../lib/routing/types.ts";
import { KvPeerTable } from "../../lib/store/peer_table.ts";
import { KvTaskStore } from "../../lib/store/task_store.ts";
import { taskFingerprint } from "../../lib/store/task_fingerprint.ts";
import { KV_FILE } from "../../lib/store/open_store.ts";
import { noopNodeArgs, sendTask, taskBody } from "./_fixtures.ts";
import { type BenchNode, startBenchNode } from "./_node.ts";
import { sleep } from "./_proc.ts";
import { figure, percentile } from "./_stats.ts";
import type { BenchContext, Evidence, Row, ScenarioResult } from "./_types.ts";
import { type CpuProfile, profileEvidence } from "./_profile.ts";
import { Session } from "node:inspector/promises";

const TOKEN = "bench-token";
/** Tags peers draw from; a required tag is held by about 3 peers in 50. */
const TAGS = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
/** Peer sizes of the pure decision, in both modes. */
const DECISION_SIZES = [10, 1_000, 10_000];

/** Sizes and counts of this scenario. */
export function tableScalePlan(quick: boolean) {
  return quick
    ? {
      runs: 3,
      decisionMs: 50,
      nodeSizes: [10, 100, 1_000],
      requests: 3,
      loadPeers: 1_000,
      loadRecords: 5_000,
      startRuns: 2,
    }
    : {
      runs: 5,
      decisionMs: 300,
      nodeSizes: [10, 1_000, 10_000],
      requests: 10,
      loadPeers: 10_000,
      loadRecords: 100_000,
      startRuns: 3,
    };
}

/** `n` routing-table rows with three tags each, some unhealthy, varied load. */
export function syntheticPeers(n: number): Peer[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `bench-peer-${i}`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7700`,
    scheme: "http" as const,
    capabilities: [TAGS[i % 50], TAGS[(i * 7 + 3) % 50], TAGS[(i * 13 + 5) % 50]].sort(),
    sources: ["gossip" as const],
    lastSeenMs: 1_700_000_000_000 + i,
    healthy: i % 10 !== 0,
    swarm: true,
    load: i % 4,
  }));
}

/** Milliseconds per call of `fn`, from as many calls as fit in `budgetMs` (at least 3). */
function timePerCall(fn: () => unknown, budgetMs: number): number {
  let calls = 0;
  const started = performance.now();
  do {
    fn();
    calls++;
  } while (performance.now() - started < budgetMs || calls < 3);
  return (performance.now() - started) / calls;
}

/**
 * Writes `peers` peers (source `gossip`, unreachable loopback address) and `records`
 * finished task records into the node store of `dataDir`, through the node's own
 * store classes.
 */
export async function fillStore(dataDir: string, peers: number, records: number): Promise<void> {
  const kv = await Deno.openKv(`${dataDir}/${KV_FILE}`);
  try {
    const table = new KvPeerTable(kv);
    const rows = syntheticPeers(peers);
    for (let i = 0; i < rows.length; i += 200) {
      await Promise.all(
        rows.slice(i, i + 200).map((p) =>
          table.report({
            id: p.id,
            // Port 1 on loopback: nothing listens, a probe is refused at once.
            address: "127.0.0.1:1",
            scheme: "http",
            capabilities: p.capabilities,
            source: "gossip",
            swarm: true,
          })
        ),
      );
    }
    const store = new KvTaskStore(kv, { processStartedMs: 1 });
    for (let i = 0; i < records; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, records - i) }, async (_, j) => {
        const id = `bench-task-${i + j}`;
        const task = {
          id,
          description: "bench no-op task",
          context: { workspace: ".", session_key: "default", required_capabilities: ["noop"] },
        };
        await store.begin(task, await taskFingerprint(task));
        await store.finish(id, {
          task_id: id,
          response: "ok",
          task_completed: true,
          tool_calls: 0,
        });
      }));
    }
  } finally {
    kv.close();
  }
}

/** Runs scenario 5. */
export async function tableScaleScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = tableScalePlan(ctx.quick);
  const rows: Row[] = [];

  ctx.log("table-scale: pure routing decisions");
  for (const n of DECISION_SIZES) {
    const peers = syntheticPeers(n);
    const forward = { required: ["tag-7"], localCapabilities: ["noop"], peers, selfId: "me" };
    const none = { ...forward, required: ["absent"] };
    const untagged = { ...forward, required: [], localCapabilities: [] };
    const runs = { forward: [] as number[], none: [] as number[], untagged: [] as number[] };
    for (let r = 0; r < plan.runs; r++) {
      runs.forward.push(timePerCall(() => decideRoute(forward), plan.decisionMs));
      runs.none.push(timePerCall(() => decideRoute(none), plan.decisionMs));
      runs.untagged.push(timePerCall(() => decideRoute(untagged), plan.decisionMs));
    }
    rows.push({
      id: `decide-${n}`,
      label: `decideRoute with ${n} peers`,
      figures: {
        forward: figure(runs.forward, "ms"),
        broadcast: figure(runs.none, "ms"),
        fallback: figure(runs.untagged, "ms"),
      },
    });
  }

  const evidence = ctx.profile ? [await decisionProfile(ctx)] : [];

  ctx.log("table-scale: the table read from Deno KV, /status and a task on a node");
  for (const n of plan.nodeSizes) {
    const dataDir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: `data-peers${n}-` });
    await fillStore(dataDir, n, 0);
    const listRuns: number[] = [];
    const kv = await Deno.openKv(`${dataDir}/${KV_FILE}`);
    try {
      const table = new KvPeerTable(kv);
      for (let r = 0; r < plan.runs; r++) {
        const t = performance.now();
        await table.list();
        listRuns.push(performance.now() - t);
      }
    } finally {
      kv.close();
    }
    let node: BenchNode | undefined;
    try {
      node = await startBenchNode({
        tmp: ctx.tmp,
        token: TOKEN,
        dataDir,
        args: await noopNodeArgs(ctx.tmp),
      });
      await sleep(ctx.quick ? 300 : 1_000);
      const status: number[] = [];
      const task: number[] = [];
      let bytes = 0;
      for (let r = 0; r < plan.runs; r++) {
        const s: number[] = [];
        const k: number[] = [];
        for (let i = 0; i < plan.requests; i++) {
          const t = performance.now();
          const res = await fetch(`${node.url}/status`, {
            headers: node.headers,
            signal: AbortSignal.timeout(30_000),
          });
          const body = await res.text();
          s.push(performance.now() - t);
          if (res.status !== 200) throw new Error(`/status answered ${res.status}`);
          bytes = body.length;
          k.push(await sendTask(node.url, taskBody({ id: crypto.randomUUID() }), TOKEN));
        }
        status.push(percentile(s, 50));
        task.push(percentile(k, 50));
      }
      rows.push({
        id: `node-peers-${n}`,
        label: `node with ${n} peers in its table (/status ${(bytes / 1024).toFixed(0)} KiB)`,
        figures: {
          kvList: figure(listRuns, "ms"),
          status: figure(status, "ms"),
          task: figure(task, "ms"),
        },
      });
    } finally {
      await node?.stop();
    }
  }

  ctx.log(`table-scale: start with ${plan.loadPeers} peers and ${plan.loadRecords} task records`);
  const loaded = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "data-loaded-" });
  const fillStarted = performance.now();
  await fillStore(loaded, plan.loadPeers, plan.loadRecords);
  const fillMs = performance.now() - fillStarted;
  const empty = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "data-empty-" });
  const starts: Record<string, number[]> = { empty: [], loaded: [] };
  const args = await noopNodeArgs(ctx.tmp);
  for (let r = 0; r < plan.startRuns; r++) {
    for (const [name, dataDir] of [["empty", empty], ["loaded", loaded]] as const) {
      const node = await startBenchNode({ tmp: ctx.tmp, token: TOKEN, dataDir, args });
      starts[name].push(node.spawnToReadyMs);
      await node.stop();
    }
  }
  const size = (await Deno.stat(`${loaded}/${KV_FILE}`)).size;
  rows.push({
    id: "start-empty-store",
    label: "spawn → /readyz 200, empty store",
    figures: { time: figure(starts.empty, "ms") },
  });
  rows.push({
    id: "start-loaded-store",
    label:
      `spawn → /readyz 200, store with ${plan.loadPeers} peers and ${plan.loadRecords} task records (${
        (size / 2 ** 20).toFixed(0)
      } MiB)`,
    figures: { time: figure(starts.loaded, "ms") },
  });
  return {
    number: 5,
    id: "table-scale",
    title: "Scale of the table",
    reference: "the same node with an empty table; the 1 ms decision budget",
    rows,
    method: [
      `decideRoute: synthetic peers with 3 of 50 tags each; \`forward\` = a required tag held by ~6 % of peers, \`broadcast\` = a tag nobody holds, \`fallback\` = an untagged task at a node with no capability; calls repeated for ${plan.decisionMs} ms per run, ${plan.runs} runs`,
      "kvList: KvPeerTable.list() on the node's store file, in the harness (what a node reads for every task and every 100 ms health tick)",
      `node rows: peers injected with source \`gossip\` at 127.0.0.1:1 (refused at once, so they turn dead and are probed every 2 s); ${plan.requests} /status requests and ${plan.requests} local no-op tasks per run, p50 per run, ${plan.runs} runs`,
      `load: peers and finished task records written with KvPeerTable and KvTaskStore (took ${
        (fillMs / 1000).toFixed(1)
      } s); ${plan.startRuns} starts of each store, alternating`,
    ],
    evidence,
    durationMs: performance.now() - started,
  };
}

/**
 * A CPU profile (this process's own inspector) of decideRoute with 10 000 peers, all
 * three kinds of decision in turn, for about a second.
 */
async function decisionProfile(ctx: BenchContext): Promise<Evidence> {
  const peers = syntheticPeers(10_000);
  const base = { localCapabilities: ["noop"], peers, selfId: "me" };
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
    const end = performance.now() + (ctx.quick ? 200 : 1_000);
    while (performance.now() < end) {
      decideRoute({ ...base, required: ["tag-7"] });
      decideRoute({ ...base, required: ["absent"] });
      decideRoute({ ...base, required: [], localCapabilities: [] });
    }
    const { profile } = await session.post("Profiler.stop") as { profile: CpuProfile };
    const dir = await Deno.makeTempDir({ dir: ctx.artefacts, prefix: "decide-profile-" });
    return await profileEvidence(
      "CPU profile of decideRoute with 10 000 peers (forward, broadcast and fallback in turn)",
      { "harness (decideRoute only)": profile },
      dir,
      new URL("../../", import.meta.url).href,
      10,
    );
  } finally {
    session.disconnect();
  }
}
