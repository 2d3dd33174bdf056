/**
 * Hop counting and loop detection between swarm nodes (a swarm extension carried in
 * the `x-swarm-hops` and `x-swarm-via` headers; a SkillLite hop drops them).
 *
 * @module
 */
import { HOPS_HEADER, SwarmError, VIA_HEADER } from "../protocol/mod.ts";

/** Most node ids kept from an incoming `x-swarm-via` header; later ones are dropped. */
export const MAX_VIA_ENTRIES = 32;

/** Where a task has been, as read from its request headers. */
export interface HopState {
  /** Hops the task already crossed (0 from a client). */
  hops: number;
  /** Ids of the nodes that forwarded it, oldest first. */
  via: string[];
}

/** Input of {@link checkArrival}. */
export interface ArrivalInput extends HopState {
  /** This node's id. */
  selfId: string;
  /** Most hops a task may cross. */
  maxHops: number;
}

/**
 * Refuses a task that already passed through this node or crossed too many hops.
 *
 * @throws {SwarmError} `loop_detected` when `via` holds `selfId`;
 * `hop_limit_exceeded` when `hops` is greater than `maxHops`.
 * @example
 * ```ts
 * import { checkArrival } from "./hops.ts";
 * checkArrival({ selfId: "b", via: ["a"], hops: 1, maxHops: 4 }); // accepted
 * ```
 */
export function checkArrival(input: ArrivalInput): void {
  const { selfId, via, hops, maxHops } = input;
  if (via.includes(selfId)) {
    throw new SwarmError(
      "loop_detected",
      `Loop detected: task already passed through node ${selfId} (via ${via.join(", ")})`,
      { via, hops },
    );
  }
  if (hops > maxHops) {
    throw new SwarmError(
      "hop_limit_exceeded",
      `Hop limit exceeded: task crossed ${hops} hops, limit is ${maxHops}`,
      { via, hops, max_hops: maxHops },
    );
  }
}

/**
 * Whether a task that crossed `hops` hops may be forwarded once more.
 *
 * @example
 * ```ts
 * import { canForward } from "./hops.ts";
 * console.assert(canForward(2, 3) && !canForward(3, 3));
 * ```
 */
export function canForward(hops: number, maxHops: number): boolean {
  return hops + 1 <= maxHops;
}

/**
 * Reads the hop count and the via list from request headers. A missing or invalid
 * count is 0; via entries are split on commas, trimmed, empties dropped, and at most
 * {@link MAX_VIA_ENTRIES} are kept.
 *
 * @example
 * ```ts
 * import { parseHopHeaders } from "./hops.ts";
 * const state = parseHopHeaders(new Headers({ "x-swarm-hops": "2", "x-swarm-via": "a, b,," }));
 * console.assert(state.hops === 2 && state.via.join() === "a,b");
 * ```
 */
export function parseHopHeaders(headers: Headers): HopState {
  const raw = headers.get(HOPS_HEADER)?.trim() ?? "";
  const count = /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
  const via = (headers.get(VIA_HEADER) ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "")
    .slice(0, MAX_VIA_ENTRIES);
  return { hops: count, via };
}

/**
 * Headers for forwarding a task one hop further: the count plus one and this node
 * appended to the via list.
 *
 * @example
 * ```ts
 * import { forwardHeaders } from "./hops.ts";
 * const headers = forwardHeaders({ hops: 1, via: ["a"], selfId: "b" });
 * console.assert(headers["x-swarm-hops"] === "2" && headers["x-swarm-via"] === "a,b");
 * ```
 */
export function forwardHeaders(input: HopState & { selfId: string }): Record<string, string> {
  const { hops, via, selfId } = input;
  return { [HOPS_HEADER]: String(hops + 1), [VIA_HEADER]: [...via, selfId].join(",") };
}
