/**
 * Scenario 1, node overhead: throughput and p50/p99 of a no-op task through a node's
 * full path (auth, validation, idempotency record in Deno KV, routing, execution,
 * result) at 1, 16 and 64 connections, against a raw `Deno.serve` JSON echo on the
 * same loopback. Every local execution is a child process, so the floor of that (the
 * executor alone, a bare spawn) is measured too, with the node's CPU per task by
 * thread and, when profiling, V8 profiles of both isolates.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { CommandExecutor } from "../../lib/execution/command_executor.ts";
import { cpuDelta, cpuPerTaskLines, cpuSnapshot } from "./_cpu.ts";
import { NOOP_COMMAND, noopNodeArgs, sendTask, taskBody, taskHeaders } from "./_fixtures.ts";
import { loopRow, type RunPlan, wrkRow } from "./_measure.ts";
import { type BenchNode, startBenchNode } from "./_node.ts";
import { freePort, track, waitForStatus } from "./_proc.ts";
import { profileUnderLoad } from "./_profile_node.ts";
import type { ToolState } from "./_tools.ts";
import type { BenchContext, Evidence, Row, ScenarioResult } from "./_types.ts";

const TOKEN = "bench-token";
const CONNECTIONS = [1, 16, 64];

/** Run lengths of this scenario's wrk runs. */
export function overheadPlan(quick: boolean): RunPlan {
  return quick ? { runs: 2, durationS: 1, warmupS: 0 } : { runs: 3, durationS: 4, warmupS: 1 };
}

/** Starts the raw echo server in its own deno process; resolves with its URL and a stop. */
async function startEchoServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort();
  const child = track(
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--allow-net=127.0.0.1",
        fromFileUrl(new URL("./_echo_server.ts", import.meta.url)),
        String(port),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(url, { timeoutMs: 30_000, intervalMs: 20 });
  return {
    url,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/**
 * Spawns the no-op child the way lib/execution/run_process.ts does: a new session
 * (`detached: true`), the task written to stdin, stdout and stderr read.
 */
async function spawnLikeRunProcess(): Promise<void> {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", NOOP_COMMAND],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("{}")).catch(() => {});
  await writer.close().catch(() => {});
  await child.output();
}

/** Runs scenario 1. */
export async function overheadScenario(
  ctx: BenchContext,
  tools: Map<string, ToolState>,
): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = overheadPlan(ctx.quick);
  const wrk = tools.get("wrk");
  const rows: Row[] = [];
  const evidence: Evidence[] = [];
  const headers = taskHeaders(TOKEN);
  const body = taskBody();

  ctx.log("overhead: raw Deno.serve echo");
  const echo = await startEchoServer();
  try {
    for (const c of CONNECTIONS) {
      rows.push(
        await wrkRow({
          id: `echo-c${c}`,
          label: `raw Deno.serve JSON echo, ${c} conn`,
          tool: wrk,
          plan,
          url: `${echo.url}/task`,
          connections: c,
          method: "POST",
          body,
          headers,
          tmp: ctx.tmp,
        }),
      );
    }
  } finally {
    await echo.stop();
  }

  ctx.log("overhead: no-op task through a node");
  let node: BenchNode | undefined;
  try {
    node = await startBenchNode({ tmp: ctx.tmp, token: TOKEN, args: await noopNodeArgs(ctx.tmp) });
    await sendTask(node.url, taskBody({ id: crypto.randomUUID() }), TOKEN);
    for (const c of CONNECTIONS) {
      let tasks = 0;
      const before = c === 16 ? await cpuSnapshot(node.pid) : undefined;
      rows.push(
        await wrkRow({
          id: `node-noop-c${c}`,
          label: `swarm node, no-op task (full path), ${c} conn`,
          tool: wrk,
          plan: { ...plan, warmupS: 0 },
          url: `${node.url}/task`,
          connections: c,
          method: "POST",
          body,
          headers,
          tmp: ctx.tmp,
          onRun: (run) => tasks += run.requests,
        }),
      );
      if (before && tasks > 0) {
        evidence.push({
          title: "Node CPU per no-op task at 16 connections, by thread (from /proc)",
          lines: cpuPerTaskLines(cpuDelta(before, await cpuSnapshot(node.pid)), tasks),
        });
      }
    }
    rows.push(
      await wrkRow({
        id: "node-healthz-c16",
        label: "swarm node, GET /healthz (HTTP stack and worker only), 16 conn",
        tool: wrk,
        plan: { ...plan, warmupS: 0 },
        url: `${node.url}/healthz`,
        connections: 16,
        headers: { authorization: `Bearer ${TOKEN}` },
        tmp: ctx.tmp,
      }),
    );
    const duplicate = taskBody({ id: crypto.randomUUID() });
    await sendTask(node.url, duplicate, TOKEN);
    rows.push(
      await wrkRow({
        id: "node-dedupe-c16",
        label: "swarm node, duplicate task id (answered from its KV record, no run), 16 conn",
        tool: wrk,
        plan: { ...plan, warmupS: 0 },
        url: `${node.url}/task`,
        connections: 16,
        method: "POST",
        body: duplicate,
        headers,
        tmp: ctx.tmp,
      }),
    );
  } catch (err) {
    rows.push({
      id: "node-noop-c16",
      label: "swarm node",
      figures: {},
      na: `the node failed: ${String(err).split("\n")[0]}`,
      failed: true,
    });
  } finally {
    await node?.stop();
  }

  ctx.log("overhead: the executor and a bare spawn, in-process");
  const executor = new CommandExecutor({
    command: NOOP_COMMAND,
    workRoot: `${ctx.tmp}/exec-work`,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  });
  const task = JSON.parse(taskBody({ id: "in-process" }));
  const loopPlan = {
    ...plan,
    durationS: Math.min(plan.durationS, 2),
    warmupS: plan.warmupS ? 0.5 : 0,
  };
  for (const c of [1, 4]) {
    rows.push(
      await loopRow(
        `executor-c${c}`,
        `CommandExecutor alone (work dir + /bin/sh), ${c} at once`,
        () => executor.execute(task, { capabilities: [] }),
        { concurrency: c, plan: loopPlan },
      ),
    );
    rows.push(
      await loopRow(
        `spawn-c${c}`,
        `bare Deno.Command spawn of the same /bin/sh -c echo, ${c} at once`,
        () =>
          new Deno.Command("/bin/sh", {
            args: ["-c", NOOP_COMMAND],
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).output(),
        { concurrency: c, plan: loopPlan },
      ),
    );
    rows.push(
      await loopRow(
        `spawn-detached-c${c}`,
        `the same spawn with \`detached: true\` and stdin written, as runProcess spawns, ${c} at once`,
        () => spawnLikeRunProcess(),
        { concurrency: c, plan: loopPlan },
      ),
    );
  }

  if (ctx.profile && wrk && "path" in wrk) {
    ctx.log("overhead: CPU profile of a node under 16 connections");
    evidence.push(
      await profileUnderLoad(ctx, {
        title: `CPU profiles of a node's isolates under wrk, 16 conn, ${plan.durationS} s`,
        name: "overhead",
        wrk: wrk.path,
        args: await noopNodeArgs(ctx.tmp),
        token: TOKEN,
        warmupBody: taskBody({ id: crypto.randomUUID() }),
        body,
        headers,
        connections: 16,
        durationS: plan.durationS,
      }),
    );
  }

  return {
    number: 1,
    id: "overhead",
    title: "Node overhead",
    reference: "raw Deno.serve JSON echo (one Deno HTTP hop)",
    rows,
    method: [
      `wrk, ${plan.runs} runs of ${plan.durationS} s per figure (after a ${plan.warmupS} s warm-up for the echo), 1 thread for 1 connection else 2; every task has a fresh id`,
      `node: installed launcher, bearer token, \`--executor-cmd "${NOOP_COMMAND}"\` (one /bin/sh per task: swarm runs every local task as a child process) and a reference-only skill giving it the tag, \`--max-queued-tasks 256\`, default \`--max-concurrent-tasks 4\`, log level info (to a file)`,
      "echo: `Deno.serve` parsing the same task JSON and answering it, in its own deno process",
      "executor and spawn rows: measured inside the harness process (no HTTP), closed loops",
    ],
    evidence,
    durationMs: performance.now() - started,
  };
}
