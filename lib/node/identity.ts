/**
 * The node's stable identity: a UUID generated once and kept in the data dir.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../store/mod.ts";

/** File holding the node id inside the data dir. */
export const NODE_ID_FILE = "node-id";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads the node id from `<dataDir>/node-id`, creating it (atomically) on first start.
 * With `:memory:` every start gets a fresh id.
 *
 * @throws {Error} When the file exists but does not hold a UUID.
 */
export async function loadNodeId(dataDir: string): Promise<string> {
  if (dataDir === ":memory:") return crypto.randomUUID();
  const path = join(dataDir, NODE_ID_FILE);
  try {
    const id = (await Deno.readTextFile(path)).trim();
    if (!UUID.test(id)) throw new Error(`Node id file '${path}' is corrupt: expected a UUID`);
    return id;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  // Linked into place, never renamed over: concurrent first starts agree on one id, and
  // no reader sees a half-written file.
  const id = crypto.randomUUID();
  try {
    await writeFileAtomic(path, id + "\n", { mode: 0o600, overwrite: false });
    return id;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    return await loadNodeId(dataDir);
  }
}
