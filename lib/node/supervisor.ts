/**
 * The privileged side of a node: loads (and reloads) skills, spawns the
 * permission-scoped network and mDNS workers, runs the executions the network worker
 * asks for, and stops cleanly on SIGINT/SIGTERM: goodbye on mDNS first, then draining.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { SERVICE_TYPE } from "../discovery/mod.ts";
import { CommandExecutor, SkillExecutor } from "../execution/mod.ts";
import { executionPolicyOf } from "../config/mod.ts";
import { type LogFormat, logger, setupLogging } from "../log/mod.ts";
import { swarmErrorOfBody, toSwarmError } from "../protocol/mod.ts";
import {
  defaultSkillDirs,
  type DetectedSandboxes,
  detectSandboxes,
  materializeStarterSkills,
  SKILLS_DIR_NOT_FOUND,
  watchSkillDirs,
} from "../skills/mod.ts";
import { syncRoot } from "../sync/mod.ts";
import { VERSION } from "../version.ts";
import { loadNodeId } from "./identity.ts";
import { LocalExecutor } from "./local_executor.ts";
import { type MdnsLink, startMdns } from "./mdns_link.ts";
import type { DiscoveryState, FromWorker, ToWorker, WorkerInit } from "./messages.ts";
import { mdnsWorkerPermissions, workerPermissions } from "./permissions.ts";
import {
  readSecurityMaterial,
  securityFiles,
  type SecurityMaterial,
  watchSecurityMaterial,
} from "./security_material.ts";
import { recordFootprint } from "./start_footprint.ts";
import { loadSkillState, nodeProtectedPaths, skillStateChanged } from "./skill_state.ts";
import { stopSequence } from "./stop_sequence.ts";
import { SyncStoreHost } from "./sync_store_host.ts";
import { NewSkillPublisher } from "./new_skill_publisher.ts";

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
 * How often the sandboxes are looked for again while a skill cannot run for want of
 * one, so installing bubblewrap brings the skill (and its capabilities) back without a
 * restart.
 */
const SANDBOX_REPROBE_MS = 10_000;

/** How long a second stop signal leaves the worker to answer its callers and close. */
const FORCED_ANSWER_MS = 2_000;

function executorKind(skills: number, command: boolean): string {
  return [skills > 0 ? "skills" : "", command ? "command" : ""].filter(Boolean).join("+") ||
    "none";
}

/**
 * Runs a node until SIGINT/SIGTERM (or `options.signal`) and returns the exit code. A
 * start that fails leaves the data directory as it found it (no new node id, no store).
 *
 * @throws {SwarmError} `config_invalid` for a setup mistake: a security file missing or
 * wrong, the port in use, the address not allowed.
 * @throws {Error} When the node cannot start for another reason (an unreadable data
 * dir, …).
 */
export async function runNode(config: Config, options: RunNodeOptions = {}): Promise<number> {
  if (config.logFormat === "auto") {
    config = { ...config, logFormat: Deno.stderr.isTerminal() ? "pretty" : "json" };
  }
  setupLogging(config.logLevel, config.logFormat as LogFormat);
  // Read before anything is written: a missing or wrong file stops the start right here.
  const security = await readSecurityMaterial(config);
  const footprint = await recordFootprint(config.dataDir);
  let listening = false;
  try {
    return await runUntilStopped(config, options, security, () => listening = true);
  } catch (err) {
    if (!listening) await footprint.undo();
    throw err;
  }
}

async function runUntilStopped(
  config: Config,
  options: RunNodeOptions,
  security: SecurityMaterial,
  onListening: () => void,
): Promise<number> {
  const log = logger("main");
  const env = options.env ?? Deno.env.toObject();
  if (config.dataDir !== ":memory:") {
    await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  }
  const nodeId = await loadNodeId(config.dataDir);

  let given = config.skillsDirs.length > 0
    ? config.skillsDirs
    : await defaultSkillDirs(options.cwd ?? Deno.cwd());
  // No directory named and none of the default ones there: the starter skills, so a
  // first node does real work. Copied out on every start (see materializeStarterSkills).
  let starterRoot: string | undefined;
  if (config.skillsDirs.length === 0 && given.length === 0 && config.starterSkills) {
    starterRoot = await materializeStarterSkills(
      config.dataDir === ":memory:"
        ? await Deno.makeTempDir({ prefix: "swarm-starter-" })
        : join(config.dataDir, "starter-skills"),
    );
    given = [starterRoot];
  }
  // Skills installed by skill sync are one more skills directory, only when accepted.
  const syncedDir = config.acceptSkills && config.dataDir !== ":memory:"
    ? join(syncRoot(config.dataDir), "skills")
    : undefined;
  if (syncedDir) await Deno.mkdir(syncedDir, { recursive: true, mode: 0o700 });
  const dirs = syncedDir ? [...given, syncedDir] : given;
  // One object for the node's life: the executor reads it on every run, and a re-probe
  // that finds bubblewrap later updates it in place.
  const sandboxes: DetectedSandboxes = await detectSandboxes();
  const protectedPaths = await nodeProtectedPaths(config);
  const loadOptions = { protectedPaths, starterRoot };
  let skills = await loadSkillState(dirs, sandboxes, config.allowUnsandboxed, loadOptions);
  for (const problem of skills.catalog.problems) log.warn("Skill not loaded", { ...problem });
  if (starterRoot !== undefined) {
    log.info("Using the starter skills: no skills directory was given or found", {
      dir: starterRoot,
      skills: skills.summaries.map((s) => s.name),
      hint: "--skills-dir DIR to use your own, --no-starter-skills for none",
    });
  }
  for (const { name, reason } of skills.unrunnable) {
    log.warn("Skill cannot run here and is not advertised", { skill: name, reason });
  }

  const workRoot = config.dataDir === ":memory:"
    ? await Deno.makeTempDir({ prefix: "swarm-work-" })
    : join(config.dataDir, "work");
  const execution = executionPolicyOf(config);
  // Built once the worker reports its URL, which the agent command gets as SKILLLITE_SWARM_URL.
  const makeExecutor = (selfUrl: string) =>
    new LocalExecutor(
      new SkillExecutor({
        ...execution,
        skills: () => skills.catalog.skills,
        workRoot,
        sandboxes,
        sourceEnv: env,
      }),
      config.executorCmd
        ? new CommandExecutor({
          command: config.executorCmd,
          workRoot,
          timeoutMs: execution.timeoutMs,
          maxOutputBytes: execution.maxOutputBytes,
          env,
          swarmUrl: selfUrl,
          onNewSkill: newSkills ? (dir, skill) => newSkills.publish(dir, skill) : undefined,
        })
        : null,
      () => skills.catalog.skills.length > 0,
      () => noSkillsReason(skills.catalog.problems),
    );
  let executor: LocalExecutor | null = null;
  const syncStore = config.dataDir === ":memory:" ? undefined : new SyncStoreHost(config.dataDir);
  // Posts to the worker, which exists by the time an agent reports a new skill.
  let post: (message: ToWorker) => void = () => {};
  const newSkills = config.publishNewSkills && config.publisherKeyFile && syncStore
    ? new NewSkillPublisher({
      keyFile: config.publisherKeyFile,
      blobs: () => syncStore.blobStore(),
      hand: (envelope) => post({ type: "sync-publish", envelope }),
      log: (message, props) => log.info(message, props),
    })
    : undefined;

  const permissions = workerPermissions(config);
  const discovery: DiscoveryState = config.mdnsEnabled
    ? {
      mdns: "starting",
      service_type: SERVICE_TYPE,
      ttl_s: config.mdnsTtlS,
      permissions: mdnsWorkerPermissions(),
    }
    : {
      mdns: "off",
      reason: config.allowNet.kind === "loopback"
        ? "loopback only: opt into the LAN with --allow-net and a non-loopback --listen"
        : "--no-mdns",
      service_type: SERVICE_TYPE,
    };
  const init: WorkerInit = {
    config,
    nodeId,
    version: VERSION,
    permissions,
    skills: skills.summaries,
    capabilities: skills.capabilities,
    executor: executorKind(skills.catalog.skills.length, config.executorCmd !== undefined),
    startedAtMs: Date.now(),
    discovery,
    security,
  };
  // Listen for stop signals before the worker starts: it announces swarm_started from its
  // own thread, and a SIGTERM right after must drain the node, not kill the process.
  const stop = Promise.withResolvers<string>();
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = () => stop.resolve(sig);
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  options.signal?.addEventListener("abort", () => stop.resolve("abort"), { once: true });
  const worker = new Worker(new URL("./worker.ts", import.meta.url), {
    type: "module",
    name: "swarm-network",
    deno: { permissions },
  });
  post = (message: ToWorker) => worker.postMessage(message);
  /** Reloads the skills; set once the watcher is in place (a sync before then is seen by it). */
  let reloadSynced: () => Promise<void> = () => Promise.resolve();
  const running = new Map<number, AbortController>();
  const started = Promise.withResolvers<number>();
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
        started.resolve(message.port);
        break;
      case "fatal":
        started.reject(swarmErrorOfBody(message.error));
        break;
      case "stopped":
        stopped.resolve();
        break;
      case "sync-store":
        syncStore?.handle(message).then(({ result, installed }) => {
          post(result);
          if (installed) {
            reloadSynced().catch((err) => {
              log.error("Cannot reload the skills after a sync install", { error: String(err) });
            });
          }
        });
        break;
      case "exec-cancel":
        running.get(message.id)?.abort();
        break;
      case "exec": {
        const controller = new AbortController();
        running.set(message.id, controller);
        executor!.execute(message.task, {
          capabilities: message.capabilities,
          grant: message.grant,
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

  let port: number;
  try {
    port = await started.promise;
  } catch (err) {
    worker.terminate();
    for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
    if (config.dataDir === ":memory:") {
      for (const dir of [workRoot, starterRoot]) {
        if (dir !== undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
    throw err;
  }
  onListening();

  let mdns: MdnsLink | null = null;
  if (config.mdnsEnabled) {
    const setDiscovery = (patch: Partial<DiscoveryState>) => {
      Object.assign(discovery, patch);
      post({ type: "discovery", discovery });
    };
    mdns = startMdns({
      self: {
        nodeId,
        port,
        scheme: security.tls ? "https" : "http",
        capabilities: skills.capabilities,
        bindHost: config.listen.host,
      },
      ttlS: config.mdnsTtlS,
      interface: config.mdnsInterface,
      allow: config.allowNet,
      logLevel: config.logLevel,
      logFormat: config.logFormat as LogFormat,
    }, {
      onPeerUp: (peer) => post({ type: "mdns-peer-up", peer }),
      onPeerDown: (id, reason) => post({ type: "mdns-peer-down", id, reason }),
      onFailure: (message) => {
        log.error("mDNS discovery failed", { error: message });
        setDiscovery({ mdns: "failed", reason: message });
      },
    });
    mdns.started.then(
      (s) => setDiscovery({ mdns: "active", addresses: s.addresses, interface: s.interface }),
      () => {},
    );
  }

  const watching = new AbortController();
  watchSecurityMaterial(config, security, (material) => {
    log.info("Security files changed: reloading", { files: securityFiles(config) });
    post({ type: "security", material });
  }, {
    signal: watching.signal,
    reloadIntervalMs: config.securityReloadIntervalMs,
    onError: (err) => log.error("Cannot reload the security files", { error: err.message }),
  });
  const reloadSkills = async () => {
    const next = await loadSkillState(dirs, sandboxes, config.allowUnsandboxed, loadOptions);
    if (!skillStateChanged(skills, next)) return;
    for (const { name, reason } of next.unrunnable) {
      if (!skills.unrunnable.some((u) => u.name === name)) {
        log.warn("Skill cannot run here and is not advertised", { skill: name, reason });
      }
    }
    skills = next;
    post({
      type: "skills",
      skills: next.summaries,
      capabilities: next.capabilities,
      executor: executorKind(next.catalog.skills.length, config.executorCmd !== undefined),
    });
    mdns?.setCapabilities(next.capabilities);
    log.info("skills_changed", {
      skills: next.summaries.map((s) => s.name),
      capabilities: next.capabilities,
    });
  };
  reloadSynced = reloadSkills;
  watchSkillDirs(dirs, reloadSkills, { signal: watching.signal }).catch((err) => {
    log.warn("Cannot watch the skill directories", { error: String(err) });
  });
  const reprobe = setInterval(async () => {
    if (skills.unrunnable.length === 0) return;
    const found = await detectSandboxes();
    if (found.bwrap === sandboxes.bwrap && found.deno === sandboxes.deno) return;
    Object.assign(sandboxes, found);
    log.info("Sandboxes changed: reloading the skills", { ...found });
    await reloadSkills().catch((err) => {
      log.error("Cannot reload the skills", { error: String(err) });
    });
  }, SANDBOX_REPROBE_MS);
  watching.signal.addEventListener("abort", () => clearInterval(reprobe), { once: true });

  const reason = await Promise.race([stop.promise, stopped.promise.then(() => "worker exited")]);
  log.info("Stopping", { reason, node_id: nodeId, drain_timeout_ms: config.drainTimeoutMs });
  // A second signal means "now": skip the drain.
  const forced = Promise.withResolvers<void>();
  const forceHandlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
    const handler = () => forced.resolve();
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  watching.abort();
  const { outcome, exitCode } = await stopSequence({
    // Say goodbye first, so peers stop sending new work while in-flight tasks drain.
    goodbye: () => mdns?.stop(),
    stop: () => post({ type: "stop" }),
    stopped: stopped.promise,
    forced: forced.promise,
  }, { drainTimeoutMs: config.drainTimeoutMs, workerExited: reason === "worker exited" });
  if (outcome === "forced") {
    log.warn("Second signal: stopping without draining", { running: running.size });
    // Every in-flight caller still gets an answer: the worker ends its tasks (each
    // answered with why) and closes; it gets a moment for that, no more.
    post({ type: "force" });
  }
  for (const controller of running.values()) controller.abort();
  if (outcome === "forced") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([
      stopped.promise.then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), FORCED_ANSWER_MS)),
    ]);
    clearTimeout(timer);
    if (!answered) log.warn("Worker did not close in time after a second signal");
  }
  for (const [sig, handler] of [...handlers, ...forceHandlers]) {
    Deno.removeSignalListener(sig, handler);
  }
  worker.terminate();
  if (config.dataDir === ":memory:") {
    await Deno.remove(workRoot, { recursive: true }).catch(() => {});
    if (starterRoot !== undefined) {
      await Deno.remove(starterRoot, { recursive: true }).catch(() => {});
    }
  }
  return exitCode;
}

/**
 * Why a node holds no skill, from the loader's problems: the skills directories that
 * were not found (a relative `--skills-dir` is resolved against the directory the node
 * started in, a common surprise).
 */
function noSkillsReason(problems: readonly { dir: string; message: string }[]): string | undefined {
  const missing = problems.filter((p) => p.message === SKILLS_DIR_NOT_FOUND);
  if (missing.length === 0) return undefined;
  return `skills directory not found: ${
    missing.map((p) => p.dir).join(", ")
  } (a relative --skills-dir is resolved against the directory the node started in)`;
}
