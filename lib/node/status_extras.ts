/**
 * swarm's extension fields of `GET /status`. Documented in docs/status.md; keep stable.
 *
 * @module
 */
import { describeAllowance } from "../config/net_allowance.ts";
import { formatHostPort } from "../config/listen_address.ts";
import type { Peer } from "../routing/types.ts";
import { PROTOCOL_VERSION } from "../protocol/types.ts";
import type { WorkerInit } from "./messages.ts";

/** Builds the extension fields from the node's start data and its routing table. */
export async function statusExtras(
  init: WorkerInit,
  peers: () => Promise<Peer[]>,
): Promise<Record<string, unknown>> {
  const { config } = init;
  return {
    node_id: init.nodeId,
    instance_name: init.nodeId,
    version: init.version,
    protocol_version: PROTOCOL_VERSION,
    listen: formatHostPort(config.listen.host, config.listen.port),
    uptime_ms: Date.now() - init.startedAtMs,
    auth: config.token ? "bearer" : "none",
    permissions: {
      allow_net: describeAllowance(config.allowNet),
      network_worker: init.permissions,
    },
    executor: init.executor,
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
    })),
  };
}
