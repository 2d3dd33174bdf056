/**
 * Flushing a directory, so that a rename, link or removal in it survives a power cut.
 *
 * @module
 */

/**
 * Flushes a directory's entries (a rename, link or removal in it) to disk.
 *
 * @param dir The directory.
 * @example
 * ```ts
 * import { syncDirectory } from "./sync_directory.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a`, "x");
 * await syncDirectory(dir);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory as a file; its renames are flushed with the file.
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
