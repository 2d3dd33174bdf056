/**
 * Prometheus metrics of a node, derived only from its typed events (plus three gauges
 * read at scrape time), rendered in the Prometheus text format by `npm:prom-client`.
 *
 * Label values stay bounded, so the number of series does too: `route`, `stream`,
 * `completed`, `state`, `source`, `event`, `to` and `reason` take values from small
 * fixed sets in the code that emits the events; `peer` is bounded by the peers the node
 * has known (routing table); `skill` by the loaded skills (`none` when a run had no
 * skill); `code` and `error` are {@link ERROR_STATUS} codes, anything else is counted
 * as `other`.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ERROR_STATUS } from "../protocol/mod.ts";
import type { EventHook, NodeEvent } from "./events.ts";
import { logger } from "../log/mod.ts";

/**
 * Histogram buckets for task latency, in seconds: from 5 ms (a local calculator skill)
 * to 2 minutes (an LLM-backed skill several hops away).
 */
export const TASK_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
];

/** Instantaneous values read at every scrape. */
export interface GaugeSnapshot {
  /** Number of known peers in each health state, e.g. `{ alive: 2, dead: 1 }`. */
  peersByState: Record<string, number>;
  /** Tasks admitted and waiting for an execution slot. */
  queued: number;
  /** Tasks executing now. */
  running: number;
}

/** Options of {@link NodeMetrics}. */
export interface NodeMetricsOptions {
  /** This node's id: the `node_id` label of `swarm_build_info`. */
  nodeId: string;
  /** swarm's version: the `version` label of `swarm_build_info`. */
  version: string;
  /**
   * Reads the gauges `swarm_peers{state}`, `swarm_queue_depth` and
   * `swarm_running_tasks`; called at every scrape, so it must be cheap and synchronous.
   * A throw makes {@link NodeMetrics.render} reject.
   */
  gauges: () => GaugeSnapshot;
}

/** The text of a scrape: what `GET /metrics` answers. */
export interface RenderedMetrics {
  /** The Prometheus text format's content type. */
  contentType: string;
  /** The metrics in that format. */
  body: string;
}

const log = logger("metrics");

/** An error code as a bounded label value. */
function codeLabel(code: string): string {
  return Object.hasOwn(ERROR_STATUS, code) ? code : "other";
}

/**
 * A node's Prometheus metrics on a private registry (never prom-client's global one, and
 * without prom-client's default process collectors, which report zeros or wrong values
 * in the permission-scoped network worker). Subscribe {@link NodeMetrics.hook} to the
 * node's event bus; serve {@link NodeMetrics.render} at `GET /metrics`.
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * import { NodeMetrics } from "./metrics.ts";
 * const metrics = new NodeMetrics({
 *   nodeId: "node-1",
 *   version: "0.1.0",
 *   gauges: () => ({ peersByState: { alive: 2 }, queued: 0, running: 1 }),
 * });
 * const bus = new EventBus("node-1");
 * bus.subscribe(metrics.hook);
 * bus.emit({ type: "auth_failed", reason: "missing", path: "/task" });
 * const { body } = await metrics.render();
 * console.assert(body.includes('swarm_auth_failures_total{reason="missing"} 1'));
 * console.assert(body.includes('swarm_peers{state="alive"} 2'));
 * ```
 */
export class NodeMetrics {
  readonly #registry = new Registry();
  readonly #received: Counter<"stream">;
  readonly #completed: Counter<"route" | "completed">;
  readonly #failed: Counter<"route" | "code">;
  readonly #taskDuration: Histogram<"route">;
  readonly #executionDuration: Histogram<"skill">;
  readonly #forwards: Counter<"peer">;
  readonly #retries: Counter<"peer" | "error">;
  readonly #dedupHits: Counter<"state">;
  readonly #authFailures: Counter<"reason">;
  readonly #peerEvents: Counter<"event" | "source">;
  readonly #peerStateChanges: Counter<"to">;
  readonly #skillReleases: Counter<"verdict">;
  readonly #skillRefusals: Counter<"reason">;
  readonly #skillInstalls: Counter;

  /** Creates and registers every metric; `swarm_build_info` is set to 1 at once. */
  constructor(options: NodeMetricsOptions) {
    const { nodeId, version, gauges } = options;
    const registers = [this.#registry];
    new Gauge({
      name: "swarm_build_info",
      help: "Always 1; labels name the swarm version and node id",
      labelNames: ["version", "node_id"],
      registers,
    }).set({ version, node_id: nodeId }, 1);
    this.#received = new Counter({
      name: "swarm_tasks_received_total",
      help: "Tasks received by this node, by whether the caller asked for a stream",
      labelNames: ["stream"],
      registers,
    });
    this.#completed = new Counter({
      name: "swarm_tasks_completed_total",
      help: "Tasks answered with a result, by route and the result's completed flag",
      labelNames: ["route", "completed"],
      registers,
    });
    this.#failed = new Counter({
      name: "swarm_tasks_failed_total",
      help: "Tasks answered with an error, by route and error code",
      labelNames: ["route", "code"],
      registers,
    });
    this.#taskDuration = new Histogram({
      name: "swarm_task_duration_seconds",
      help: "Time from receiving a task to answering it at this node, by route",
      labelNames: ["route"],
      buckets: [...TASK_DURATION_BUCKETS_SECONDS],
      registers,
    });
    this.#executionDuration = new Histogram({
      name: "swarm_execution_duration_seconds",
      help: "Time a local skill execution took, by skill",
      labelNames: ["skill"],
      buckets: [...TASK_DURATION_BUCKETS_SECONDS],
      registers,
    });
    this.#forwards = new Counter({
      name: "swarm_forward_attempts_total",
      help: "Attempts to forward a task to a peer",
      labelNames: ["peer"],
      registers,
    });
    this.#retries = new Counter({
      name: "swarm_retries_total",
      help: "Forward attempts retried after a failure, by peer and error code",
      labelNames: ["peer", "error"],
      registers,
    });
    this.#dedupHits = new Counter({
      name: "swarm_dedup_hits_total",
      help: "Duplicate tasks answered from an earlier run, by that run's state",
      labelNames: ["state"],
      registers,
    });
    this.#authFailures = new Counter({
      name: "swarm_auth_failures_total",
      help: "Requests refused for authentication, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.#peerEvents = new Counter({
      name: "swarm_peer_events_total",
      help: "Peers joining or leaving, by discovery source (mdns or static)",
      labelNames: ["event", "source"],
      registers,
    });
    this.#peerStateChanges = new Counter({
      name: "swarm_peer_state_changes_total",
      help: "Peer health state transitions, by new state",
      labelNames: ["to"],
      registers,
    });
    this.#skillReleases = new Counter({
      name: "swarm_skill_releases_total",
      help: "Signed skill releases new to this node, by verdict (installed, accepted, rollback, …)",
      labelNames: ["verdict"],
      registers,
    });
    this.#skillRefusals = new Counter({
      name: "swarm_skill_refusals_total",
      help: "Skill releases or files refused by skill sync, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.#skillInstalls = new Counter({
      name: "swarm_skill_installs_total",
      help: "Synced skill releases installed (rollbacks included)",
      registers,
    });
    new Gauge({
      name: "swarm_peers",
      help: "Known peers, by health state",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(gauges().peersByState)) {
          this.set({ state }, count);
        }
      },
    });
    new Gauge({
      name: "swarm_queue_depth",
      help: "Tasks admitted and waiting for an execution slot",
      registers,
      collect() {
        this.set(gauges().queued);
      },
    });
    new Gauge({
      name: "swarm_running_tasks",
      help: "Tasks executing now",
      registers,
      collect() {
        this.set(gauges().running);
      },
    });
    // Series of small fixed label sets start at 0 so rate() sees their first increase.
    for (const stream of ["false", "true"]) this.#received.inc({ stream }, 0);
    for (const state of ["done", "running"]) this.#dedupHits.inc({ state }, 0);
  }

  /**
   * Updates the metrics from one event; other events are ignored. Never throws: an
   * event it cannot record (e.g. a non-finite duration) is logged and dropped whole.
   */
  readonly hook: EventHook = (event) => {
    try {
      this.#record(event);
    } catch (err) {
      log.warn("Metrics dropped an event", { event_type: event?.type, error: String(err) });
    }
  };

  /**
   * The current metrics in the Prometheus text format.
   *
   * @throws {Error} What {@link NodeMetricsOptions.gauges} throws.
   */
  async render(): Promise<RenderedMetrics> {
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }

  #record(event: NodeEvent): void {
    switch (event.type) {
      case "task_received":
        this.#received.inc({ stream: String(event.stream) });
        break;
      case "task_completed":
        this.#taskDuration.observe({ route: event.route }, event.duration_ms / 1000);
        this.#completed.inc({ route: event.route, completed: String(event.completed) });
        break;
      case "task_failed":
        this.#taskDuration.observe({ route: event.route }, event.duration_ms / 1000);
        this.#failed.inc({ route: event.route, code: codeLabel(event.error) });
        break;
      case "task_executed":
        this.#executionDuration.observe({ skill: event.skill ?? "none" }, event.duration_ms / 1000);
        break;
      case "task_forwarded":
        this.#forwards.inc({ peer: event.peer });
        break;
      case "task_retried":
        this.#retries.inc({ peer: event.peer, error: codeLabel(event.error) });
        break;
      case "task_deduplicated":
        this.#dedupHits.inc({ state: event.state });
        break;
      case "auth_failed":
        this.#authFailures.inc({ reason: event.reason });
        break;
      case "peer_joined":
        this.#peerEvents.inc({ event: "joined", source: event.source });
        break;
      case "peer_left":
        this.#peerEvents.inc({ event: "left", source: event.source });
        break;
      case "peer_state_changed":
        this.#peerStateChanges.inc({ to: event.to });
        break;
      case "skill_release_received":
        this.#skillReleases.inc({ verdict: event.verdict });
        break;
      case "skill_refused":
        this.#skillRefusals.inc({ reason: event.reason });
        break;
      case "skill_installed":
        this.#skillInstalls.inc();
        break;
    }
  }
}
