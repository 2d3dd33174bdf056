/**
 * Opens the node's Deno KV store under its data dir.
 *
 * @module
 */
import { join } from "node:path";

/** File name of the KV store inside the data dir. */
export const KV_FILE = "swarm.kv";

/**
 * Opens the embedded KV store: `<dataDir>/swarm.kv`, or an in-memory store for
 * `:memory:`. The data dir must already exist.
 */
export async function openStore(dataDir: string): Promise<Deno.Kv> {
  return await Deno.openKv(dataDir === ":memory:" ? ":memory:" : join(dataDir, KV_FILE));
}
