/**
 * LAN discovery over mDNS (DNS-SD), compatible with SkillLite's
 * `_skilllite-swarm._udp.local.` service: pure record building, packet reading and a
 * TTL-aware peer cache. The socket side runs in `mdns_worker.ts`, a worker with only
 * UDP 5353 and interface listing granted.
 *
 * @example
 * ```ts
 * import { allRecords, PeerCache, extractServices } from "./mod.ts";
 * const local = { nodeId: "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", port: 7700, scheme: "http" as const, capabilities: ["calc"], addresses: ["10.0.0.2"] };
 * const cache = new PeerCache({});
 * const changes = cache.apply(extractServices({ type: "response", answers: allRecords(local, 120) }), 0);
 * console.assert(changes[0]?.type === "up" && changes[0].peer.capabilities[0] === "calc");
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./constants.ts";
export * from "./names.ts";
export * from "./txt.ts";
export * from "./service_records.ts";
export * from "./answer_query.ts";
export * from "./extract_services.ts";
export * from "./address_choice.ts";
export * from "./peer_cache.ts";
export * from "./browse_query.ts";
export * from "./probe_conflicts.ts";
export * from "./local_addresses.ts";
export type * from "./_dns_types.ts";
export type * from "./worker_messages.ts";
