/**
 * A node's network side built from its parts: the HTTP API, the task runner and router,
 * the peer side (routing table, health, membership, seeds), the event bus and its
 * subscribers (log lines, metrics, the task ledger, the `/events` stream), and the
 * store. Effects come in through {@link NodeDeps}, so a node can be composed in a test
 * with a fake clock, an in-memory store and a scripted executor.
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import { retryPolicyOf } from "../config/mod.ts";
import { formatHostPort } from "../config/mod.ts";
import type { MdnsPeer } from "../discovery/mod.ts";
import { Admission, type Executor } from "../execution/mod.ts";
import { createApp, Inflight, startHttpServer, TaskTracker } from "../http/mod.ts";
import {
  EventBus,
  type EventHook,
  EventStreamHub,
  logEvents,
  NodeMetrics,
  TaskLedger,
  withSpan,
} from "../observability/mod.ts";
import { currentTask, logger } from "../log/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { type Peer, Router } from "../routing/mod.ts";
import {
  forwardingFor,
  type Keyring,
  keyringVerifier,
  parseKeyring,
  RateLimiter,
  type Revocation,
} from "../security/mod.ts";
import { KvPeerTable, KvTaskStore, openStore } from "../store/mod.ts";
import { type Clock, type Repeater, repeatEvery, systemClock } from "../time/mod.ts";
import { type ReleaseInstaller, SyncRefusalError } from "../sync/mod.ts";
import { skillSyncSide } from "./skill_sync_side.ts";
import { drain } from "./drain.ts";
import { interfaceAddresses } from "./interface_addresses.ts";
import type { DiscoveryState, SkillSummary, WorkerInit } from "./messages.ts";
import { OutboundTls } from "./outbound.ts";
import { PeerSide } from "./peer_side.ts";
import type { SecurityMaterial } from "./security_material.ts";
import { statusExtras } from "./status_extras.ts";
import { TaskRunner } from "./task_runner.ts";

/** Longest request path kept in an `auth_failed` event or log line. */
const MAX_EVENT_PATH_CHARS = 256;

/** The effects a node is composed from. Only `executor` has no default. */
export interface NodeDeps {
  /** Runs the tasks this node takes itself (in the worker: the bridge to the main process). */
  executor: Pick<Executor, "execute">;
  /** Time and timers. @default {systemClock} */
  clock?: Clock;
  /** Opens the node's Deno KV store for a data directory. @default {openStore} */
  openStore?: (dataDir: string) => Promise<Deno.Kv>;
  /**
   * Makes the client of one peer, given the fetch that verifies https peers against the
   * mesh CA. @default a `SwarmClient` with the node token and the peer result limit
   */
  peerClient?: (peer: Peer, fetcher: typeof fetch) => SwarmClient;
  /** Receives every event too (besides the log, metrics, ledger and `/events`). */
  onEvent?: EventHook;
  /** Called once the HTTP server listens, before the store opens. */
  onListening?: (address: { host: string; port: number; url: string }) => void;
  /**
   * Installs synced skills (in the worker: the bridge to the main process's store).
   * @default {a release store in this process}
   */
  installer?: ReleaseInstaller;
}

/** A composed node. */
export interface NodeHandle {
  /** The node's event bus. */
  readonly events: EventBus;
  /**
   * Listens, opens the store, starts the peer side and announces `swarm_started`.
   * @throws {Error} When the address cannot be bound or the store cannot be opened.
   */
  start(): Promise<void>;
  /** The skills this node holds changed (the main process reloaded them). */
  setSkills(skills: SkillSummary[], capabilities: string[], executor: string): void;
  /** The mDNS side reported a new state. */
  setDiscovery(discovery: DiscoveryState): void;
  /** Applies rotated TLS material or a changed keyring; keeps the old one on failure. */
  reloadSecurity(material: SecurityMaterial): Promise<void>;
  /**
   * Takes a release signed on this node (an agent's new skill) as if a publisher had
   * handed it over; a refusal is reported as an event, not thrown.
   */
  receiveRelease(envelope: unknown): Promise<void>;
  /** A peer announced itself on mDNS. */
  mdnsUp(peer: MdnsPeer): Promise<void>;
  /** A peer left mDNS (goodbye or expiry). */
  mdnsDown(id: string, reason: string): Promise<void>;
  /**
   * Stops taking work, drains in-flight tasks (up to `drainTimeoutMs`, then aborts them),
   * and closes the server and the store. Waits for a start under way first.
   */
  stop(): Promise<void>;
  /**
   * Ends every task now (a second stop signal) without waiting for the drain: each
   * caller gets its answer — `draining` for a task that never started, and for one that
   * did, an `execution_failed` saying it may have had effects — before {@link stop}
   * closes the server.
   */
  force(): void;
}

/**
 * Builds a node from `init` (its configuration, identity and start data) and `deps`.
 * Nothing listens before {@link NodeHandle.start}.
 *
 * @example
 * ```ts ignore
 * import { composeNode } from "./compose_node.ts";
 * const node = composeNode(init, { executor });
 * await node.start();
 * // …
 * await node.stop();
 * ```
 */
export function composeNode(init: WorkerInit, deps: NodeDeps): NodeHandle {
  const { config, nodeId } = init;
  const clock = deps.clock ?? systemClock;
  const log = logger("node");
  const state = { ready: false, draining: false, reason: "Starting" };

  const bus = new EventBus(nodeId);
  logEvents(bus, log);
  if (deps.onEvent) bus.subscribe(deps.onEvent);
  const ledger = new TaskLedger();
  bus.subscribe(ledger.hook);
  const admission = new Admission({
    maxConcurrent: config.maxConcurrentTasks,
    maxQueued: config.maxQueuedTasks,
  });
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

  const outbound = new OutboundTls(init.security);
  /** Token ids revoked by statements that arrived by skill sync's gossip. */
  let gossipRevoked: Revocation[] = [];
  const buildVerifier = (text: string | undefined) =>
    keyringVerifier(text, {
      maxLifetimeMs: config.maxTokenLifetimeMs,
      extraRevoked: gossipRevoked,
    });
  /** Checks scoped tokens against the keyring; loaded by `start`, replaced on reload. */
  let verifier: Awaited<ReturnType<typeof keyringVerifier>>;
  /** The keyring's public keys, parsed once per keyring text, for signed revocations. */
  let parsedKeyring: { text: string; keyring: Keyring | undefined } | undefined;
  const loadKeyring = (): Keyring | undefined => {
    const text = init.security.keyring;
    if (text === undefined) return undefined;
    if (parsedKeyring?.text !== text) {
      let keyring: Keyring | undefined;
      try {
        keyring = parseKeyring(text);
      } catch {
        keyring = undefined; // The verifier reports a bad keyring; sync trusts no revocation.
      }
      parsedKeyring = { text, keyring };
    }
    return parsedKeyring.keyring;
  };
  const peers = new PeerSide({
    config,
    nodeId,
    security: () => init.security,
    fetch: outbound.fetch,
    clock,
    events: bus,
    log: (message, props) => log.info(message, props),
  });
  const peerClient = deps.peerClient ??
    ((peer: Peer, fetch: typeof globalThis.fetch) =>
      new SwarmClient({
        url: `${peer.scheme}://${peer.address}`,
        token: config.nodeToken,
        fetch,
        maxResultBytes: config.maxPeerResultBytes,
      }));

  const tracker = new TaskTracker();
  const inflight = new Inflight();
  const shutdown = new AbortController();
  const storeReady = Promise.withResolvers<KvTaskStore>();
  /** Fields of the task the current async work belongs to, for task events. */
  const taskFields = () => {
    const t = currentTask();
    return { task_id: t?.task_id ?? "", trace_id: t?.trace_id ?? "", hop: t?.hop ?? 0 };
  };

  const router = new Router({
    selfId: nodeId,
    maxHops: config.maxHops,
    localCapabilities: () => init.capabilities,
    peers: () => peers.routable(),
    executeLocal: async (task, options) => {
      const release = await admission.acquire(options.signal);
      const started = clock.now();
      let skill: string | undefined;
      try {
        const result = await deps.executor.execute(task, {
          capabilities: options.capabilities,
          grant: options.grant,
          signal: options.signal,
          onProgress: (p) => skill = p.skill ?? skill,
        });
        bus.emit({
          type: "task_executed",
          ...taskFields(),
          ...(skill ? { skill } : {}),
          duration_ms: Math.round(clock.now() - started),
          completed: result.task_completed,
        });
        return result;
      } finally {
        release();
      }
    },
    clientFor: (peer) => peerClient(peer, outbound.fetch),
    llm: config.llm,
    canDoTimeoutMs: config.canDoTimeoutMs,
    forwardTimeoutMs: config.forwardTimeoutMs,
    retryPolicy: retryPolicyOf(config),
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
    onForwardOutcome: (peer, outcome) => peers.forwardOutcome(peer, outcome),
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
    clock,
  });

  const sync = skillSyncSide({
    config,
    nodeId,
    peers: () => peers.routable(),
    fetch: outbound.fetch,
    emit: (event) => bus.emit(event),
    installer: deps.installer,
    loadKeyring,
    onRevocations: (revoked) => {
      gossipRevoked = revoked;
      buildVerifier(init.security.keyring).then(
        (next) => verifier = next,
        (err) => log.error("Cannot apply gossiped revocations", { error: String(err) }),
      );
    },
    log: (message, props) => log.error(message, props),
  });
  let syncLoop: Repeater | undefined;

  const ready = () => state.ready && !state.draining;
  /** This machine's addresses for the membership challenge, cached for a few seconds. */
  const ownAddresses = interfaceAddresses(() => clock.now());
  const app = createApp({
    nodeId,
    token: () => config.token,
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
    readiness: () => ({ ready: ready(), reason: state.reason, draining: state.draining }),
    localCapabilities: () => init.capabilities,
    statusExtras: async () => ({
      ...await statusExtras(init, () => peers.annotated(), () => ({
        ready: ready(),
        inFlight: tracker.ids(),
        ledger,
        load: { running: admission.running, queued: admission.queued },
      })),
      ...(sync ? { sync: (await sync.view()) ?? null } : {}),
    }),
    logError: (message, props) => log.error(message, props),
    // Paths are the caller's text: cut short so refusals cannot pin much in the event ring.
    onForbidden: (scope, subject, fullPath) =>
      bus.emit({
        type: "auth_failed",
        reason: "forbidden",
        path: fullPath.slice(0, MAX_EVENT_PATH_CHARS),
        scope,
        subject,
      }),
    events: hub,
    sync: sync?.routes,
    meshHello: {
      nodeId,
      token: () => config.token,
      bodyTimeoutMs: config.bodyTimeoutMs,
      self: () => ({
        host: init.config.listen.host,
        port: init.config.listen.port,
        interfaces: ownAddresses,
      }),
    },
    metrics: async () => {
      peersByState = await peers.countByState();
      return await metrics.render();
    },
  }, {
    authFailureLimiter: new RateLimiter({
      ratePerSecond: config.authFailureRatePerSecond,
      burst: config.authFailureBurst,
    }),
    onAuthFailure: (reason, fullPath, source) =>
      bus.emit({
        type: "auth_failed",
        reason,
        path: fullPath.slice(0, MAX_EVENT_PATH_CHARS),
        source,
      }),
  });

  let server: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  let kv: Deno.Kv | undefined;
  let starting: Promise<void> | undefined;

  async function start(): Promise<void> {
    verifier = await buildVerifier(init.security.keyring);
    const { host, port } = config.listen;
    server = await startHttpServer({
      hostname: host,
      port,
      tls: init.security.tls,
      maxHeaderBytes: config.maxHeaderBytes,
      headerTimeoutMs: config.headerTimeoutMs,
      requestTimeoutMs: config.headerTimeoutMs + config.bodyTimeoutMs,
      allowedHosts: config.allowedHosts,
      handler: (request, caller) => app.fetch(request, caller),
    }).catch((err) => {
      // The operator's fix is another --listen address (or stopping what holds it).
      throw new SwarmError(
        "config_invalid",
        `Cannot listen on ${formatHostPort(host, port)}: ${err.message}`,
      );
    });
    const addr = server.addr;
    const url = `${server.scheme}://${formatHostPort(addr.hostname, addr.port)}`;
    // A port of 0 was given a real one: status and the membership challenge need it.
    init.config = { ...config, listen: { host: addr.hostname, port: addr.port } };
    deps.onListening?.({ host: addr.hostname, port: addr.port, url });

    kv = await (deps.openStore ?? openStore)(config.dataDir);
    storeReady.resolve(
      new KvTaskStore(kv, {
        retentionMs: config.taskRetentionMs,
        processStartedMs: init.startedAtMs,
      }),
    );
    await peers.start(new KvPeerTable(kv));
    if (sync) {
      await sync.open();
      // The first round runs at once: a node that was down catches up on start.
      syncLoop = repeatEvery(config.syncIntervalMs, () => sync.round(), clock);
    }
    state.ready = true;
    state.reason = "";
    bus.emit({
      type: "swarm_started",
      url,
      version: init.version,
      capabilities: init.capabilities,
      skills: init.skills.length,
      starter_skills: init.skills.some((s) => s.origin === "starter"),
      executor: init.executor,
      peers: config.peers.length,
    });
  }

  return {
    events: bus,
    start() {
      starting ??= start();
      return starting;
    },
    setSkills(skills, capabilities, executor) {
      Object.assign(init, { skills, capabilities, executor });
      bus.emit({ type: "capabilities_changed", capabilities });
    },
    setDiscovery(discovery) {
      init.discovery = discovery;
    },
    async reloadSecurity(material) {
      const changed = [];
      try {
        if (material.keyring !== init.security.keyring) {
          verifier = await buildVerifier(material.keyring);
          changed.push("keyring");
        }
        if (JSON.stringify(material.tls) !== JSON.stringify(init.security.tls)) {
          if (!material.tls) throw new Error("TLS cannot be turned off without a restart");
          if (!server) throw new Error("The server is not listening yet");
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
    async receiveRelease(envelope) {
      await sync?.routes.receive(envelope, "publisher").catch((err) => {
        // Refusals are events already; anything else is the node's own fault.
        if (!(err instanceof SyncRefusalError)) {
          log.error("Cannot take a locally published release", { error: String(err) });
        }
      });
    },
    mdnsUp: (peer) => peers.mdnsUp(peer),
    mdnsDown: (id, reason) => peers.mdnsDown(id, reason),
    force() {
      shutdown.abort(
        new SwarmError("draining", "Node stopped at once (a second stop signal)", {
          retry_after_s: 1,
        }),
      );
    },
    async stop() {
      await starting?.catch(() => {});
      bus.emit({ type: "swarm_stopping", reason: "signal" });
      state.draining = true;
      state.reason = "Draining";
      peers.stop();
      syncLoop?.stop();
      const outcome = await drain({ tracker, inflight }, {
        timeoutMs: config.drainTimeoutMs,
        clock,
        onTimeout: () => {
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
        },
      });
      hub.close();
      await server?.shutdown();
      outbound.close();
      kv?.close();
      log.info("swarm_stopped", {
        node_id: nodeId,
        drained_tasks: outcome.inFlight,
        clean: outcome.drained,
      });
    },
  };
}
