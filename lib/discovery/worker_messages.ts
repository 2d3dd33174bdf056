/**
 * Messages between the main process and the mDNS worker.
 *
 * @module
 */
import type { NetAllowance } from "../config/mod.ts";

/** What the node announces about itself. */
export interface MdnsSelf {
  /** Node id: the instance name. */
  nodeId: string;
  /** HTTP port (SRV port). */
  port: number;
  /** Scheme peers use to reach the node (TXT `scheme`). */
  scheme: "http" | "https";
  /** Capability tags announced in TXT `capabilities`. */
  capabilities: string[];
  /** The bound host: a specific address is the only one advertised; `0.0.0.0`/`::` means every usable interface address. */
  bindHost: string;
}

/** Settings of the mDNS worker. */
export interface MdnsSettings {
  /** What to announce. */
  self: MdnsSelf;
  /** TTL of our records in seconds. */
  ttlS: number;
  /** Interface name or IPv4 address; undefined = all. */
  interface?: string;
  /** The operator's opt-in: peers whose addresses all fall outside it are dropped. */
  allow: NetAllowance;
  /** Minimum level of the worker's log lines. */
  logLevel: "debug" | "info" | "warning" | "error";
  /** Format of the worker's log lines. */
  logFormat: "json" | "pretty";
}

/** A peer as discovery reports it to the routing table. */
export interface MdnsPeer {
  /** Instance label: the node id, or a SkillLite instance's name. */
  id: string;
  /** Chosen `host:port` (IPv6 bracketed), inside the opted-in ranges. */
  address: string;
  /** Scheme from its TXT (`http` when absent). */
  scheme: "http" | "https";
  /** Tags from its TXT `capabilities` (empty when missing or invalid). */
  capabilities: string[];
  /** Whether it advertises swarm's TXT keys (a node id). */
  swarm: boolean;
}

/** Main → mDNS worker. */
export type ToMdns =
  | { type: "start"; settings: MdnsSettings }
  | { type: "capabilities"; capabilities: string[] }
  | { type: "stop" };

/** mDNS worker → main. */
export type FromMdns =
  | { type: "started"; addresses: string[]; interface: string | null }
  | { type: "peer-up"; peer: MdnsPeer }
  | { type: "peer-down"; id: string; reason: string }
  | { type: "fatal"; message: string }
  | { type: "stopped" };
