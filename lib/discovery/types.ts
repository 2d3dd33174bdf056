/**
 * Plain data of mDNS discovery: what this node advertises, what a response packet
 * says about peers, and the peers the cache derives from it.
 *
 * @module
 */

/** What this node advertises. */
export interface LocalService {
  /** Node id: the instance label and host label (a UUID; one DNS label, no dot). */
  nodeId: string;
  /** HTTP(S) port, 1-65535: the SRV port. */
  port: number;
  /** Scheme peers must use. */
  scheme: "http" | "https";
  /** Capability tags, advertised in TXT `capabilities` (as many as fit in 255 bytes). */
  capabilities: string[];
  /** IPv4 and IPv6 literals to publish as A/AAAA records; an IPv6 zone (`%eth0`) is dropped. */
  addresses: string[];
}

/** What a peer's TXT record says, interpreted. */
export interface TxtInfo {
  /** Capability tags; empty when `capabilities` is missing or invalid. */
  capabilities: string[];
  /** TXT `scheme`; `http` when missing or unknown (SkillLite speaks plain HTTP). */
  scheme: "http" | "https";
  /** TXT `node_id`, when present. */
  nodeId?: string;
  /** TXT `proto` as an integer, when present and valid. */
  protocolVersion?: number;
}

/** The instance-level records one packet holds for one instance of swarm's service type. */
export interface ServiceRecordSet {
  /** Instance full name as received (trailing dot removed). */
  instance: string;
  /** The peer's identity: first label of `instance`. */
  id: string;
  /** PTR service type → instance, when present. TTL 0 is a goodbye. */
  ptr?: { ttl: number };
  /** SRV instance → host and port, when present. */
  srv?: { ttl: number; host: string; port: number };
  /** TXT, when present: its raw entries and their reading. */
  txt?: { ttl: number; entries: Record<string, string>; info: TxtInfo };
}

/** One A or AAAA record. */
export interface AddressRecord {
  /** Canonical address literal. */
  address: string;
  /** 4 for A, 6 for AAAA. */
  family: 4 | 6;
  /** TTL in seconds; 0 is a goodbye. */
  ttl: number;
  /** Cache-flush bit: other addresses of this host and family are stale. */
  flush: boolean;
}

/** The address records one packet holds for one host name. */
export interface HostRecordSet {
  /** Host name as received (trailing dot removed). */
  host: string;
  /** Its A/AAAA records. */
  addresses: AddressRecord[];
}

/** A peer as mDNS currently describes it (complete: PTR, SRV and at least one address). */
export interface DiscoveredPeer {
  /** Identity: first label of the instance name (the node id for swarm and SkillLite nodes). */
  id: string;
  /** Instance full name. */
  instance: string;
  /** SRV target host. */
  host: string;
  /** SRV port. */
  port: number;
  /** The host's addresses, best first (see `sortAddresses`). */
  addresses: string[];
  /** TXT `scheme`, default `http`. */
  scheme: "http" | "https";
  /** TXT capabilities; empty when missing or invalid. */
  capabilities: string[];
  /** Whether the peer speaks swarm's extensions: its TXT `node_id` equals its id. */
  swarm: boolean;
  /** TXT `proto`, when given. */
  protocolVersion?: number;
}

/** A change in the set of discovered peers. */
export interface PeerChange {
  /** `up`: newly complete; `update`: something in its description changed; `down`: gone. */
  type: "up" | "update" | "down";
  /** The peer after the change (for `down`, as it was last known). */
  peer: DiscoveredPeer;
  /** For `down`: a goodbye (TTL 0) or expiry. Absent when neither caused it (e.g. SRV moved to an unknown host). */
  reason?: "goodbye" | "expired";
}
