/**
 * What a node's start wrote to its data directory, so a start that fails leaves
 * nothing behind.
 *
 * @module
 */
import { join } from "node:path";

/** Undoes what a start wrote; see {@link recordFootprint}. */
export interface StartFootprint {
  /**
   * Removes what was written since the footprint was taken: the whole data directory
   * when it did not exist then, else each entry that is new in it. Entries that were
   * there before are kept as they are (a node id from an earlier run, its KV store).
   */
  undo(): Promise<void>;
}

/**
 * Takes the footprint of `dataDir` before a start writes to it.
 *
 * @param dataDir The node's data directory, or `":memory:"` (nothing to undo).
 * @returns What {@link StartFootprint.undo} will remove from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordFootprint } from "./start_footprint.ts";
 * const root = await Deno.makeTempDir();
 * const footprint = await recordFootprint(`${root}/data`);
 * await Deno.mkdir(`${root}/data`);
 * await Deno.writeTextFile(`${root}/data/node-id`, "x");
 * await footprint.undo();
 * await assert.rejects(Deno.stat(`${root}/data`), Deno.errors.NotFound);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function recordFootprint(dataDir: string): Promise<StartFootprint> {
  if (dataDir === ":memory:") return { undo: () => Promise.resolve() };
  const before = await namesIn(dataDir);
  return {
    async undo() {
      if (before === null) {
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
        return;
      }
      for (const name of await namesIn(dataDir) ?? []) {
        if (!before.has(name)) {
          await Deno.remove(join(dataDir, name), { recursive: true }).catch(() => {});
        }
      }
    },
  };
}

/** The entry names of `dir`, or `null` when it does not exist. */
async function namesIn(dir: string): Promise<Set<string> | null> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) names.add(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  return names;
}
