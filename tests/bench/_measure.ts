/**
 * Repeated measurements turned into table rows: wrk runs against a URL, and a bounded
 * closed loop over an in-process async function.
 *
 * @module
 */
import { figure, percentile } from "./_stats.ts";
import type { Row } from "./_types.ts";
import type { ToolState } from "./_tools.ts";
import { runWrk, type WrkOptions, type WrkRun } from "./_wrk.ts";

/** How many runs of what length make a figure. */
export interface RunPlan {
  /** Measured runs (the figure is their median). */
  runs: number;
  /** Length of one run, in seconds. */
  durationS: number;
  /** Length of an unmeasured warm-up run before them (0 = none), in seconds. */
  warmupS: number;
}

/** Options of {@linkcode wrkRow}. */
export interface WrkRowOptions extends Omit<WrkOptions, "wrk" | "durationS"> {
  /** Row key and label. */
  id: string;
  label: string;
  /** wrk, or why it is missing. */
  tool: ToolState | undefined;
  plan: RunPlan;
  /** Called with every measured run (e.g. to count tasks). */
  onRun?: (run: WrkRun) => void;
}

/**
 * Runs wrk `plan.runs` times (after a warm-up) and makes a row with `rps` (2xx/s),
 * `p50` and `p99` (ms); n/a with the reason when wrk is missing or failed.
 */
export async function wrkRow(options: WrkRowOptions): Promise<Row> {
  const { id, label, tool, plan, onRun, ...wrk } = options;
  if (!tool || !("path" in tool)) {
    return { id, label, figures: {}, na: tool ? tool.missing : "wrk was not looked for" };
  }
  try {
    if (plan.warmupS > 0) await runWrk({ ...wrk, wrk: tool.path, durationS: plan.warmupS });
    const runs: WrkRun[] = [];
    for (let i = 0; i < plan.runs; i++) {
      const run = await runWrk({ ...wrk, wrk: tool.path, durationS: plan.durationS });
      onRun?.(run);
      runs.push(run);
    }
    return rowFromRuns(id, label, runs);
  } catch (err) {
    return {
      id,
      label,
      figures: {},
      na: `wrk failed: ${(err as Error).message.split("\n")[0]}`,
      failed: true,
    };
  }
}

/** A row with `rps`, `p50` and `p99` from wrk runs, noting non-2xx answers and socket errors. */
function rowFromRuns(id: string, label: string, runs: WrkRun[]): Row {
  const non2xx = runs.reduce((n, r) => n + r.non2xx, 0);
  const socket = runs.reduce((n, r) => n + r.socketErrors, 0);
  const total = runs.reduce((n, r) => n + r.requests, 0);
  const problems = [
    non2xx ? `${non2xx} non-2xx answers` : "",
    socket ? `${socket} socket errors` : "",
  ].filter(Boolean).join(", ");
  return {
    id,
    label,
    figures: {
      rps: figure(runs.map((r) => r.okRps), "req/s"),
      p50: figure(runs.map((r) => r.p50Ms), "ms"),
      p99: figure(runs.map((r) => r.p99Ms), "ms"),
    },
    ...(problems ? { note: `${problems} of ${total} requests` } : {}),
  };
}

/** One path of {@linkcode interleavedWrkRows}. */
export interface WrkPath {
  id: string;
  label: string;
  /** Full URL including the path. */
  url: string;
  /** Called with every measured run of this path. */
  onRun?: (run: WrkRun) => void;
}

/**
 * Like {@linkcode wrkRow} for several paths at once, their runs interleaved (run 1 of
 * every path, then run 2, …) so that every figure's runs cover the same stretch of time
 * and a busy moment of a shared machine weighs on all paths alike.
 */
export async function interleavedWrkRows(
  paths: WrkPath[],
  options: Omit<WrkRowOptions, "id" | "label" | "url" | "onRun">,
): Promise<Row[]> {
  const { tool, plan, ...wrk } = options;
  if (!tool || !("path" in tool)) {
    const na = tool ? tool.missing : "wrk was not looked for";
    return paths.map(({ id, label }) => ({ id, label, figures: {}, na }));
  }
  const runs = new Map<string, WrkRun[]>(paths.map((p) => [p.id, []]));
  const errors = new Map<string, string>();
  const once = async (path: WrkPath, durationS: number) => {
    if (errors.has(path.id)) return undefined;
    try {
      return await runWrk({ ...wrk, wrk: tool.path, url: path.url, durationS });
    } catch (err) {
      errors.set(path.id, `wrk failed: ${(err as Error).message.split("\n")[0]}`);
      return undefined;
    }
  };
  if (plan.warmupS > 0) { for (const path of paths) await once(path, plan.warmupS); }
  for (let i = 0; i < plan.runs; i++) {
    for (const path of paths) {
      const run = await once(path, plan.durationS);
      if (!run) continue;
      path.onRun?.(run);
      runs.get(path.id)!.push(run);
    }
  }
  return paths.map(({ id, label }) =>
    errors.has(id)
      ? { id, label, figures: {}, na: errors.get(id)!, failed: true }
      : rowFromRuns(id, label, runs.get(id)!)
  );
}

/** One run of a closed loop. */
export interface LoopRun {
  /** Completed calls per second. */
  perSecond: number;
  /** Latency of each call, in ms. */
  latenciesMs: number[];
}

/**
 * Calls `fn` from `concurrency` parallel loops for `durationMs` (and at most
 * `maxCalls` calls in all) and measures each call.
 */
export async function closedLoop(
  fn: () => Promise<unknown>,
  options: { concurrency: number; durationMs: number; maxCalls?: number },
): Promise<LoopRun> {
  const { concurrency, durationMs, maxCalls = 1_000_000 } = options;
  const latenciesMs: number[] = [];
  const started = performance.now();
  const end = started + durationMs;
  let calls = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end && calls < maxCalls) {
      calls++;
      const t = performance.now();
      await fn();
      latenciesMs.push(performance.now() - t);
    }
  }));
  const elapsed = performance.now() - started;
  return { perSecond: (latenciesMs.length * 1000) / elapsed, latenciesMs };
}

/**
 * Runs {@linkcode closedLoop} `plan.runs` times (after a warm-up) and makes a row with
 * `rate` (calls/s), `p50` and `p99` (ms).
 */
export async function loopRow(
  id: string,
  label: string,
  fn: () => Promise<unknown>,
  options: { concurrency: number; plan: RunPlan; maxCallsPerRun?: number },
): Promise<Row> {
  const { concurrency, plan, maxCallsPerRun } = options;
  if (plan.warmupS > 0) {
    await closedLoop(fn, { concurrency, durationMs: plan.warmupS * 1000, maxCalls: 50 });
  }
  const runs: LoopRun[] = [];
  for (let i = 0; i < plan.runs; i++) {
    runs.push(
      await closedLoop(fn, {
        concurrency,
        durationMs: plan.durationS * 1000,
        maxCalls: maxCallsPerRun,
      }),
    );
  }
  return {
    id,
    label,
    figures: {
      rate: figure(runs.map((r) => r.perSecond), "/s"),
      p50: figure(runs.map((r) => percentile(r.latenciesMs, 50)), "ms"),
      p99: figure(runs.map((r) => percentile(r.latenciesMs, 99)), "ms"),
    },
  };
}
