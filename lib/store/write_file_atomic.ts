/**
 * Writing a file atomically and durably: readers see the old file or the whole new one,
 * never a part, and once the write returns a crash or power cut keeps the new one.
 *
 * @module
 */
import { syncDirectory } from "./sync_directory.ts";
import { basename, dirname, join } from "node:path";
import { followLinks } from "./follow_links.ts";

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * Permission bits of the file. It is created with them (so it never exists with wider
   * ones) and set to exactly them after, as the process umask may have narrowed them.
   *
   * @default {0o600}
   */
  mode?: number;
  /**
   * Replace an existing file. When false, an existing file (or link, dangling or not)
   * makes the write fail with `Deno.errors.AlreadyExists` and is left as it was; the
   * check and the write are one step, so two writers cannot both win.
   *
   * @default {true}
   */
  overwrite?: boolean;
  /**
   * When `path` is a symbolic link: true replaces the file it points to (following
   * every hop) and keeps the link, so a file shared from another volume stays shared;
   * false replaces the link itself and never writes where it points.
   *
   * @default {false}
   */
  followSymlinks?: boolean;
}

/**
 * Writes `data` to `path` atomically and durably: a temporary file in the same directory,
 * created with `mode`, written and flushed to disk (`fsync`), then renamed over `path`
 * (or hard-linked to it when `overwrite` is false), and the directory flushed too so the
 * new name survives a crash. The temporary file is removed when anything fails.
 *
 * @param path The file to write.
 * @param data Its new content; a string is written as UTF-8.
 * @param options Mode, whether to replace an existing file, whether to follow links.
 * @throws {Deno.errors.AlreadyExists} When `path` exists and `overwrite` is false.
 * @throws {Error} When `followSymlinks` is true and `path` is a chain of more than
 * 16 links (a loop).
 * @example
 * ```ts
 * import { writeFileAtomic } from "./write_file_atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/node.key`, "secret", { mode: 0o600 });
 * console.assert(((await Deno.stat(`${dir}/node.key`)).mode! & 0o777) === 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const { mode = 0o600, overwrite = true, followSymlinks = false } = options;
  const target = followSymlinks ? await followLinks(path) : path;
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${crypto.randomUUID()}.tmp`);
  let renamed = false;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
      // The umask may have narrowed the mode; make it exact (it can only have narrowed
      // it), before the flush so the mode is as durable as the content.
      if (Deno.build.os !== "windows") await Deno.chmod(tmp, mode);
      await file.sync();
    } finally {
      file.close();
    }
    if (overwrite) {
      await Deno.rename(tmp, target);
      renamed = true;
    } else {
      // link() never replaces an existing file, unlike rename(): the no-clobber check
      // and the write are one step.
      await Deno.link(tmp, target);
    }
  } finally {
    if (!renamed) await Deno.remove(tmp).catch(() => {});
  }
  await syncDirectory(dir);
}
