/**
 * Private file-system helpers of the blob and release stores.
 *
 * @module
 */
export { syncDirectory } from "../store/mod.ts";

/** 64 lowercase hex digits: a SHA-256 in the form releases state it. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A short random suffix for temporary names. */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
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
