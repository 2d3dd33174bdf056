/**
 * Scenario 4, start and size: spawn → `/readyz` 200, warm (Deno's module cache filled)
 * and cold (an empty DENO_DIR: every module transpiled again); idle RSS; RSS after
 * 1 000 and 10 000 tasks (it must not grow without bound). Beside them, the runtime's
 * floor: a Deno process with one isolate serving HTTP, and one shaped like a node (a
 * permission-scoped worker serving HTTP with Deno KV open).
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { NOOP_COMMAND, noopNodeArgs, taskBody } from "./_fixtures.ts";
import { type BenchNode, startBenchNode } from "./_node.ts";
import { freePort, processMemory, runBounded, sleep, track, waitForStatus } from "./_proc.ts";
import { type CpuProfile, profileEvidence } from "./_profile.ts";
import { heapGrowth, type HeapSummary, retainerPaths, summariseHeapSnapshot } from "./_heap.ts";
import { Inspector } from "./_inspector.ts";
import { figure } from "./_stats.ts";
import type { BenchContext, Evidence, Row, ScenarioResult } from "./_types.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const ROOT_URL = new URL("../../", import.meta.url).href;
const TOKEN = "bench-token";
const MiB = 1024;

/** Sizes and counts of this scenario. */
export function startSizePlan(quick: boolean) {
  return quick
    ? {
      warmRuns: 2,
      coldRuns: 2,
      settleMs: 500,
      tasks: [100, 500],
      heapTasks: [100, 400],
      concurrency: 8,
    }
    : {
      warmRuns: 5,
      coldRuns: 3,
      settleMs: 2_000,
      tasks: [1_000, 10_000],
      heapTasks: [1_000, 4_000],
      concurrency: 8,
    };
}

/** A fresh DENO_DIR sharing only the npm package cache of this one (nothing is downloaded). */
async function coldDenoDir(tmp: string): Promise<string> {
  const info = await runBounded([Deno.execPath(), "info", "--json"], { timeoutMs: 30_000 });
  const npmCache = JSON.parse(info.stdout).npmCache as string;
  const dir = await Deno.makeTempDir({ dir: tmp, prefix: "denodir-cold-" });
  await Deno.symlink(npmCache, `${dir}/npm`);
  return dir;
}

/** Three memory samples 200 ms apart, as figures in MiB. */
async function memoryFigures(pid: number) {
  const samples = [];
  for (let i = 0; i < 3; i++) {
    samples.push(await processMemory(pid));
    if (i < 2) await sleep(200);
  }
  return {
    rss: figure(samples.map((s) => s.rssKiB / MiB), "MiB"),
    anon: figure(samples.map((s) => s.anonKiB / MiB), "MiB"),
    file: figure(samples.map((s) => s.fileKiB / MiB), "MiB"),
  };
}

/** Sends `count` tasks from `concurrency` loops; throws on the first failure. */
async function sendTasks(url: string, count: number, concurrency: number): Promise<void> {
  let sent = 0;
  const headers = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < count) {
      sent++;
      const res = await fetch(`${url}/task`, {
        method: "POST",
        headers,
        body: taskBody({ id: crypto.randomUUID() }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`Task answered ${res.status}: ${text.slice(0, 200)}`);
    }
  }));
}

/** Starts a floor process; resolves with its spawn → 200 time and idle memory. */
async function floor(tmp: string, settleMs: number, worker: boolean) {
  const port = freePort();
  const dir = await Deno.makeTempDir({ dir: tmp, prefix: "floor-" });
  const spawned = performance.now();
  const child = track(
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "-A",
        "--unstable-kv",
        "--unstable-worker-options",
        "--unstable-net",
        fromFileUrl(new URL("./_floor_server.ts", import.meta.url)),
        String(port),
        ...(worker ? ["--worker", dir] : []),
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
  try {
    const ready = await waitForStatus(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 30_000 });
    await sleep(settleMs);
    return { readyMs: ready - spawned, memory: await processMemory(child.pid) };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* it exited */ }
    await child.status;
  }
}

/** Runs scenario 4. */
export async function startSizeScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  const plan = startSizePlan(ctx.quick);
  const rows: Row[] = [];
  const evidence: Evidence[] = [];
  const args = await noopNodeArgs(ctx.tmp);

  ctx.log("start-size: warm starts and idle memory");
  // One unmeasured start fills the module cache and the page cache.
  await (await startBenchNode({ tmp: ctx.tmp, token: TOKEN, args })).stop();
  const warm: number[] = [];
  const idle: Array<{ rss: number; anon: number; file: number }> = [];
  for (let i = 0; i < plan.warmRuns; i++) {
    const node = await startBenchNode({ tmp: ctx.tmp, token: TOKEN, args });
    try {
      warm.push(node.spawnToReadyMs);
      await sleep(plan.settleMs);
      const m = await node.memory();
      idle.push({ rss: m.rssKiB / MiB, anon: m.anonKiB / MiB, file: m.fileKiB / MiB });
    } finally {
      await node.stop();
    }
  }
  rows.push({
    id: "start-warm",
    label: "spawn → /readyz 200, warm module cache",
    figures: { time: figure(warm, "ms") },
  });

  ctx.log("start-size: cold starts (empty DENO_DIR)");
  const cold: number[] = [];
  for (let i = 0; i < plan.coldRuns; i++) {
    const node = await startBenchNode({
      tmp: ctx.tmp,
      token: TOKEN,
      args,
      denoDir: await coldDenoDir(ctx.tmp),
    });
    cold.push(node.spawnToReadyMs);
    await node.stop();
  }
  rows.push({
    id: "start-cold",
    label: "spawn → /readyz 200, cold (empty DENO_DIR, npm cache kept)",
    figures: { time: figure(cold, "ms") },
  });
  rows.push({
    id: "idle-rss",
    label: `idle node, ${plan.settleMs} ms after ready (one sample per warm start)`,
    figures: {
      rss: figure(idle.map((m) => m.rss), "MiB"),
      anon: figure(idle.map((m) => m.anon), "MiB"),
      file: figure(idle.map((m) => m.file), "MiB"),
    },
  });

  ctx.log("start-size: the runtime's floor");
  for (const worker of [false, true]) {
    const runs = [];
    for (let i = 0; i < Math.max(2, Math.ceil(plan.warmRuns / 2)); i++) {
      runs.push(await floor(ctx.tmp, plan.settleMs, worker));
    }
    rows.push({
      id: worker ? "floor-worker" : "floor-isolate",
      label: worker
        ? "floor: deno, main + permission-scoped worker serving HTTP with Deno KV open"
        : "floor: deno, one isolate serving HTTP",
      figures: {
        time: figure(runs.map((r) => r.readyMs), "ms"),
        rss: figure(runs.map((r) => r.memory.rssKiB / MiB), "MiB"),
        anon: figure(runs.map((r) => r.memory.anonKiB / MiB), "MiB"),
        file: figure(runs.map((r) => r.memory.fileKiB / MiB), "MiB"),
      },
    });
  }

  ctx.log(`start-size: RSS after ${plan.tasks.join(" and ")} tasks`);
  let node: BenchNode | undefined;
  try {
    node = await startBenchNode({ tmp: ctx.tmp, token: TOKEN, args });
    let done = 0;
    for (const count of plan.tasks) {
      await sendTasks(node.url, count - done, plan.concurrency);
      done = count;
      await sleep(plan.settleMs);
      rows.push({
        id: `rss-after-${count}`,
        label: `after ${count} no-op tasks (${plan.concurrency} at once), 3 samples`,
        figures: await memoryFigures(node.pid),
      });
    }
  } finally {
    await node?.stop();
  }

  ctx.log("start-size: the same child processes spawned by a plain deno process");
  rows.push(...await spawnReferenceRows(plan.tasks));

  evidence.push(await moduleGraph());
  if (ctx.profile) {
    ctx.log("start-size: heap of both isolates as tasks accumulate (inspector)");
    evidence.push(await heapEvidence(ctx, args, plan.heapTasks, plan.concurrency));
    // Evidence for the start goal (300 ms warm), taken only when this run missed it.
    if (figure(warm, "ms").median > 300) {
      ctx.log("start-size: CPU profile of a warm start (the 300 ms goal was missed)");
      evidence.push(await profileStart(ctx, args));
    }
  }
  return {
    number: 4,
    id: "start-size",
    title: "Start and size",
    reference: "the Deno runtime's own floor for the same shape of process",
    rows,
    method: [
      `start: spawn of the installed launcher → first 200 of /readyz (polled every 5 ms); ${plan.warmRuns} warm runs after one unmeasured start, ${plan.coldRuns} cold runs with a fresh DENO_DIR whose npm cache is a link to the warm one (nothing is downloaded)`,
      "node: the no-op node of scenario 1 (reference skill + --executor-cmd), token set",
      "memory: VmRSS of the node's deno process from /proc (RssAnon: heaps; RssFile: the mapped deno binary and libraries)",
      `tasks for the RSS rows: fresh ids, ${plan.concurrency} at once, from the harness over HTTP`,
    ],
    evidence,
    durationMs: performance.now() - started,
  };
}

/**
 * Where memory stays as tasks accumulate: each isolate's live heap after a full GC
 * after `counts[0]` and `counts[1]` tasks, and the kinds of object the worker's heap
 * gained in between (heap snapshots through the inspector).
 */
async function heapEvidence(
  ctx: BenchContext,
  args: string[],
  counts: number[],
  concurrency: number,
): Promise<Evidence> {
  let node: BenchNode | undefined;
  let inspector: Inspector | undefined;
  try {
    node = await startBenchNode({ tmp: ctx.tmp, token: TOKEN, args, inspect: true });
    inspector = await Inspector.connect(node.inspectPort!);
    const points: Array<{ tasks: number; main: number; worker: number }> = [];
    const snapshots: HeapSummary[] = [];
    let paths: string[][] = [];
    let done = 0;
    for (const count of counts) {
      await sendTasks(node.url, count - done, concurrency);
      done = count;
      const main = await inspector.heapAfterGc("main");
      const worker = await inspector.heapAfterGc("worker");
      const snapshot = await inspector.heapSnapshot("worker");
      snapshots.push(summariseHeapSnapshot(snapshot));
      points.push({ tasks: count, main, worker });
      if (count === counts[counts.length - 1]) paths = retainerPaths(snapshot, "AbortSignal", 2);
    }
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const [a, b] = points;
    const perTask = (x: number, y: number) =>
      `${((y - x) / (b.tasks - a.tasks) / 1024).toFixed(2)} KiB`;
    const lines = [
      ...points.map((p) =>
        `after ${p.tasks} tasks: live heap after full GC: main isolate ${mb(p.main)}, worker ${
          mb(p.worker)
        }`
      ),
      `JS heap growth per task: main isolate ${perTask(a.main, b.main)}, worker ${
        perTask(a.worker, b.worker)
      }`,
      "largest growth in the worker's heap (heap snapshots, by constructor or type):",
      ...heapGrowth(snapshots[0], snapshots[1], 8).map((g) =>
        `  ${g.name}: +${g.count} objects, +${(g.bytes / 1024).toFixed(0)} KiB`
      ),
      ...paths.flatMap((path, i) => [
        `what keeps an AbortSignal of the worker alive (sample ${i + 1}, GC root first):`,
        ...path.map((step) => `  ${step}`),
      ]),
    ];
    return {
      title: `Heap of both isolates after ${counts.join(" and ")} tasks (inspector, full GC first)`,
      lines,
    };
  } catch (err) {
    return { title: "Heap evidence failed", lines: [String(err)], failed: true };
  } finally {
    inspector?.close();
    await node?.stop();
  }
}

/**
 * RSS of a plain deno process before and after spawning the no-op child `counts`
 * times (2 runs), as rows; one n/a row when it cannot run.
 */
async function spawnReferenceRows(counts: number[]): Promise<Row[]> {
  const reference: Array<{ start: number; after: Record<string, number> }> = [];
  try {
    for (let i = 0; i < 2; i++) {
      const run = await runBounded([
        Deno.execPath(),
        "run",
        "--no-config",
        // Reading /proc/self needs every permission.
        "-A",
        fromFileUrl(new URL("./_spawn_reference.ts", import.meta.url)),
        NOOP_COMMAND,
        ...counts.map(String),
      ], { timeoutMs: 300_000 });
      if (run.code !== 0) throw new Error(run.stderr.split("\n")[0]);
      reference.push(JSON.parse(run.stdout));
    }
  } catch (err) {
    return [{
      id: "spawn-ref-start",
      label: "reference: plain deno process spawning the same child",
      figures: {},
      na: `_spawn_reference.ts failed: ${(err as Error).message}`,
      failed: true,
    }];
  }
  return [
    {
      id: "spawn-ref-start",
      label: "reference: plain deno process about to spawn (2 runs)",
      figures: { rss: figure(reference.map((r) => r.start / MiB), "MiB") },
    },
    ...counts.map((count) => ({
      id: `spawn-ref-after-${count}`,
      label: `reference: plain deno process after ${count} spawns of the same child, piped stdio`,
      figures: { rss: figure(reference.map((r) => r.after[count] / MiB), "MiB") },
    })),
  ];
}

/** How many modules a node loads (main.ts and its worker), from `deno info --json`. */
async function moduleGraph(): Promise<Evidence> {
  const lines: string[] = [];
  for (const entry of ["main.ts", "lib/node/worker.ts"]) {
    const run = await runBounded([
      Deno.execPath(),
      "info",
      "--json",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}${entry}`,
    ], { timeoutMs: 60_000 });
    try {
      const info = JSON.parse(run.stdout);
      const modules = info.modules as Array<{ specifier: string; size?: number }>;
      const local = modules.filter((m) => m.specifier.startsWith("file:"));
      const size = local.reduce((n, m) => n + (m.size ?? 0), 0);
      const npm = Object.keys(info.npmPackages ?? {}).length;
      lines.push(
        `${entry}: ${local.length} local modules (${
          (size / 1024).toFixed(0)
        } KiB of source), ${npm} npm packages`,
      );
    } catch {
      lines.push(`${entry}: deno info failed: ${run.stderr.split("\n")[0]}`);
    }
  }
  return { title: "Module graph a node loads at start (deno info)", lines };
}

/**
 * A CPU profile of the main isolate over one warm start and stop (`--cpu-prof`; the
 * worker's own profile is not written because the node exits right after terminating
 * it, so the worker's share is in the /proc figures instead).
 */
async function profileStart(ctx: BenchContext, args: string[]): Promise<Evidence> {
  const dir = await Deno.makeTempDir({ dir: ctx.artefacts, prefix: "start-profile-" });
  const raw = `${dir}/raw`;
  try {
    const node = await startBenchNode({
      tmp: ctx.tmp,
      token: TOKEN,
      args,
      denoFlags: ["--cpu-prof", `--cpu-prof-dir=${raw}`],
    });
    const readyMs = node.spawnToReadyMs;
    await node.stop();
    const profiles: Record<string, CpuProfile> = {};
    for await (const entry of Deno.readDir(raw)) {
      const text = await Deno.readTextFile(`${raw}/${entry.name}`);
      if (text && !entry.name.includes(".worker-")) profiles["main isolate"] = JSON.parse(text);
    }
    return await profileEvidence(
      `CPU profile of the main isolate over one start to ready and stop (deno run --cpu-prof; ${
        readyMs.toFixed(0)
      } ms to ready while profiled)`,
      profiles,
      dir,
      ROOT_URL,
      6,
    );
  } catch (err) {
    return { title: "CPU profile of the start failed", lines: [String(err)], failed: true };
  }
}
