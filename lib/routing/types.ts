/**
 * Plain data the routing decisions work on.
 *
 * @module
 */

import type { PeerTrust } from "../security/mod.ts";

/** How a peer became known. Several sources may feed one peer. */
export type PeerSource = "static" | "mdns" | "gossip";

/** One row of the routing table. */
export interface Peer {
  /** Node identity: the node id for swarm nodes and mDNS instances, `addr:HOST:PORT` for a SkillLite seed that has none. */
  id: string;
  /** `host:port` to reach it (IPv6 in brackets). */
  address: string;
  /** URL scheme to reach it with. */
  scheme: "http" | "https";
  /** Capability tags it advertises (empty when unknown). */
  capabilities: string[];
  /** Every source that reported it. */
  sources: PeerSource[];
  /** Epoch milliseconds of the last successful contact or announcement. */
  lastSeenMs: number;
  /** Whether the last contact attempt succeeded. */
  healthy: boolean;
  /** Why the last contact failed, when it did. */
  lastError?: string;
  /** `true` when the peer speaks swarm's extensions (advertises a node id). */
  swarm: boolean;
  /** Tasks the peer reported running at last contact, when known. */
  load?: number;
  /** Health from active and passive checks, when known; dead peers are not routed to. */
  state?: "alive" | "suspect" | "dead";
  /** Smoothed (EWMA) health-probe latency in milliseconds, when known. */
  latencyMs?: number;
  /** How far it is trusted with credentials and tasks (see `peerTrust`), when decided. */
  trust?: PeerTrust;
  /** Why it has that trust, for status. */
  trustReason?: string;
}
