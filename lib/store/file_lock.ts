/**
 * Serializing read-modify-write edits of one file across processes with an OS file lock.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { followLinks } from "./follow_links.ts";

/**
 * Runs `fn` while holding an exclusive lock on `.NAME.lock` beside the file `path`
 * really is (its symlinks followed, so editors reaching it through different links still
 * meet). The lock is an OS file lock (`flock`), released when `fn` settles or when the
 * process dies, so a killed editor never leaves the file locked. The lock file is
 * created with mode 0600 and stays: removing it would let two editors lock different
 * files. The directory of `path` must exist.
 *
 * Edits are only serialized against other callers of this function (or of `flock` on
 * the same lock file); readers need no lock when writers replace the file atomically
 * (`writeFileAtomic`).
 *
 * @param path The file being edited; it need not exist yet.
 * @param fn The edit, run once the lock is held.
 * @returns What `fn` returns.
 * @throws {Deno.errors.NotFound} When the directory of `path` does not exist.
 * @example
 * ```ts
 * import { withFileLock } from "./file_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/counter`;
 * const bump = () =>
 *   withFileLock(path, async () => {
 *     const n = Number(await Deno.readTextFile(path).catch(() => "0"));
 *     await Deno.writeTextFile(path, String(n + 1));
 *   });
 * await Promise.all([bump(), bump(), bump()]);
 * console.assert(await Deno.readTextFile(path) === "3");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const real = await followLinks(path);
  const lock = await Deno.open(join(dirname(real), `.${basename(real)}.lock`), {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    await lock.lock(true);
    return await fn();
  } finally {
    lock.close();
  }
}
