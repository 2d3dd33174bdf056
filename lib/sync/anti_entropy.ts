/**
 * The pure decisions of anti-entropy (push-pull, as memberlist does): which releases
 * to ask a peer for and which to send it, after exchanging digest lists, and which few
 * peers to talk to each round.
 *
 * @module
 */

/** What one exchange with a peer moves. */
export interface ExchangePlan {
  /** Digests the peer has and this node lacks: ask for them. Sorted. */
  fetch: string[];
  /** Digests this node has and the peer lacks: send them. Sorted. */
  push: string[];
}

/** Bounds of one exchange. */
export interface ExchangeLimits {
  /** Most releases asked for in one exchange; the rest waits for the next round. */
  maxFetch: number;
  /** Most releases sent in one exchange. */
  maxPush: number;
}

/**
 * Compares this node's release digests with a peer's and plans the exchange: fetch what
 * only the peer has, push what only this node has, each bounded and in digest order (so
 * two nodes that are far apart converge in a bounded number of rounds, and a round's
 * cost never depends on how far apart they are). Duplicates in either list count once.
 *
 * @param ours Digests this node holds.
 * @param theirs Digests the peer says it holds.
 * @param limits Most digests fetched and pushed.
 * @returns The digests to fetch and to push.
 * @example
 * ```ts
 * import { planExchange } from "./anti_entropy.ts";
 * const plan = planExchange(["a", "b"], ["b", "c"], { maxFetch: 10, maxPush: 10 });
 * console.assert(plan.fetch.join() === "c" && plan.push.join() === "a");
 * ```
 */
export function planExchange(
  ours: readonly string[],
  theirs: readonly string[],
  limits: ExchangeLimits,
): ExchangePlan {
  const mine = new Set(ours);
  const peer = new Set(theirs);
  const fetch = [...peer].filter((d) => !mine.has(d)).sort().slice(0, Math.max(0, limits.maxFetch));
  const push = [...mine].filter((d) => !peer.has(d)).sort().slice(0, Math.max(0, limits.maxPush));
  return { fetch, push };
}

/**
 * Picks up to `fanout` distinct peers for one gossip round, uniformly at random (a
 * partial Fisher–Yates shuffle with the given random source), so that over rounds every
 * peer is reached and no peer is the only bridge between two parts of the mesh.
 *
 * @param peers Candidates (already filtered to trusted, live peers).
 * @param fanout Most peers picked; 0 picks none.
 * @param random Source of numbers in [0, 1). @default {Math.random}
 * @returns The picked peers, in pick order.
 * @example
 * ```ts
 * import { pickGossipPeers } from "./anti_entropy.ts";
 * const picked = pickGossipPeers(["a", "b", "c"], 2, () => 0);
 * console.assert(picked.length === 2 && new Set(picked).size === 2);
 * ```
 */
export function pickGossipPeers<T>(
  peers: readonly T[],
  fanout: number,
  random: () => number = Math.random,
): T[] {
  const pool = [...peers];
  const count = Math.min(pool.length, Math.max(0, Math.floor(fanout)));
  for (let i = 0; i < count; i++) {
    const j = i + Math.min(pool.length - i - 1, Math.floor(random() * (pool.length - i)));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}
