/**
 * Starts real swarm nodes for end-to-end tests, through the same launcher users run
 * (installed by `install.sh`, see `_launcher.ts`), and stops them even when a test fails.
 *
 * @module
 */
import { installedSwarm } from "./_launcher.ts";
import { killOnExit } from "../_helpers/child_processes.ts";
import { exitWithin, fetchWithin, outputWithin, withTimeout } from "../_helpers/with_timeout.ts";

/** A node process under test. */
export interface TestNode {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  nodeId: string;
  /** Process id of the launcher (which execs Deno), for /proc readings. */
  pid: number;
  /** Every JSON log line the node wrote so far. */
  logs: Record<string, unknown>[];
  /** Raw stderr lines that were not JSON. */
  rawLines: string[];
  /**
   * Sends SIGTERM and waits for the exit code, at most the node's drain timeout plus
   * {@link STOP_MARGIN_MS}: past that the node is killed and the test fails ("… for node
   * … (PID n) to exit after SIGTERM").
   */
  stop(): Promise<number>;
  /** Sends SIGKILL and waits, at most {@link KILL_WAIT_MS}. */
  kill(): Promise<void>;
  /**
   * Resolves with the exit status once the process ends. Unbounded: a test waiting for
   * an exit it caused itself uses {@link TestNode.exitedWithin}.
   */
  exited: Promise<Deno.CommandStatus>;
  /**
   * Waits for the exit `after` something the test did (e.g. "SIGTERM"), at most `ms`
   * (by default the drain timeout plus {@link STOP_MARGIN_MS}); past that the node is
   * killed and the wait fails, naming the node and `after`.
   */
  exitedWithin(after: string, ms?: number): Promise<Deno.CommandStatus>;
}

/**
 * Time a node gets beyond its drain timeout to exit after SIGTERM: the mDNS goodbye
 * (up to 3 s), the worker's close margin (5 s, `STOP_MARGIN_MS` of the stop sequence)
 * and a slow machine's scheduling.
 */
export const STOP_MARGIN_MS = 15_000;
/** Longest wait for a node to die of SIGKILL. */
export const KILL_WAIT_MS = 10_000;
/** Longest run of a one-shot `swarm` command ({@link runSwarm}). */
export const RUN_SWARM_MS = 60_000;
/** The node's default `--drain-timeout-ms`. */
const DEFAULT_DRAIN_MS = 30_000;

/** Options of {@link startNode}. */
export interface StartNodeOptions {
  /** Extra node flags (besides --listen and --data-dir). */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Port to listen on; a free one is picked when absent. */
  port?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
  /** Data dir; a fresh temp dir when absent. */
  dataDir?: string;
  /** Wrap the command (e.g. `["ip", "netns", "exec", "ns1"]`). */
  prefix?: string[];
  /** How long to wait for `swarm_started`. */
  startTimeoutMs?: number;
  /**
   * Let the node use swarm's starter skills when it has no skills directory. Off by
   * default, so a test node holds exactly the skills its test gives it.
   *
   * @default {false}
   */
  starterSkills?: boolean;
  /**
   * How long {@link TestNode.stop} waits for the exit after SIGTERM.
   *
   * @default {the node's drain timeout + STOP_MARGIN_MS}
   */
  stopTimeoutMs?: number;
}

/** Returns a port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The drain timeout a node started with `args` and `env` has: its
 * `--drain-timeout-ms` flag, else `SWARM_DRAIN_TIMEOUT_MS`, else the default.
 */
export function drainTimeoutOf(args: string[], env: Record<string, string> = {}): number {
  let value: string | undefined = env.SWARM_DRAIN_TIMEOUT_MS;
  args.forEach((arg, i) => {
    if (arg === "--drain-timeout-ms") value = args[i + 1];
    else if (arg.startsWith("--drain-timeout-ms=")) value = arg.slice(arg.indexOf("=") + 1);
  });
  const ms = Number(value);
  return value !== undefined && Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_DRAIN_MS;
}

/** Environment a node under test gets: no inherited tokens or LLM keys. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    SKILLLITE_SWARM_LLM_ROUTING: "0",
  };
  return { ...env, ...extra };
}

/**
 * Starts a node and waits until it logged `swarm_started`.
 *
 * @throws {Error} With the node's output when it exits or does not start in time.
 */
export async function startNode(options: StartNodeOptions = {}): Promise<TestNode> {
  const swarm = await installedSwarm();
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? freePort();
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "swarm-e2e-" });
  const listen = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  // The node's own flags: the ones every test node gets, then the test's.
  const nodeArgs = [
    "--listen",
    listen,
    "--data-dir",
    dataDir,
    ...(options.starterSkills ? [] : ["--no-starter-skills"]),
    ...(options.args ?? []),
  ];
  const env = baseEnv(options.env ?? {});
  const [program, ...args] = [...(options.prefix ?? []), swarm, ...nodeArgs];
  const child = new Deno.Command(program, {
    args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  killOnExit(child);
  const logs: Record<string, unknown>[] = [];
  const rawLines: string[] = [];
  const started = Promise.withResolvers<Record<string, unknown>>();
  const exited = child.status;
  child.stdout.pipeTo(new WritableStream()).catch(() => {});
  (async () => {
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
    for await (const line of lines) {
      try {
        const record = JSON.parse(line);
        logs.push(record);
        if (record.message === "swarm_started") started.resolve(record);
      } catch {
        rawLines.push(line);
      }
    }
  })().catch(() => {});
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    started.promise,
    exited.then((s) => `exited with code ${s.code}`),
    new Promise<string>((r) =>
      timer = setTimeout(() => r(`did not start in ${timeoutMs} ms`), timeoutMs)
    ),
  ]);
  clearTimeout(timer);
  const what = `node ${listen} (PID ${child.pid})`;
  const stopMs = options.stopTimeoutMs ?? drainTimeoutOf(nodeArgs, env) + STOP_MARGIN_MS;
  const exitedWithin = (after: string, ms = stopMs) => exitWithin(child, { ms, what, after });
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await exitedWithin("SIGKILL", KILL_WAIT_MS);
  };
  if (typeof outcome === "string") {
    await kill();
    throw new Error(
      `Node ${listen} ${outcome}:\n${
        [...rawLines, ...logs.map((l) => JSON.stringify(l))].join("\n")
      }`,
    );
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    return (await exitedWithin("SIGTERM")).code;
  };
  return {
    url: String(outcome.url),
    port,
    nodeId: String(outcome.node_id),
    pid: child.pid,
    logs,
    rawLines,
    stop,
    kill,
    exited,
    exitedWithin,
  };
}

/**
 * Runs the installed `swarm` once with `args` and returns its exit code and output,
 * failing when it runs longer than {@link RUN_SWARM_MS}.
 */
export async function runSwarm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const swarm = await installedSwarm();
  const out = await outputWithin(swarm, {
    args,
    env: baseEnv(env),
    clearEnv: true,
    ms: RUN_SWARM_MS,
    what: `swarm ${args.join(" ")}`,
  });
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * Runs the installed `swarm` once and returns its trimmed stdout, failing the test with
 * the command's output when it does not exit 0.
 */
export async function runSwarmOk(
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const out = await runSwarm(args, env);
  if (out.code !== 0) {
    throw new Error(`swarm ${args.join(" ")} exited ${out.code}:\n${out.stdout}${out.stderr}`);
  }
  return out.stdout.trim();
}

/**
 * Follows a node's `/events` as NDJSON (filtered to `types`) from now on; `waitFor(taskId)`
 * resolves with the first event of that task, or undefined when the stream ends first,
 * and fails naming the task when none came within `timeoutMs` (the stream is then
 * closed).
 */
export async function followEvents(
  url: string,
  types: string[],
  init: { client?: Deno.HttpClient; token?: string } = {},
): Promise<{
  waitFor(taskId: string, timeoutMs?: number): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}> {
  const res = await fetch(`${url}/events?types=${types.join(",")}`, {
    ...(init.client ? { client: init.client } : {}),
    headers: {
      accept: "application/x-ndjson",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    // Bounds the whole stream, should a test forget close(); waitFor() has its own bound.
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw new Error(`GET ${url}/events: ${res.status} ${await res.text()}`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const find = (taskId: string) =>
    text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
      .find((e) => e.task_id === taskId);
  return {
    waitFor(taskId, timeoutMs = 15_000) {
      const read = async () => {
        while (!find(taskId)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        return find(taskId);
      };
      return withTimeout(read(), {
        ms: timeoutMs,
        waitingFor: `a ${types.join("/")} event of task ${taskId} on ${url}/events`,
        onTimeout: () => reader.cancel(),
      });
    },
    close: () => reader.cancel(),
  };
}

function splitLines(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const part of parts) if (part.trim()) controller.enqueue(part);
    },
    flush(controller) {
      if (buffer.trim()) controller.enqueue(buffer);
    },
  });
}

/** Stops every node given, ignoring ones already gone. */
export async function stopAll(nodes: Array<TestNode | undefined>): Promise<void> {
  await Promise.all(nodes.map((n) => n?.kill()));
}

/** A NodeTask body as SkillLite's agent sends it (no tool_hint, no tags unless given). */
export function nodeTask(
  description: string,
  extra: { required?: string[]; input?: unknown; tool_hint?: string; id?: string } = {},
): Record<string, unknown> {
  return {
    id: extra.id ?? crypto.randomUUID(),
    description,
    context: {
      workspace: ".",
      session_key: "default",
      required_capabilities: extra.required ?? [],
    },
    ...(extra.tool_hint ? { tool_hint: extra.tool_hint } : {}),
    ...(extra.input !== undefined ? { input: extra.input } : {}),
  };
}

/** POSTs a task and returns status and parsed body. */
export async function postTask(
  url: string,
  body: unknown,
  options: { token?: string; stream?: boolean; timeoutMs?: number; client?: Deno.HttpClient } = {},
): Promise<{ status: number; body: unknown; text: string; contentType: string }> {
  const res = await fetchWithin(`${url}/task${options.stream ? "?stream=1" : ""}`, {
    method: "POST",
    ...(options.client ? { client: options.client } : {}),
    headers: {
      "content-type": "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify(body),
    ms: options.timeoutMs ?? 30_000,
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = options.stream && res.ok
      ? text.trim().split("\n").map((l) => JSON.parse(l))
      : JSON.parse(text);
  } catch { /* left undefined */ }
  return {
    status: res.status,
    body: parsed,
    text,
    contentType: res.headers.get("content-type") ?? "",
  };
}

/** Waits until `check` resolves true, polling every 100 ms, for at most `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Condition not met within ${timeoutMs} ms`);
}

/** Whether `node` says it is running a task (`GET /status` → `status: "busy"`). */
export async function isBusy(node: { url: string }, token?: string): Promise<boolean> {
  const res = await fetchWithin(`${node.url}/status`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return (await res.json()).status === "busy";
}

/** Waits until `node` lists a peer holding `tag`, for at most `timeoutMs`. */
export async function waitForPeerWith(
  node: { url: string },
  tag: string,
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(async () => {
    const res = await fetchWithin(`${node.url}/status`);
    const peers = (await res.json()).peers as Array<{ capabilities: string[] }>;
    return peers.some((p) => p.capabilities.includes(tag));
  }, timeoutMs);
}

/**
 * An executor started with `executorArgs` and an entry node without skills that has it as
 * its `--peer` seed, returned once the entry lists the executor's `tag`. A node that did
 * start is stopped when the other fails to.
 */
export async function startBehindEntry(
  executorArgs: string[],
  tag: string,
): Promise<{ executor: TestNode; entry: TestNode }> {
  const executor = await startNode({ args: executorArgs });
  let entry: TestNode | undefined;
  try {
    entry = await startNode({ args: ["--peer", `127.0.0.1:${executor.port}`] });
    await waitForPeerWith(entry, tag);
    return { executor, entry };
  } catch (err) {
    await stopAll([entry, executor]);
    throw err;
  }
}

/** Absolute path of the test skill fixtures. */
export const FIXTURE_SKILLS = new URL("../fixtures/skills/", import.meta.url).pathname;
