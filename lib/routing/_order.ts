/**
 * Shared steps of candidate selection: identity dedupe and the tie-break order.
 *
 * @module
 */
import { validLoad } from "../peers/health_state.ts";
import type { Peer } from "./types.ts";

/** Host part of `host:port` (brackets of an IPv6 literal removed). */
export function hostOf(address: string): string {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end === -1 ? address.slice(1) : address.slice(1, end);
  }
  const colons = address.split(":").length - 1;
  return colons === 1 ? address.slice(0, address.indexOf(":")) : address;
}

/** Whether `address` points at this machine's loopback interface. */
export function isLoopback(address: string): boolean {
  const host = hostOf(address).toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * One row per peer id — the most recently seen one (the first on a tie) — without
 * `selfId` and the `exclude`d ids, in input order.
 */
export function uniquePeers(peers: Peer[], selfId: string, exclude: string[]): Peer[] {
  const skip = new Set([selfId, ...exclude]);
  const byId = new Map<string, Peer>();
  for (const peer of peers) {
    if (skip.has(peer.id)) continue;
    const seen = byId.get(peer.id);
    if (seen === undefined || peer.lastSeenMs > seen.lastSeenMs) byId.set(peer.id, peer);
  }
  return [...byId.values()];
}

/**
 * Latency class: everything under 20 ms is one class (noise on a LAN), then one class
 * per doubling, so a few milliseconds of jitter never reorders candidates.
 */
function latencyClass(ms: number | undefined): number {
  if (ms === undefined) return Infinity;
  return ms < 20 ? 0 : Math.floor(Math.log2(ms / 20)) + 1;
}

/**
 * Tie-break order: healthy first, then lower load (absent or not believable = 0: see
 * `validLoad`, so a peer claiming a negative load gains nothing), then a clearly lower
 * latency (absent last), then loopback, then address.
 */
export function compareTieBreaks(a: Peer, b: Peer): number {
  if (a.healthy !== b.healthy) return a.healthy ? -1 : 1;
  const load = (validLoad(a.load) ?? 0) - (validLoad(b.load) ?? 0);
  if (load !== 0) return load;
  const latency = latencyClass(a.latencyMs) - latencyClass(b.latencyMs);
  if (latency !== 0 && !Number.isNaN(latency)) return latency;
  const loopA = isLoopback(a.address);
  if (loopA !== isLoopback(b.address)) return loopA ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
