/**
 * Test helper: a local service description with sensible defaults.
 *
 * @module
 */
import type { LocalService } from "../../lib/discovery/types.ts";

/** Node id used by the helpers. */
export const ID = "6f1c0e52-1d2a-4a57-9a38-4a1f1b0c2d3e";

/** Its instance full name. */
export const INSTANCE = `${ID}._skilllite-swarm._udp.local`;

/** Its host name. */
export const HOST = `${ID}.local`;

/** A local service of node {@link ID} on 10.0.0.2 and fd00::2, port 7700, unless `fields` say otherwise. */
export function local(fields: Partial<LocalService> = {}): LocalService {
  return {
    nodeId: ID,
    port: 7700,
    scheme: "http",
    capabilities: ["calc"],
    addresses: ["10.0.0.2", "fd00::2"],
    ...fields,
  };
}
