/**
 * Scenario 7, skill sync: on the namespace test bed (nodes finding each other over real
 * mDNS), the time from a node accepting a published release to the last node of the
 * mesh having installed it, against the time the same mesh takes to make a new node
 * routable (the discovery floor any spreading protocol on this LAN sits on).
 *
 * @module
 */
import { join } from "node:path";
import { runSwarmOk } from "../e2e/_node.ts";
import { type BedNode, createTestbed, testbedUnavailable } from "../e2e/_testbed.ts";
import { sleep } from "./_proc.ts";
import { figure } from "./_stats.ts";
import type { BenchContext, Row, ScenarioResult } from "./_types.ts";

const TOKEN = "bench-sync-token";
const auth = { authorization: `Bearer ${TOKEN}` };
const NAME = "bench-sync";

/** Node and run counts of this scenario. */
export function skillSyncPlan(quick: boolean) {
  return quick ? { nodes: 4, runs: 2 } : { nodes: 10, runs: 5 };
}

async function installedVersion(node: BedNode): Promise<string | undefined> {
  const res = await fetch(`${node.url}/sync/skills`, {
    headers: auth,
    signal: AbortSignal.timeout(5_000),
  });
  const view = await res.json();
  return view.skills?.find((s: { name: string }) => s.name === NAME)?.installed?.version;
}

/** Polls every node every 10 ms until all run `version`; resolves with the time. */
async function untilEvery(nodes: BedNode[], version: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(nodes);
  while (pending.size > 0) {
    if (performance.now() > deadline) {
      throw new Error(`Release ${version} not on every node within ${timeoutMs} ms`);
    }
    await Promise.all([...pending].map(async (n) => {
      if (await installedVersion(n).catch(() => undefined) === version) pending.delete(n);
    }));
    if (pending.size > 0) await sleep(10);
  }
  return performance.now();
}

async function writeSkill(dir: string, version: string): Promise<string> {
  const skill = join(dir, `skill-${version}`);
  await Deno.mkdir(join(skill, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(skill, "SKILL.md"),
    `---\nname: ${NAME}\ndescription: bench\nmetadata:\n  version: "${version}"\n---\n`,
  );
  await Deno.writeTextFile(join(skill, "scripts", "main.py"), `print("{}")\n`);
  return skill;
}

/** Runs scenario 7. */
export async function skillSyncScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = skillSyncPlan(ctx.quick);
  const base = {
    number: 7,
    id: "skill-sync",
    title: "Skill sync",
    reference: "the same mesh's start → routable time (mDNS discovery and membership proof)",
    method: [
      `test bed: ${plan.nodes} network namespaces on one bridge; nodes started through the installed launcher with --accept-skills, a shared token and the default sync flags (fanout 3, a round every 2 s); every node trusts one publisher key (swarm trust add)`,
      `publish: \`swarm skill publish\` of a new version to node 1, ${plan.runs} times; from the command's return (the node accepted the release) until /sync/skills of every node shows it installed, polling every 10 ms`,
      "routable: from the last node's swarm_started until every node lists all others as proven members",
    ],
    evidence: [],
  };
  const unavailable = await testbedUnavailable();
  if (unavailable) {
    return { ...base, rows: [], na: unavailable, durationMs: performance.now() - started };
  }
  const rows: Row[] = [];
  const dir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "skill-sync-" });
  const key = join(dir, "bench.key");
  await runSwarmOk(["key", "gen", "--out", key]);
  const dataDirs = Array.from({ length: plan.nodes }, (_, i) => join(dir, `data-${i}`));
  for (const dataDir of dataDirs) {
    await runSwarmOk(["trust", "add", `${key}.pub`, "--name", "bench", "--data-dir", dataDir]);
  }
  const empty = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "skills-sync-" });
  const bed = await createTestbed({ nodes: plan.nodes });
  try {
    const env = { SKILLLITE_SWARM_TOKEN: TOKEN };
    const args = ["--accept-skills", "--skills-dir", empty];
    const nodes: BedNode[] = [];
    for (let i = 0; i < plan.nodes; i += 5) {
      const batch = dataDirs.slice(i, i + 5).map((dataDir, k) =>
        bed.startNode(bed.hosts[i + k], { env, args, dataDir, startTimeoutMs: 60_000 })
      );
      nodes.push(...await Promise.all(batch));
    }
    const lastStarted = performance.now();
    const proven = async (n: BedNode) => {
      const status = await (await fetch(`${n.url}/status`, { headers: auth })).json();
      return status.peers.filter((p: { trust: string; state?: string }) =>
        p.trust !== "unproven" && p.state !== "dead"
      ).length >= plan.nodes - 1;
    };
    const deadline = performance.now() + 60_000;
    while (!(await Promise.all(nodes.map((n) => proven(n).catch(() => false)))).every(Boolean)) {
      if (performance.now() > deadline) throw new Error("The mesh did not form within 60 s");
      await sleep(20);
    }
    rows.push({
      id: "mesh-formed",
      label: `${plan.nodes} nodes: last start → every node lists all others as proven members`,
      figures: { time: figure([performance.now() - lastStarted], "ms") },
    });

    ctx.log("skill-sync: publish → installed on every node");
    const spread: number[] = [];
    for (let i = 0; i < plan.runs; i++) {
      const version = `1.${i}.0`;
      const skill = await writeSkill(dir, version);
      await runSwarmOk(["skill", "publish", skill, "--key", key, "--url", nodes[0].url], env);
      const accepted = performance.now();
      spread.push(await untilEvery(nodes, version, 30_000) - accepted);
    }
    rows.push({
      id: "publish-all",
      label: `release accepted by node 1 → installed on all ${plan.nodes} nodes`,
      figures: { time: figure(spread, "ms") },
    });
  } finally {
    await bed.remove();
  }
  return { ...base, rows, durationMs: performance.now() - started };
}
