/**
 * Names and limits of swarm's mDNS service (DESIGN.md §3).
 *
 * @module
 */

/** The DNS-SD service type SkillLite registers (sic, `_udp`, though the API is HTTP over TCP). */
export const SERVICE_TYPE = "_skilllite-swarm._udp.local";

/** The mDNS domain. */
export const SERVICE_DOMAIN = "local";

/** The DNS-SD meta-query name that lists service types (RFC 6763 §9). */
export const SERVICES_META_QUERY = "_services._dns-sd._udp.local";

/** mDNS UDP port. */
export const MDNS_PORT = 5353;

/** mDNS IPv4 multicast group. */
export const MDNS_IPV4_GROUP = "224.0.0.251";

/** mDNS IPv6 multicast group. */
export const MDNS_IPV6_GROUP = "ff02::fb";

/** A sensible record TTL in seconds (RFC 6762 §10 recommends 120 for host records). */
export const DEFAULT_TTL_S = 120;

/** TXT keys: `capabilities` is SkillLite's; the others are swarm's. */
export const TXT_KEYS = {
  /** Compact JSON array of capability tags (SkillLite). */
  capabilities: "capabilities",
  /** `http` or `https` (swarm). */
  scheme: "scheme",
  /** Protocol version, a decimal integer (swarm). */
  proto: "proto",
  /** The node id, equal to the instance label (swarm). */
  nodeId: "node_id",
} as const;

/** Most bytes in one TXT character string (RFC 6763 §6.1). */
export const MAX_TXT_STRING_BYTES = 255;

/** Most capability tags taken from a peer's TXT record. */
export const MAX_CAPABILITIES = 256;

/** Longest capability tag taken from a peer's TXT record, in characters. */
export const MAX_CAPABILITY_CHARS = 128;
