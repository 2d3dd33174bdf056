/**
 * Measures how long a node takes, from its start, to appear in its peers' routing
 * tables (the figure docs/discovery.md reports).
 *
 * @module
 */
import type { BedNode } from "./_testbed.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

/** The started node and its timings. */
export interface RoutableTiming {
  node: BedNode;
  /** From the node's own `swarm_started` log line to being listed by every peer, in ms. */
  routableMs: number;
  /** From spawning the process to being listed by every peer, in ms. */
  sinceSpawnMs: number;
}

/**
 * Starts a node with `start` and polls each of `peers`' `/status` every 20 ms (for at
 * most `timeoutMs`) until all list it.
 */
export async function measureRoutable(
  start: () => Promise<BedNode>,
  peers: BedNode[],
  token: string,
  timeoutMs = 15_000,
): Promise<RoutableTiming> {
  const spawnedAt = Date.now();
  const node = await start();
  const started = node.logs.find((l) => l.message === "swarm_started");
  const startedAt = Date.parse(String(started?.["@timestamp"]));
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(peers);
  while (pending.size > 0) {
    if (Date.now() > deadline) {
      throw new Error(`Node ${node.nodeId} not routable from every peer within ${timeoutMs} ms`);
    }
    for (const peer of [...pending]) {
      const status = await (await fetchWithin(`${peer.url}/status`, {
        headers: { authorization: `Bearer ${token}` },
      })).json();
      if (status.peers.some((p: { id: string }) => p.id === node.nodeId)) pending.delete(peer);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
  }
  const now = Date.now();
  return { node, routableMs: now - startedAt, sinceSpawnMs: now - spawnedAt };
}
