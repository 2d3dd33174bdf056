/**
 * Private file-system helpers of the blob and release stores.
 *
 * @module
 */

/** 64 lowercase hex digits: a SHA-256 in the form releases state it. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A short random suffix for temporary names. */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Flushes a directory's entries (a rename, link or removal in it) to disk. */
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

/** `Deno.lstat`, or `null` when nothing is there. */
export async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Removes `path` (recursively), ignoring that it is already gone. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Writes all of `bytes` to `file`. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/** The bytes of `source` as a stream (a byte array becomes a one-chunk stream). */
export function toStream(
  source: ReadableStream<Uint8Array> | Uint8Array,
): ReadableStream<Uint8Array> {
  if (!(source instanceof Uint8Array)) return source;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(source);
      controller.close();
    },
  });
}
