/**
 * Scenario 2, forwarding: p50/p99 of a task answered by node E directly (local), through
 * one forwarding node (R2 → E), through two (R1 → R2 → E), and through nginx
 * `proxy_pass` in front of E — what an operator would otherwise put in the path.
 *
 * How the task crosses two swarm hops: it comes untagged ("1+1等于几？"). E holds `calc`
 * (a reference skill; its no-op agent runs the task), R2 holds only `relay` and knows
 * E, R1 holds nothing and knows R2. R1 infers nothing among the tags it knows
 * (`relay`) and, having no capability, forwards along its fallback chain to R2; R2
 * infers `calc` (its peer E advertises it) and forwards to E. Every path runs the same
 * inference at its first swarm node.
 *
 * @module
 */
import { cpuDelta, cpuPerTaskLines, cpuSnapshot } from "./_cpu.ts";
import { NOOP_COMMAND, referenceSkillsDir, sendTask, taskBody, taskHeaders } from "./_fixtures.ts";
import { interleavedWrkRows, type RunPlan, type WrkPath } from "./_measure.ts";
import type { WrkRun } from "./_wrk.ts";
import { profileUnderLoad } from "./_profile_node.ts";
import { KvTaskStore } from "../../lib/store/task_store.ts";
import { taskFingerprint } from "../../lib/store/task_fingerprint.ts";
import { KV_FILE } from "../../lib/store/open_store.ts";
import { percentile } from "./_stats.ts";
import { type Nginx, startNginx } from "./_nginx.ts";
import { type BenchNode, startBenchNode, stopNodes } from "./_node.ts";
import type { ToolState } from "./_tools.ts";
import type { BenchContext, Evidence, Row, ScenarioResult } from "./_types.ts";

const TOKEN = "bench-token";
const DESCRIPTION = "1+1等于几？ (bench)";

/** Run lengths of this scenario. */
export function forwardingPlan(quick: boolean): RunPlan {
  return quick ? { runs: 2, durationS: 1, warmupS: 0 } : { runs: 5, durationS: 3, warmupS: 1 };
}

/** Runs scenario 2. */
export async function forwardingScenario(
  ctx: BenchContext,
  tools: Map<string, ToolState>,
): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = forwardingPlan(ctx.quick);
  const wrk = tools.get("wrk");
  const nginxTool = tools.get("nginx");
  const rows: Row[] = [];
  const evidence: Evidence[] = [];
  const body = taskBody({ required: [], description: DESCRIPTION });
  const headers = taskHeaders(TOKEN);
  let e: BenchNode | undefined, r2: BenchNode | undefined, r1: BenchNode | undefined;
  let nginx: Nginx | undefined;
  try {
    e = await startBenchNode({
      tmp: ctx.tmp,
      token: TOKEN,
      args: [
        "--skills-dir",
        await referenceSkillsDir(ctx.tmp, "bench-calc", ["calc"]),
        "--executor-cmd",
        NOOP_COMMAND,
      ],
    });
    r2 = await startBenchNode({
      tmp: ctx.tmp,
      token: TOKEN,
      args: [
        "--skills-dir",
        await referenceSkillsDir(ctx.tmp, "bench-relay", ["relay"]),
        "--peer",
        `127.0.0.1:${e.port}`,
      ],
    });
    const empty = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "skills-none-" });
    r1 = await startBenchNode({
      tmp: ctx.tmp,
      token: TOKEN,
      args: ["--skills-dir", empty, "--peer", `127.0.0.1:${r2.port}`],
    });
    const probeId = crypto.randomUUID();
    await sendTask(
      r1.url,
      taskBody({ id: probeId, required: [], description: DESCRIPTION }),
      TOKEN,
    );
    const hops = await routeOf(probeId, [["R1", r1], ["R2", r2], ["E", e]]);
    if (hops !== "R1 forward, R2 forward, E local") {
      throw new Error(
        `The two-hop task was routed: ${hops}; expected R1 forward, R2 forward, E local`,
      );
    }

    let nginxRow: Row | undefined;
    if (nginxTool && "path" in nginxTool) {
      try {
        nginx = await startNginx(nginxTool.path, ctx.tmp, e.port, e.headers);
      } catch (err) {
        nginxRow = {
          id: "nginx",
          label: "nginx proxy_pass → E",
          figures: {},
          na: `nginx did not start: ${(err as Error).message.split("\n")[0]}`,
          failed: true,
        };
      }
    } else {
      nginxRow = {
        id: "nginx",
        label: "nginx proxy_pass → E",
        figures: {},
        na: nginxTool && "missing" in nginxTool ? nginxTool.missing : "nginx was not looked for",
      };
    }

    ctx.log("forwarding: local, one hop, two hops and nginx, runs interleaved");
    let forwarded = 0;
    const count = (run: WrkRun) => forwarded += run.requests;
    const before = await cpuSnapshot(r2.pid);
    const paths: WrkPath[] = [
      { id: "local", label: "local: task sent to E, which runs it", url: `${e.url}/task` },
      { id: "one-hop", label: "one hop: R2 forwards to E", url: `${r2.url}/task`, onRun: count },
      { id: "two-hops", label: "two hops: R1 → R2 → E", url: `${r1.url}/task`, onRun: count },
      ...(nginx
        ? [{ id: "nginx", label: "nginx proxy_pass (keep-alive) → E", url: `${nginx.url}/task` }]
        : []),
    ];
    rows.push(
      ...await interleavedWrkRows(paths, {
        tool: wrk,
        plan,
        connections: 1,
        method: "POST",
        body,
        headers,
        tmp: ctx.tmp,
      }),
    );
    if (nginxRow) rows.push(nginxRow);
    if (ctx.profile && wrk && "path" in wrk) {
      ctx.log("forwarding: CPU profile of a forwarding node");
      evidence.push(
        await profileUnderLoad(ctx, {
          title: "CPU profiles of a forwarding node (like R2, in front of E) under wrk, 1 conn",
          name: "forwarding",
          wrk: wrk.path,
          args: [
            "--skills-dir",
            await referenceSkillsDir(ctx.tmp, "bench-relay", ["relay"]),
            "--peer",
            `127.0.0.1:${e.port}`,
          ],
          token: TOKEN,
          warmupBody: taskBody({ id: crypto.randomUUID(), required: [], description: DESCRIPTION }),
          body,
          headers,
          connections: 1,
          durationS: plan.durationS,
        }),
      );
    }
    evidence.push(await kvRecordCost(ctx));
    if (forwarded > 0) {
      evidence.push({
        title:
          "CPU of the forwarding node R2 per task it forwarded (one-hop and two-hop runs), by thread (from /proc)",
        lines: cpuPerTaskLines(cpuDelta(before, await cpuSnapshot(r2.pid)), forwarded),
      });
    }
  } finally {
    await nginx?.stop();
    await stopNodes([r1, r2, e]);
  }
  return {
    number: 2,
    id: "forwarding",
    title: "Forwarding",
    reference: "the local task, and nginx proxy_pass in front of the same node",
    rows,
    method: [
      `wrk, 1 connection (sequential tasks), ${plan.runs} runs of ${plan.durationS} s per figure after a ${plan.warmupS} s warm-up; runs interleaved across the paths (run 1 of each, then run 2, …); every task has a fresh id`,
      `the same untagged task everywhere ("${DESCRIPTION}"): each path infers \`calc\` offline at its first swarm node`,
      "E: reference skill `calc` + the no-op `--executor-cmd`; R2: reference skill `relay`, `--peer E`; R1: no skill, `--peer R2`; all on 127.0.0.1 with a bearer token",
      "nginx: generated config, one process, `proxy_pass` to E with `keepalive 64`, HTTP/1.1 upstream",
    ],
    evidence,
    durationMs: performance.now() - started,
  };
}

/**
 * How each node routed task `id`, from its `task_routed` log line: e.g.
 * `R1 forward, R2 forward, E local`.
 */
async function routeOf(id: string, nodes: Array<[string, BenchNode]>): Promise<string> {
  const parts: string[] = [];
  for (const [name, node] of nodes) {
    const line = (await Deno.readTextFile(node.logFile)).split("\n")
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .find((l) => l?.message === "task_routed" && l.taskId === id);
    parts.push(`${name} ${line?.route ?? "no task_routed line"}`);
  }
  return parts.join(", ");
}

/**
 * What the durable task records cost on this machine's disk, per task, as a node
 * writes them when it forwards: `begin`, `setOwner` and `finish` of KvTaskStore on a
 * file store in the run's temp dir, one task after another.
 */
async function kvRecordCost(ctx: BenchContext): Promise<Evidence> {
  const dir = await Deno.makeTempDir({ dir: ctx.tmp, prefix: "kv-cost-" });
  const kv = await Deno.openKv(`${dir}/${KV_FILE}`);
  const times = { begin: [] as number[], setOwner: [] as number[], finish: [] as number[] };
  try {
    const store = new KvTaskStore(kv, { processStartedMs: Date.now() });
    for (let i = 0; i < (ctx.quick ? 30 : 300); i++) {
      const task = JSON.parse(taskBody({ id: `kv-cost-${i}` }));
      const fingerprint = await taskFingerprint(task);
      let t = performance.now();
      await store.begin(task, fingerprint);
      times.begin.push(performance.now() - t);
      t = performance.now();
      await store.setOwner(task.id, "peer");
      times.setOwner.push(performance.now() - t);
      t = performance.now();
      await store.finish(task.id, {
        task_id: task.id,
        response: "ok",
        task_completed: true,
        tool_calls: 0,
      });
      times.finish.push(performance.now() - t);
    }
  } finally {
    kv.close();
  }
  const p50 = (xs: number[]) => percentile(xs, 50);
  const total = p50(times.begin) + p50(times.setOwner) + p50(times.finish);
  return {
    title: "Durable task records a forwarding node writes per task (KvTaskStore on a file store)",
    lines: [
      ...Object.entries(times).map(([op, xs]) =>
        `${op}: p50 ${p50(xs).toFixed(2)} ms, p99 ${percentile(xs, 99).toFixed(2)} ms`
      ),
      `sum of the p50s: ${
        total.toFixed(2)
      } ms per forwarded task (${times.begin.length} tasks, one after another)`,
    ],
  };
}
