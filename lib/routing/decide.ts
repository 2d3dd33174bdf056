/**
 * The route of one task, decided from plain data (DESIGN.md §3, routing rules 1–2).
 *
 * @module
 */
import { fallbackChain, matchingPeers } from "./candidates.ts";
import type { Peer } from "./types.ts";

/** Where a task goes. */
export type RouteDecision =
  /** Run it on this node. */
  | { kind: "local" }
  /** Forward it to `candidates`, trying the next one when one fails. */
  | { kind: "forward"; candidates: Peer[] }
  /** No known peer matches: ask each of `peers` `GET /can-do`, then forward to those that can. */
  | { kind: "broadcast"; peers: Peer[] }
  /** Nobody can take it. */
  | { kind: "no_match" };

/** Input of {@link decideRoute}. */
export interface RouteInput {
  /** Tags the task needs (given or inferred). */
  required: string[];
  /** Tags this node holds. */
  localCapabilities: string[];
  /**
   * The routing table (may hold duplicates, this node itself and dead peers, which are
   * never chosen: see {@link matchingPeers}).
   */
  peers: Peer[];
  /** This node's id. */
  selfId: string;
  /** Peer ids never to forward to (the nodes the task already visited). @default {[]} */
  exclude?: string[];
}

/**
 * Decides where a task goes. With tags: local when this node holds them all, else the
 * peers holding them all, else — when another peer is known — a who-can-do broadcast,
 * else no match. Without tags: local when this node has any capability, else the
 * {@link fallbackChain} when it is not empty, else local. Dead peers count as unknown
 * here: they are neither forwarded to nor asked.
 *
 * @param input The task's tags, this node's capabilities and the routing table.
 * @returns Where the task goes; candidates best first.
 *
 * @example
 * ```ts
 * import { decideRoute } from "./decide.ts";
 * const decision = decideRoute({ required: ["calc"], localCapabilities: ["calc"], peers: [], selfId: "me" });
 * console.assert(decision.kind === "local");
 * ```
 */
export function decideRoute(input: RouteInput): RouteDecision {
  const { required, localCapabilities, peers, selfId, exclude = [] } = input;
  if (required.length > 0) {
    if (required.every((tag) => localCapabilities.includes(tag))) return { kind: "local" };
    const candidates = matchingPeers(peers, required, { selfId, exclude });
    if (candidates.length > 0) return { kind: "forward", candidates };
    const others = matchingPeers(peers, [], { selfId, exclude });
    return others.length > 0 ? { kind: "broadcast", peers: others } : { kind: "no_match" };
  }
  if (localCapabilities.length > 0) return { kind: "local" };
  const chain = fallbackChain(peers, { selfId, exclude });
  return chain.length > 0 ? { kind: "forward", candidates: chain } : { kind: "local" };
}
