/**
 * Entry of the network worker: the part of a node that faces the network (HTTP API,
 * forwarding, peer probes, Deno KV). It runs with the narrow Deno grant computed by
 * `workerPermissions`, so loopback-only is enforced by the runtime, not only by checks.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SwarmClient } from "../client/client.ts";
import { formatHostPort } from "../config/listen_address.ts";
import { createApp } from "../http/app.ts";
import { TaskTracker } from "../http/task_tracker.ts";
import { logger, setupLogging } from "../observability/log.ts";
import { StaticPeerSource } from "../peers/static_source.ts";
import { Router } from "../routing/router.ts";
import { DEFAULT_RETRY_POLICY } from "../routing/retry_policy.ts";
import { Admission } from "../execution/admission.ts";
import { Inflight } from "../http/inflight.ts";
import { HealthChecker } from "../peers/health_checker.ts";
import { DEFAULT_HEALTH_POLICY, validateHealthPolicy } from "../peers/health_state.ts";
import { KvTaskStore } from "../store/task_store.ts";
import { SwarmError } from "../protocol/errors.ts";
import { TaskRunner } from "./task_runner.ts";
import { EventBus } from "../observability/events.ts";
import { TaskLedger } from "../observability/task_ledger.ts";
import { NodeMetrics } from "../observability/metrics.ts";
import { EventStreamHub } from "../observability/event_stream.ts";
import { withSpan } from "../observability/otel.ts";
import { currentTask } from "../observability/task_context.ts";
import type { Peer } from "../routing/types.ts";
import { KvPeerTable } from "../store/peer_table.ts";
import { openStore } from "../store/open_store.ts";
import { BridgeExecutor } from "./bridge_executor.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./messages.ts";
import { statusExtras } from "./status_extras.ts";
import { startHttpServer } from "../http/server.ts";
import { OutboundTls } from "./outbound.ts";
import type { SecurityMaterial } from "./security_material.ts";
import { forwardingFor, peerUsable } from "../security/forwarding.ts";
import { RateLimiter } from "../security/token_bucket.ts";
import { keyringVerifier } from "../security/keyring_verifier.ts";
import { MembershipChecker } from "../peers/membership_checker.ts";
import { trusted, type TrustSettings } from "../security/peer_trust.ts";

const post = (message: FromWorker) => self.postMessage(message);
/** Longest request path kept in an `auth_failed` event or log line. */
const MAX_EVENT_PATH_CHARS = 256;
/** How long a settled membership proof holds before the peer is asked again, in ms. */
const MEMBERSHIP_RECHECK_MS = 60_000;
/** How long to wait before asking a peer that could not be reached again, in ms. */
const MEMBERSHIP_RETRY_MS = 1_000;
/** How long the interface list of a wildcard bind is reused, in ms. */
const INTERFACES_TTL_MS = 5_000;
const bridge = new BridgeExecutor(post);

let interfaces: { atMs: number; addresses: string[] } | undefined;

/**
 * This machine's interface addresses (the worker may list them only on a wildcard
 * bind, where the membership challenge needs them); empty when it may not.
 */
function interfaceAddresses(): string[] {
  const now = Date.now();
  if (interfaces && now - interfaces.atMs < INTERFACES_TTL_MS) return interfaces.addresses;
  let addresses: string[] = [];
  try {
    addresses = Deno.networkInterfaces().map((i) => i.address);
  } catch {
    // No `sys` grant: a specific bind address, which needs no list.
  }
  interfaces = { atMs: now, addresses };
  return addresses;
}

/** A started node, as the message handler needs it. */
interface Running {
  init: WorkerInit;
  /** Resolves with the routing table once the store is open. */
  table: Promise<KvPeerTable>;
  /** Applies rotated TLS material or a changed keyring. */
  reloadSecurity(material: SecurityMaterial): Promise<void>;
  stop(): Promise<void>;
}
let running: Running | null = null;
/** The node's event bus, once started. */
let events: EventBus | null = null;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      try {
        await start(message.init);
      } catch (err) {
        post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
      }
      break;
    case "exec-progress":
      bridge.progress(message.id, message.skill);
      break;
    case "exec-result":
      bridge.settle(message.id, message.result);
      break;
    case "exec-error":
      bridge.fail(message.id, message.error);
      break;
    case "skills":
      if (running) {
        Object.assign(running.init, {
          skills: message.skills,
          capabilities: message.capabilities,
          executor: message.executor,
        });
        events?.emit({ type: "capabilities_changed", capabilities: message.capabilities });
      }
      break;
    case "discovery":
      if (running) running.init.discovery = message.discovery;
      break;
    case "security":
      await running?.reloadSecurity(message.material);
      break;
    case "mdns-peer-up":
    case "mdns-peer-down":
      await applyMdnsPeer(message);
      break;
    case "stop":
      await running?.stop();
      post({ type: "stopped" });
      break;
  }
};

async function applyMdnsPeer(
  message: Extract<ToWorker, { type: "mdns-peer-up" | "mdns-peer-down" }>,
): Promise<void> {
  if (!running) return;
  const table = await running.table;
  const log = logger("discovery");
  if (message.type === "mdns-peer-down") {
    await table.forget(message.id, "mdns");
    log.info("peer_left", { peer: message.id, reason: message.reason, source: "mdns" });
    events?.emit({ type: "peer_left", peer: message.id, source: "mdns", reason: message.reason });
    return;
  }
  const { peer } = message;
  const known = (await table.list()).find((p) => p.id === peer.id);
  await table.report({ ...peer, source: "mdns" });
  if (!known?.sources.includes("mdns")) {
    events?.emit({
      type: "peer_joined",
      peer: peer.id,
      address: peer.address,
      source: "mdns",
      capabilities: peer.capabilities,
    });
    log.info("peer_joined", {
      peer: peer.id,
      address: peer.address,
      capabilities: peer.capabilities,
      source: "mdns",
    });
  }
}

/** Starts the node; registers it in `running` as soon as messages can be handled. */
async function start(init: WorkerInit): Promise<void> {
  const { config, nodeId } = init;
  setupLogging(config.logLevel, config.logFormat === "pretty" ? "pretty" : "json");
  const log = logger("node");
  const state = { ready: false, draining: false, reason: "Starting" };
  const tracker = new TaskTracker();
  const bus = new EventBus(nodeId);
  events = bus;
  const ledger = new TaskLedger();
  bus.subscribe(ledger.hook);
  /** Peer counts by health state, refreshed before each scrape. */
  let peersByState: Record<string, number> = {};
  const metrics = new NodeMetrics({
    nodeId,
    version: init.version,
    gauges: () => ({ peersByState, queued: admission.queued, running: admission.running }),
  });
  bus.subscribe(metrics.hook);
  const hub = new EventStreamHub();
  hub.attach(bus);
  /** Fields of the task the current async work belongs to, for task events. */
  const taskFields = () => {
    const t = currentTask();
    return { task_id: t?.task_id ?? "", trace_id: t?.trace_id ?? "", hop: t?.hop ?? 0 };
  };
  const token = () => config.token;
  const nodeToken = () => config.nodeToken;
  const outbound = new OutboundTls(init.security);
  const verifierOptions = { maxLifetimeMs: config.maxTokenLifetimeMs };
  let verifier = await keyringVerifier(init.security.keyring, verifierOptions);
  const shutdown = new AbortController();
  const reachable = (peer: Peer) =>
    peerUsable(peer, {
      tls: init.security.tls !== undefined,
      allowPlainPeers: config.allowPlainPeers,
    });
  let tableRows: () => Promise<Peer[]> = () => Promise.resolve([]);
  const clientFor = (peer: Peer) =>
    new SwarmClient({
      url: `${peer.scheme}://${peer.address}`,
      token: config.nodeToken,
      fetch: outbound.fetch,
      maxResultBytes: config.maxPeerResultBytes,
    });
  /** What this node holds that peers must prove themselves worthy of. */
  const trustSettings = (): TrustSettings => ({
    credentials: config.token !== undefined || config.nodeToken !== undefined ||
      init.security.keyring !== undefined,
    sharedToken: config.token !== undefined,
    meshCa: init.security.peerCa !== undefined,
    allowSkillLitePeers: config.allowSkillLitePeers,
  });
  const membership = new MembershipChecker({
    selfId: nodeId,
    peers: async () => (await tableRows()).filter(reachable),
    settings: trustSettings,
    token,
    tls: () => ({
      ca: init.security.peerCa,
      cert: init.security.tls?.cert,
      key: init.security.tls?.key,
    }),
    fetch: outbound.fetch,
    timeoutMs: config.canDoTimeoutMs,
    recheckMs: MEMBERSHIP_RECHECK_MS,
    retryMs: MEMBERSHIP_RETRY_MS,
    onChange: (peer, decision) =>
      log.info("peer_trust", {
        peer: peer.id,
        address: peer.address,
        trust: decision.trust,
        reason: decision.reason,
      }),
  });
  const health = new HealthChecker({
    policy: validateHealthPolicy({
      ...DEFAULT_HEALTH_POLICY,
      intervalMs: config.healthIntervalMs,
      timeoutMs: config.healthTimeoutMs,
      deadAfterFailures: config.deadAfterFailures,
    }),
    peers: async () => (await tableRows()).filter(reachable),
    fetch: outbound.fetch,
    onChange: (peer, from, to) => {
      log.info("peer_state", { peer: peer.id, from, to });
      bus.emit({ type: "peer_state_changed", peer: peer.id, from, to });
    },
  });
  /** The routing table with health and trust applied (dead and unproven peers included, for status). */
  const annotatedPeers = async () => membership.annotate(health.annotate(await tableRows()));
  const admission = new Admission({
    maxConcurrent: config.maxConcurrentTasks,
    maxQueued: config.maxQueuedTasks,
  });
  const inflight = new Inflight();
  const storeReady = Promise.withResolvers<KvTaskStore>();

  const router = new Router({
    selfId: nodeId,
    maxHops: config.maxHops,
    localCapabilities: () => init.capabilities,
    // Peers that have not proven mesh membership never get a task or a credential. Dead
    // peers (left out of candidates by the routing rules too) are dropped first so a
    // task never waits on a first proof of a peer that does not answer.
    peers: async () => {
      const live = health.annotate(await tableRows())
        .filter((p) => p.state !== "dead" && reachable(p));
      return (await membership.annotateProven(live)).filter((p) => trusted(p.trust));
    },
    executeLocal: async (task, options) => {
      const release = await admission.acquire(options.signal);
      const started = performance.now();
      let skill: string | undefined;
      try {
        const result = await bridge.execute(task, {
          capabilities: options.capabilities,
          grant: options.grant,
          signal: options.signal,
          onProgress: (p) => skill = p.skill ?? skill,
        });
        bus.emit({
          type: "task_executed",
          ...taskFields(),
          ...(skill ? { skill } : {}),
          duration_ms: Math.round(performance.now() - started),
          completed: result.task_completed,
        });
        return result;
      } finally {
        release();
      }
    },
    clientFor,
    llm: config.llm,
    canDoTimeoutMs: config.canDoTimeoutMs,
    forwardTimeoutMs: config.forwardTimeoutMs,
    retryPolicy: {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: config.maxForwardAttempts,
      baseDelayMs: config.retryBaseDelayMs,
      maxDelayMs: config.retryMaxDelayMs,
    },
    onForwardAttempt: async (task, peer, attempt) => {
      bus.emit({ type: "task_forwarded", ...taskFields(), peer: peer.id, attempt });
      await (await storeReady.promise).setOwner(task.id, peer.id).catch(() => {});
    },
    onRetry: (_task, failed) =>
      bus.emit({
        type: "task_retried",
        ...taskFields(),
        peer: failed.peer.id,
        attempt: failed.attempt,
        error: failed.error,
        delay_ms: failed.delayMs,
      }),
    // Every forward's outcome is a health sample: an answer keeps a peer whose probes
    // time out from being marked dead; no answer makes it suspect.
    onForwardOutcome: (peer, outcome) => health.forwardOutcome(peer, outcome),
    onRouted: (info) => {
      log.info("task_routed", { ...info, durationMs: Math.round(info.durationMs) });
      const scope = currentTask();
      if (scope) scope.outcome = { route: info.route, ...(info.peer ? { peer: info.peer } : {}) };
    },
    span: withSpan,
    onRouteDecided: (info) =>
      bus.emit({
        type: "task_routed",
        ...taskFields(),
        route: info.route,
        required_capabilities: info.required,
        ...(info.inference ? { inference: info.inference.source } : {}),
      }),
  });
  const runner = new TaskRunner({
    router,
    store: () => storeReady.promise,
    inflight,
    taskTimeoutMs: config.taskTimeoutMs,
    shutdown: shutdown.signal,
    log: (message, props) => log.info(message, props),
    events: bus,
    nodeId,
    forwarding: (grant) => forwardingFor(grant, config),
  });

  const app = createApp({
    nodeId,
    token,
    verifyToken: () => verifier,
    maxBodyBytes: config.maxBodyBytes,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxHeaderBytes: config.maxHeaderBytes,
    maxHeaders: config.maxHeaders,
    taskRateLimiter: config.taskRatePerSecond > 0
      ? new RateLimiter({ ratePerSecond: config.taskRatePerSecond, burst: config.taskRateBurst })
      : undefined,
    router: runner,
    tracker,
    load: () => ({ running: admission.running, queued: admission.queued }),
    readiness: () => ({
      ready: state.ready && !state.draining,
      reason: state.reason,
      draining: state.draining,
    }),
    localCapabilities: () => init.capabilities,
    statusExtras: () =>
      statusExtras(init, annotatedPeers, () => ({
        ready: state.ready && !state.draining,
        inFlight: tracker.ids(),
        ledger,
        load: { running: admission.running, queued: admission.queued },
      })),
    logError: (message, props) => log.error(message, props),
    onForbidden: (scope, subject, fullPath) => {
      const path = fullPath.slice(0, MAX_EVENT_PATH_CHARS);
      log.info("auth_forbidden", { scope, subject, path });
      bus.emit({ type: "auth_failed", reason: "forbidden", path, scope });
    },
    events: hub,
    meshHello: {
      nodeId,
      token,
      bodyTimeoutMs: config.bodyTimeoutMs,
      self: () => ({
        host: init.config.listen.host,
        port: init.config.listen.port,
        interfaces: interfaceAddresses,
      }),
    },
    metrics: async () => {
      const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0 };
      for (const peer of await annotatedPeers()) counts[peer.state ?? "alive"]++;
      peersByState = counts;
      return await metrics.render();
    },
  }, {
    authFailureLimiter: new RateLimiter({
      ratePerSecond: config.authFailureRatePerSecond,
      burst: config.authFailureBurst,
    }),
    // Paths are the caller's text: cut short so refusals cannot pin much in the event ring.
    onAuthFailure: (reason, fullPath, source) => {
      const path = fullPath.slice(0, MAX_EVENT_PATH_CHARS);
      log.info("auth_failed", { reason, path, source });
      bus.emit({ type: "auth_failed", reason, path, source });
    },
  });

  const tableReady = Promise.withResolvers<KvPeerTable>();
  const { host, port } = config.listen;
  const server = await startHttpServer({
    hostname: host,
    port,
    tls: init.security.tls,
    maxHeaderBytes: config.maxHeaderBytes,
    headerTimeoutMs: config.headerTimeoutMs,
    requestTimeoutMs: config.headerTimeoutMs + config.bodyTimeoutMs,
    allowedHosts: config.allowedHosts,
    handler: (request, caller) => app.fetch(request, caller),
  }).catch((err) => {
    throw new Error(`Cannot listen on ${formatHostPort(host, port)}: ${err.message}`);
  });
  const addr = server.addr;
  const url = `${server.scheme}://${formatHostPort(addr.hostname, addr.port)}`;
  const lifecycle = { stop: () => Promise.resolve() };
  running = {
    init,
    table: tableReady.promise,
    stop: () => lifecycle.stop(),
    reloadSecurity: async (material) => {
      const changed = [];
      try {
        if (material.keyring !== init.security.keyring) {
          verifier = await keyringVerifier(material.keyring, verifierOptions);
          changed.push("keyring");
        }
        if (JSON.stringify(material.tls) !== JSON.stringify(init.security.tls)) {
          if (!material.tls) throw new Error("TLS cannot be turned off without a restart");
          await server.reload(material.tls);
          changed.push("tls");
        }
        if (changed.includes("tls") || material.peerCa !== init.security.peerCa) {
          outbound.update(material);
        }
        init.security = material;
        log.info("security_reloaded", { changed });
      } catch (err) {
        log.error("Security material not reloaded: keeping the previous one", {
          error: (err as Error).message,
        });
      }
    },
  };
  init.config = { ...config, listen: { host: addr.hostname, port: addr.port } };
  post({ type: "listening", host: addr.hostname, port: addr.port, url });

  const kv = await openStore(config.dataDir);
  const table = new KvPeerTable(kv);
  // Discovered peers of an earlier run are rediscovered (or not): start from none.
  for (const peer of await table.list()) {
    if (peer.sources.includes("mdns")) await table.forget(peer.id, "mdns");
  }
  tableReady.resolve(table);
  tableRows = () => table.list();
  storeReady.resolve(
    new KvTaskStore(kv, {
      retentionMs: config.taskRetentionMs,
      processStartedMs: init.startedAtMs,
    }),
  );
  health.start();
  membership.start();
  const source = new StaticPeerSource({
    seeds: config.peers,
    selfId: nodeId,
    table,
    // The node's token goes to a seed only once it has proven mesh membership.
    credential: async (seed) =>
      trusted((await membership.proveSeed(seed)).trust) ? nodeToken() : undefined,
    fetch: outbound.fetch,
    intervalMs: config.peerProbeIntervalMs,
    timeoutMs: config.canDoTimeoutMs,
    log: (message, props) => {
      log.info(message, props);
      if (message === "peer_joined") {
        bus.emit({
          type: "peer_joined",
          peer: String(props.peer),
          address: String(props.address),
          source: "static",
          capabilities: props.capabilities as string[],
        });
      }
    },
  });
  await source.start();
  state.ready = true;
  state.reason = "";
  bus.emit({ type: "swarm_started", url, version: init.version, capabilities: init.capabilities });
  log.info("swarm_started", {
    node_id: nodeId,
    url,
    version: init.version,
    capabilities: init.capabilities,
    skills: init.skills.length,
    executor: init.executor,
    peers: config.peers.length,
    net: init.permissions.net,
  });

  lifecycle.stop = async () => {
    bus.emit({ type: "swarm_stopping", reason: "signal" });
    state.draining = true;
    state.reason = "Draining";
    source.stop();
    const inFlight = tracker.size + inflight.size;
    const idle = async () => {
      await tracker.idle();
      // Runs whose caller went away are still in flight: their results are stored.
      while (inflight.size > 0) await new Promise((r) => setTimeout(r, 50));
    };
    const drained = await Promise.race([
      idle().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), config.drainTimeoutMs)),
    ]);
    if (!drained) {
      log.warn("Drain timeout: stopping the tasks still running", {
        running: tracker.size,
        drain_timeout_ms: config.drainTimeoutMs,
      });
      shutdown.abort(
        new SwarmError(
          "draining",
          `Node shut down before the task finished (drain timeout ${config.drainTimeoutMs} ms)`,
        ),
      );
      await Promise.race([idle(), new Promise((r) => setTimeout(r, 2_000))]);
    }
    health.stop();
    membership.stop();
    hub.close();
    await server.shutdown();
    outbound.close();
    kv.close();
    log.info("swarm_stopped", { node_id: nodeId, drained_tasks: inFlight, clean: drained });
  };
}
