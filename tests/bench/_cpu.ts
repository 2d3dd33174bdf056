/**
 * CPU time of a process by thread, from `/proc`: which of the node's threads (the main
 * isolate that runs skills, the network worker, Deno's I/O threads, V8's helpers) and
 * its child processes used the CPU during a measurement. The measured cause of a
 * throughput figure, not a guess.
 *
 * @example
 * ```ts
 * import { cpuDelta, threadGroup } from "./_cpu.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(threadGroup("tokio-runtime-w"), "I/O threads (tokio: fs, KV, sockets)");
 * const before = { ticks: { a: 10 }, childTicks: 5, tickHz: 100 };
 * const after = { ticks: { a: 30 }, childTicks: 25, tickHz: 100 };
 * assert.deepEqual(cpuDelta(before, after), { a: 200, "child processes": 200 });
 * ```
 *
 * @module
 */
import { runBounded } from "./_proc.ts";

/** CPU ticks of one process at one moment. */
export interface CpuSnapshot {
  /** utime + stime per thread group (see {@linkcode threadGroup}). */
  ticks: Record<string, number>;
  /** cutime + cstime: CPU of the child processes it waited for. */
  childTicks: number;
  /** Clock ticks per second. */
  tickHz: number;
}

let hz: Promise<number> | undefined;

function tickHz(): Promise<number> {
  hz ??= runBounded(["getconf", "CLK_TCK"], { timeoutMs: 5_000 })
    .then((r) => Number(r.stdout.trim()) || 100)
    .catch(() => 100);
  return hz;
}

/** The group a thread's name (`comm`) belongs to. */
export function threadGroup(comm: string): string {
  if (comm === "deno") return "main isolate (skills, executions)";
  if (/^worker-\d+$/.test(comm)) return "network worker (HTTP, routing, KV calls)";
  if (comm.startsWith("tokio-runtime")) return "I/O threads (tokio: fs, KV, sockets)";
  if (comm.startsWith("V8 ")) return "V8 helpers (GC, compiler)";
  // Deno KV's SQLite backend runs on its own thread, named sw-N (checked: it appears
  // when Deno.openKv opens a store).
  if (/^sw-\d+$/.test(comm)) return "Deno KV thread (SQLite)";
  return `other (${comm})`;
}

/** Splits a `/proc/.../stat` line after the `(comm)` field. */
function statFields(stat: string): { comm: string; rest: string[] } {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  return { comm: stat.slice(open + 1, close), rest: stat.slice(close + 2).split(" ") };
}

/**
 * Reads the CPU ticks of every thread of `pid` and of its reaped children.
 *
 * @throws {Error} When the process is gone.
 */
export async function cpuSnapshot(pid: number): Promise<CpuSnapshot> {
  const ticks: Record<string, number> = {};
  for await (const entry of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const { comm, rest } = statFields(
        await Deno.readTextFile(`/proc/${pid}/task/${entry.name}/stat`),
      );
      // rest[0] is field 3 (state): utime is field 14, stime 15.
      const used = Number(rest[11]) + Number(rest[12]);
      const group = threadGroup(comm);
      ticks[group] = (ticks[group] ?? 0) + used;
    } catch { /* the thread ended meanwhile */ }
  }
  const { rest } = statFields(await Deno.readTextFile(`/proc/${pid}/stat`));
  const childTicks = Number(rest[13]) + Number(rest[14]);
  return { ticks, childTicks, tickHz: await tickHz() };
}

/** CPU milliseconds used between two snapshots, per thread group and by child processes. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const ms = (t: number) => (t * 1000) / after.tickHz;
  const out: Record<string, number> = {};
  for (const [group, t] of Object.entries(after.ticks)) {
    const used = t - (before.ticks[group] ?? 0);
    if (used > 0) out[group] = ms(used);
  }
  out["child processes"] = ms(after.childTicks - before.childTicks);
  return out;
}

/** Lines `group: X ms per task (Y %)` for a {@linkcode cpuDelta} over `tasks` tasks. */
export function cpuPerTaskLines(delta: Record<string, number>, tasks: number): string[] {
  const total = Object.values(delta).reduce((a, b) => a + b, 0);
  const lines = Object.entries(delta)
    .sort((a, b) => b[1] - a[1])
    .map(([group, ms]) =>
      `${group}: ${(ms / tasks).toFixed(3)} ms CPU per task (${((100 * ms) / total).toFixed(0)} %)`
    );
  lines.push(`total: ${(total / tasks).toFixed(3)} ms CPU per task over ${tasks} tasks`);
  return lines;
}
