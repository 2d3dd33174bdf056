/**
 * swarm's extension fields of `GET /status`. Documented in docs/status.md; keep stable.
 *
 * @module
 */
import { describeAllowance, formatHostPort } from "../config/mod.ts";
import { securityStatus } from "./security_status.ts";
import { configStatus } from "./config_status.ts";
import type { Peer } from "../routing/mod.ts";
import { PROTOCOL_VERSION } from "../protocol/mod.ts";
import type { WorkerInit } from "./messages.ts";
import type { TaskLedger } from "../observability/mod.ts";

/** Version of the `/status` extension schema (docs/status.schema.json). */
export const STATUS_VERSION = 1;

/** What changes from moment to moment: readiness and tasks. */
export interface LiveStatus {
  ready: boolean;
  /** Ids of the tasks in flight. */
  inFlight: string[];
  ledger: TaskLedger;
  /** Local executions running and waiting. */
  load: { running: number; queued: number };
}

/** Builds the extension fields from the node's start data and its routing table. */
export async function statusExtras(
  init: WorkerInit,
  peers: () => Promise<Peer[]>,
  live: () => LiveStatus,
): Promise<Record<string, unknown>> {
  const { config } = init;
  const now = live();
  return {
    status_version: STATUS_VERSION,
    ready: now.ready,
    node_id: init.nodeId,
    instance_name: init.nodeId,
    version: init.version,
    protocol_version: PROTOCOL_VERSION,
    listen: formatHostPort(config.listen.host, config.listen.port),
    scheme: init.security.tls ? "https" : "http",
    uptime_ms: Date.now() - init.startedAtMs,
    auth: config.token || init.security.keyring !== undefined
      ? "bearer"
      : init.security.tls?.clientCa
      ? "mtls"
      : "none",
    security: await securityStatus(config, init.security),
    config: configStatus(config),
    permissions: {
      allow_net: describeAllowance(config.allowNet),
      network_worker: init.permissions,
    },
    executor: init.executor,
    tasks: {
      in_flight: now.inFlight,
      running_local: now.load.running,
      queued_local: now.load.queued,
      recent: now.ledger.recent(),
    },
    counters: now.ledger.counters,
    discovery: init.discovery,
    capabilities: init.capabilities,
    skills: init.skills,
    peers: (await peers()).map((p) => ({
      id: p.id,
      address: p.address,
      scheme: p.scheme,
      capabilities: p.capabilities,
      sources: p.sources,
      last_seen_ms: p.lastSeenMs,
      healthy: p.healthy,
      state: p.state ?? "alive",
      ...(p.latencyMs === undefined ? {} : { latency_ms: p.latencyMs }),
      ...(p.load === undefined ? {} : { load: p.load }),
      ...(p.lastError ? { last_error: p.lastError } : {}),
      swarm: p.swarm,
      trust: p.trust ?? "unproven",
      ...(p.trustReason ? { trust_reason: p.trustReason } : {}),
    })),
  };
}
