/**
 * Test helper: routing-table rows with sensible defaults.
 *
 * @module
 */
import type { Peer } from "../../lib/routing/types.ts";

/** A healthy swarm peer `id` at `id:7700` with no capabilities, unless `fields` say otherwise. */
export function peer(id: string, fields: Partial<Peer> = {}): Peer {
  return {
    id,
    address: `${id}:7700`,
    scheme: "http",
    capabilities: [],
    sources: ["static"],
    lastSeenMs: 1000,
    healthy: true,
    swarm: true,
    ...fields,
  };
}

/** The ids of `peers`, in order. */
export function ids(peers: Peer[]): string[] {
  return peers.map((p) => p.id);
}
