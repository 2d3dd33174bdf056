/**
 * Real swarm nodes for the benchmarks, started through the launcher `install.sh`
 * installs (`tests/e2e/_launcher.ts`), with their log written to a file rather than
 * piped into the harness (parsing every log line would take CPU from the node being
 * measured on a small machine). A node counts as started when `/readyz` answers 200.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { installedSwarm } from "../e2e/_launcher.ts";
import { launcherFlags } from "../../scripts/launcher_flags.ts";
import { freePort, type ProcessMemory, processMemory, track, waitForStatus } from "./_proc.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** A node under benchmark. */
export interface BenchNode {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Pid of the node's deno process. */
  pid: number;
  dataDir: string;
  /** File holding the node's stderr (its JSON log). */
  logFile: string;
  /** From spawning the launcher to the first 200 of `/readyz`, in ms. */
  spawnToReadyMs: number;
  /** Port of its inspector, when started with `inspect`. */
  inspectPort?: number;
  /** Headers every request needs (the bearer token). */
  headers: Record<string, string>;
  /** Its memory now. */
  memory(): Promise<ProcessMemory>;
  /** SIGTERM, then SIGKILL after 35 s; resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Options of {@linkcode startBenchNode}. */
export interface BenchNodeOptions {
  /** Directory for the data dir and log file. */
  tmp: string;
  /** Node flags besides --listen and --data-dir. */
  args?: string[];
  /** Bearer token (SKILLLITE_SWARM_TOKEN). @default "bench-token" */
  token?: string;
  /** Data dir; a fresh one under `tmp` when absent. */
  dataDir?: string;
  /** Port; a free one when absent. */
  port?: number;
  /** DENO_DIR for the node (a fresh one makes a cold start). */
  denoDir?: string;
  /**
   * Run main.ts with `deno run --inspect=127.0.0.1:PORT` directly (the launcher's
   * flags plus the inspector) instead of through the launcher, for profiles and heap
   * evidence. @default false
   */
  inspect?: boolean;
  /**
   * Extra `deno run` flags (e.g. `--cpu-prof`); like `inspect`, they make the node run
   * main.ts directly with the launcher's flags. @default []
   */
  denoFlags?: string[];
  /** Give up waiting for readiness after this long. @default 60_000 */
  readyTimeoutMs?: number;
}

let counter = 0;

/**
 * Starts a node and waits until `/readyz` answers 200.
 *
 * @throws {Error} With the end of its log when it exits or is not ready in time.
 */
export async function startBenchNode(options: BenchNodeOptions): Promise<BenchNode> {
  const { tmp, token = "bench-token", readyTimeoutMs = 60_000 } = options;
  const n = ++counter;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ dir: tmp, prefix: `data${n}-` });
  const logFile = `${tmp}/node${n}.log`;
  const port = options.port ?? freePort();
  const nodeArgs = [
    "--listen",
    `127.0.0.1:${port}`,
    "--data-dir",
    dataDir,
    // Benchmarks measure the node's own cost: one load generator is one client, which
    // the per-client task rate limit would throttle.
    "--task-rate",
    "0",
    // A node holds exactly the skills its scenario gives it.
    "--no-starter-skills",
    ...(options.args ?? []),
  ];
  const inspectPort = options.inspect ? freePort() : undefined;
  const denoFlags = [
    ...(inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
    ...(options.denoFlags ?? []),
  ];
  const program = denoFlags.length > 0
    ? [
      Deno.execPath(),
      "run",
      ...denoFlags,
      ...(await runFlags()),
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}main.ts`,
    ]
    : [await installedSwarm()];
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    SKILLLITE_SWARM_LLM_ROUTING: "0",
    DENO_NO_UPDATE_CHECK: "1",
    ...(token ? { SKILLLITE_SWARM_TOKEN: token } : {}),
    ...(options.denoDir ? { DENO_DIR: options.denoDir } : {}),
  };
  const spawnedAt = performance.now();
  const child = track(
    new Deno.Command("/bin/sh", {
      args: ["-c", 'log=$1; shift; exec "$@" 2>"$log"', "sh", logFile, ...program, ...nodeArgs],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn(),
  );
  let exit: Deno.CommandStatus | undefined;
  const exited = child.status.then((s) => exit = s);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const url = `http://127.0.0.1:${port}`;
  let readyAt: number;
  try {
    readyAt = await waitForStatus(`${url}/readyz`, {
      timeoutMs: readyTimeoutMs,
      headers,
      abort: () => exit ? `the node exited with code ${exit.code}` : null,
    });
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await exited;
    const log = await Deno.readTextFile(logFile).catch(() => "");
    throw new Error(`${(err as Error).message}\n${log.split("\n").slice(-15).join("\n")}`);
  }
  const stop = async () => {
    if (exit) return exit.code;
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 35_000);
    await exited;
    clearTimeout(timer);
    return exit!.code;
  };
  return {
    url,
    port,
    pid: child.pid,
    dataDir,
    logFile,
    spawnToReadyMs: readyAt - spawnedAt,
    inspectPort,
    headers,
    memory: () => processMemory(child.pid),
    stop,
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await exited;
    },
  };
}

let flags: Promise<string[]> | undefined;

/** The launcher's `deno run` flags, read from deno.json's compile task as install.sh does. */
function runFlags(): Promise<string[]> {
  flags ??= Deno.readTextFile(`${ROOT}deno.json`).then((text) => {
    const task = JSON.parse(text).tasks.compile;
    return launcherFlags(typeof task === "string" ? task : task.command);
  });
  return flags;
}

/** Stops every node given (ignoring undefined ones), in parallel. */
export async function stopNodes(nodes: Array<BenchNode | undefined>): Promise<void> {
  await Promise.all(nodes.map((node) => node?.stop()));
}
