/**
 * The privileged side of a node: loads skills, spawns the permission-scoped network
 * worker, runs the executions it asks for, and stops cleanly on SIGINT/SIGTERM.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { CommandExecutor } from "../execution/command_executor.ts";
import { SkillExecutor } from "../execution/skill_executor.ts";
import { networkScope } from "../execution/network_scope.ts";
import { toSwarmError } from "../protocol/errors.ts";
import { logger, setupLogging } from "../observability/log.ts";
import {
  chooseSandbox,
  defaultSkillDirs,
  detectSandboxes,
  loadSkillCatalog,
  nodeCapabilities,
} from "../skills/mod.ts";
import { VERSION } from "../version.ts";
import { loadNodeId } from "./identity.ts";
import { LocalExecutor } from "./local_executor.ts";
import type { FromWorker, SkillSummary, ToWorker, WorkerInit } from "./messages.ts";
import { workerPermissions } from "./permissions.ts";

/** How long a clean stop may take before the worker is terminated. */
const STOP_GRACE_MS = 30_000;

/** Options of {@link runNode}. */
export interface RunNodeOptions {
  /** Resolves the node when aborted (instead of waiting for SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Environment handed to executors. */
  env?: Record<string, string>;
  /** Directory relative default skill dirs are found in. */
  cwd?: string;
}

/**
 * Runs a node until SIGINT/SIGTERM (or `options.signal`) and returns the exit code.
 *
 * @throws {Error} When the node cannot start (port in use, unreadable data dir, …).
 */
export async function runNode(config: Config, options: RunNodeOptions = {}): Promise<number> {
  setupLogging(config.logLevel);
  const log = logger("main");
  const env = options.env ?? Deno.env.toObject();
  if (config.dataDir !== ":memory:") {
    await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  }
  const nodeId = await loadNodeId(config.dataDir);

  const dirs = config.skillsDirs.length > 0
    ? config.skillsDirs
    : await defaultSkillDirs(options.cwd ?? Deno.cwd());
  const catalog = await loadSkillCatalog(dirs);
  for (const problem of catalog.problems) log.warn("Skill not loaded", { ...problem });
  const sandboxes = await detectSandboxes();
  const sandboxEnv = {
    bwrap: sandboxes.bwrap !== null,
    deno: sandboxes.deno !== null,
    allowUnsandboxed: config.allowUnsandboxed,
  };
  const skills: SkillSummary[] = catalog.skills.map((s) => {
    const sandbox = chooseSandbox(s, sandboxEnv);
    return {
      name: s.name,
      ...(s.version ? { version: s.version } : {}),
      kind: s.kind,
      capabilities: s.capabilities,
      capability_source: s.capabilitySource,
      sandbox,
      network: networkScope(s, sandbox),
      fingerprint: s.fingerprint,
    };
  });

  const workRoot = config.dataDir === ":memory:"
    ? await Deno.makeTempDir({ prefix: "swarm-work-" })
    : join(config.dataDir, "work");
  // Built once the worker reports its URL, which the agent command gets as SKILLLITE_SWARM_URL.
  const makeExecutor = (selfUrl: string) =>
    new LocalExecutor(
      catalog.skills.length > 0
        ? new SkillExecutor({
          skills: catalog.skills,
          workRoot,
          timeoutMs: config.taskTimeoutMs,
          maxOutputBytes: config.maxOutputBytes,
          allowUnsandboxed: config.allowUnsandboxed,
          sandboxes,
          sourceEnv: env,
        })
        : null,
      config.executorCmd
        ? new CommandExecutor({
          command: config.executorCmd,
          workRoot,
          timeoutMs: config.taskTimeoutMs,
          maxOutputBytes: config.maxOutputBytes,
          env,
          swarmUrl: selfUrl,
        })
        : null,
    );
  let executor: LocalExecutor | null = null;

  const permissions = workerPermissions(config);
  const init: WorkerInit = {
    config,
    nodeId,
    version: VERSION,
    permissions,
    skills,
    capabilities: nodeCapabilities(catalog.skills),
    executor: [catalog.skills.length > 0 ? "skills" : "", config.executorCmd ? "command" : ""]
      .filter(Boolean).join("+") || "none",
    startedAtMs: Date.now(),
  };
  const worker = new Worker(new URL("./worker.ts", import.meta.url), {
    type: "module",
    name: "swarm-network",
    deno: { permissions },
  });
  const post = (message: ToWorker) => worker.postMessage(message);
  const running = new Map<number, AbortController>();
  const started = Promise.withResolvers<void>();
  const stopped = Promise.withResolvers<void>();

  worker.onerror = (event) => {
    event.preventDefault();
    started.reject(new Error(event.message));
    stopped.resolve();
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    switch (message.type) {
      case "listening":
        executor = makeExecutor(message.url);
        started.resolve();
        break;
      case "fatal":
        started.reject(new Error(message.message));
        break;
      case "stopped":
        stopped.resolve();
        break;
      case "exec-cancel":
        running.get(message.id)?.abort();
        break;
      case "exec": {
        const controller = new AbortController();
        running.set(message.id, controller);
        executor!.execute(message.task, {
          capabilities: message.capabilities,
          signal: controller.signal,
          onProgress: (p) => post({ type: "exec-progress", id: message.id, skill: p.skill }),
        }).then(
          (result) => post({ type: "exec-result", id: message.id, result }),
          (err) => post({ type: "exec-error", id: message.id, error: toSwarmError(err).toBody() }),
        ).finally(() => running.delete(message.id));
        break;
      }
    }
  };
  post({ type: "start", init });

  try {
    await started.promise;
  } catch (err) {
    worker.terminate();
    throw err;
  }

  const stop = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => stop.resolve(name);
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = onSignal(sig);
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  options.signal?.addEventListener("abort", () => stop.resolve("abort"), { once: true });
  const reason = await Promise.race([stop.promise, stopped.promise.then(() => "worker exited")]);
  log.info("Stopping", { reason, node_id: nodeId });
  post({ type: "stop" });
  const timer = setTimeout(() => stopped.resolve(), STOP_GRACE_MS);
  await stopped.promise;
  clearTimeout(timer);
  for (const controller of running.values()) controller.abort();
  for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
  worker.terminate();
  if (config.dataDir === ":memory:") {
    await Deno.remove(workRoot, { recursive: true }).catch(() => {});
  }
  return reason === "worker exited" ? 1 : 0;
}
