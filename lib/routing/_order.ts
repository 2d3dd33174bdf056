/**
 * Shared steps of candidate selection: identity dedupe, leaving dead peers out, and
 * the tie-break order — the only order peers are ranked by.
 *
 * @module
 */
import { isLoopbackHost } from "../config/mod.ts";
import { routable, validLoad } from "../peers/mod.ts";
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

/** Whether `address` (`host:port`) points at this machine's loopback interface. */
export function isLoopback(address: string): boolean {
  return isLoopbackHost(hostOf(address));
}

/**
 * One row per peer id — the most recently seen one (the first on a tie) — without
 * `selfId`, the `exclude`d ids and peers whose health `state` is not `routable` (dead),
 * in input order. A row without a `state` has not been judged yet and counts as alive.
 */
export function uniquePeers(peers: Peer[], selfId: string, exclude: string[]): Peer[] {
  const skip = new Set([selfId, ...exclude]);
  const byId = new Map<string, Peer>();
  for (const peer of peers) {
    if (skip.has(peer.id)) continue;
    const seen = byId.get(peer.id);
    if (seen === undefined || peer.lastSeenMs > seen.lastSeenMs) byId.set(peer.id, peer);
  }
  const out = [];
  for (const peer of byId.values()) if (routable(peer.state ?? "alive")) out.push(peer);
  return out;
}

/**
 * Latency class: everything under 20 ms is one class (noise on a LAN), then one class
 * per doubling, so a few milliseconds of jitter never reorders candidates.
 */
function latencyClass(ms: number | undefined): number {
  if (ms === undefined) return Infinity;
  return ms < 20 ? 0 : Math.floor(Math.log2(ms / 20)) + 1;
}

/** Whether a row ranks with the healthy ones: its last contact worked and it is not suspect. */
function preferred(peer: Peer): boolean {
  return peer.healthy && peer.state !== "suspect";
}

/**
 * The order of candidates that match equally, for `Array.prototype.sort`; the only
 * order peers are ranked by:
 *
 * 1. healthy first: the row's last contact worked and its health is not `suspect`;
 * 2. lower load, where an absent or unbelievable figure (see `validLoad`) counts as 0;
 * 3. a clearly lower latency (see `latencyClass`), an unknown one last;
 * 4. loopback addresses, then the address string, so the order is total and stable.
 *
 * Why an unknown load counts as 0 rather than last: any peer may report 0, so ranking
 * unknown loads last would not hold back one that lies (a lie gains at most a tie with
 * honestly idle peers, as `running_tasks: 0` would); it would only push back honest
 * peers that report nothing — SkillLite nodes, a peer not probed yet, a `/healthz`
 * answer cut short — behind every busy swarm peer. Load is a hint among peers that
 * report it, never a reason to ask a peer later.
 *
 * @param a One row.
 * @param b The other.
 * @returns Negative when `a` comes first, positive when `b` does, 0 when equal.
 */
export function compareTieBreaks(a: Peer, b: Peer): number {
  const preferA = preferred(a);
  if (preferA !== preferred(b)) return preferA ? -1 : 1;
  const load = (validLoad(a.load) ?? 0) - (validLoad(b.load) ?? 0);
  if (load !== 0) return load;
  const latency = latencyClass(a.latencyMs) - latencyClass(b.latencyMs);
  if (latency !== 0 && !Number.isNaN(latency)) return latency;
  const loopA = isLoopback(a.address);
  if (loopA !== isLoopback(b.address)) return loopA ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
