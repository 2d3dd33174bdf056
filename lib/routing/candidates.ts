/**
 * Which peers may take a task, best first. Dead peers (health `state: "dead"`) are
 * never candidates; the order among the rest is `compareTieBreaks` in `_order.ts`.
 *
 * @module
 */
import { compareTieBreaks, uniquePeers } from "./_order.ts";
import type { Peer } from "./types.ts";

/** Options of {@link matchingPeers} and {@link fallbackChain}. */
export interface CandidateOptions {
  /** This node's id; its own row is never a candidate. */
  selfId: string;
  /** Ids to leave out, e.g. the nodes a task already visited. @default {[]} */
  exclude?: string[];
}

/**
 * Peers holding every tag of `required` (exact, case-sensitive), one per node id (the
 * most recently seen row wins), without this node, the excluded ids and dead peers.
 * Order: healthy and not suspect first, then lower `load` (absent or unbelievable
 * counts as 0), then a clearly lower `latencyMs` (unknown last), then loopback
 * addresses, then by address string. Unlike SkillLite, two machines on the same port
 * stay two candidates.
 *
 * @param peers The routing table (may hold duplicates, this node and dead peers).
 * @param required Tags every candidate must hold; none: every peer qualifies.
 * @param options This node's id and the ids to leave out.
 * @returns The candidates, best first; a new array.
 *
 * @example
 * ```ts
 * import { matchingPeers } from "./candidates.ts";
 * import type { Peer } from "./types.ts";
 * const peer = (id: string, address: string): Peer => ({
 *   id, address, scheme: "http", capabilities: ["calc"], sources: ["mdns"],
 *   lastSeenMs: 0, healthy: true, swarm: true,
 * });
 * const found = matchingPeers([peer("a", "10.0.0.2:7700"), peer("b", "10.0.0.1:7700")], ["calc"], {
 *   selfId: "me",
 * });
 * console.assert(found.map((p) => p.id).join() === "b,a");
 * ```
 */
export function matchingPeers(
  peers: Peer[],
  required: string[],
  options: CandidateOptions,
): Peer[] {
  const { selfId, exclude = [] } = options;
  return uniquePeers(peers, selfId, exclude)
    .filter((peer) => required.every((tag) => peer.capabilities.includes(tag)))
    .sort(compareTieBreaks);
}

/**
 * The forwarding chain of an untagged task when this node has no capability: every
 * other peer that is not dead and has at least one capability, most (distinct)
 * capabilities first, then the tie-breaks of {@link matchingPeers}.
 *
 * @param peers The routing table (may hold duplicates, this node and dead peers).
 * @param options This node's id and the ids to leave out.
 * @returns The chain, best first; a new array.
 *
 * @example
 * ```ts
 * import { fallbackChain } from "./candidates.ts";
 * import type { Peer } from "./types.ts";
 * const peer = (id: string, capabilities: string[]): Peer => ({
 *   id, address: `${id}:7700`, scheme: "http", capabilities, sources: ["static"],
 *   lastSeenMs: 0, healthy: true, swarm: false,
 * });
 * const chain = fallbackChain([peer("a", ["calc"]), peer("b", ["calc", "web"]), peer("c", [])], {
 *   selfId: "me",
 * });
 * console.assert(chain.map((p) => p.id).join() === "b,a");
 * ```
 */
export function fallbackChain(peers: Peer[], options: CandidateOptions): Peer[] {
  const { selfId, exclude = [] } = options;
  const count = (peer: Peer) => new Set(peer.capabilities).size;
  return uniquePeers(peers, selfId, exclude)
    .filter((peer) => peer.capabilities.length > 0)
    .sort((a, b) => count(b) - count(a) || compareTieBreaks(a, b));
}
