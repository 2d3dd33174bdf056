/**
 * Process helpers of the benchmark harness: bounded command runs, memory of a process
 * from `/proc`, polling an HTTP endpoint, and a registry that kills every child the
 * harness started when it exits.
 *
 * @module
 */

import { killOnExit } from "../_helpers/child_processes.ts";

/** Registers `child` to be killed when the harness exits; returns it. */
export const track: (child: Deno.ChildProcess) => Deno.ChildProcess = killOnExit;

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Output of {@linkcode runBounded}. */
export interface BoundedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The command outlived its time limit and was killed. */
  timedOut: boolean;
}

/** Options of {@linkcode runBounded}. */
export interface RunBoundedOptions {
  /** Kill the command after this long. @default 60_000 */
  timeoutMs?: number;
  /** Environment added to this process's. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Text written to stdin (stdin is closed when absent). */
  stdin?: string;
}

/** Runs `argv` to completion, killed after `timeoutMs`, and returns its output. */
export async function runBounded(
  argv: string[],
  options: RunBoundedOptions = {},
): Promise<BoundedRun> {
  const { timeoutMs = 60_000, env, cwd, stdin } = options;
  const [program, ...args] = argv;
  const child = track(
    new Deno.Command(program, {
      args,
      env,
      cwd,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin)).catch(() => {});
    await writer.close().catch(() => {});
  }
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
    timedOut,
  };
}

/** Memory of a process, from `/proc/<pid>/status`, in KiB. */
export interface ProcessMemory {
  /** Resident set size (VmRSS). */
  rssKiB: number;
  /** Anonymous resident memory (RssAnon): heaps, stacks. */
  anonKiB: number;
  /** File-backed resident memory (RssFile): mapped executable and libraries. */
  fileKiB: number;
}

/**
 * Reads the memory of process `pid`.
 *
 * @throws {Error} When the process is gone or `/proc` lacks the fields.
 */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    if (!match) throw new Error(`Cannot read ${name} of process ${pid}: not in /proc`);
    return Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), anonKiB: field("RssAnon"), fileKiB: field("RssFile") };
}

/** Options of {@linkcode waitForStatus}. */
export interface WaitForStatusOptions {
  /** Give up after this long. @default 30_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 5 */
  intervalMs?: number;
  /** Status to wait for. @default 200 */
  status?: number;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Stop waiting early (e.g. the process exited): return its message as an error. */
  abort?: () => string | null;
}

/**
 * Polls `url` until it answers `status`; resolves with `performance.now()` at that answer.
 *
 * @throws {Error} When the time runs out or `abort` reports a reason.
 */
export async function waitForStatus(
  url: string,
  options: WaitForStatusOptions = {},
): Promise<number> {
  const { timeoutMs = 30_000, intervalMs = 5, status = 200, headers, abort } = options;
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    const reason = abort?.();
    if (reason) throw new Error(`Stopped waiting for ${url}: ${reason}`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === status) return performance.now();
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** Returns a port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Absolute path of `name` on PATH (plus /usr/sbin and /sbin), or null. */
export function which(name: string): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return null;
}
