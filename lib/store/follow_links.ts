/**
 * Where a path really is: its symbolic links followed, for writers that replace the file
 * a link points to rather than the link.
 *
 * @module
 */
import { dirname, resolve } from "node:path";

/** Most symlink hops {@link followLinks} follows before it calls the chain a loop. */
export const MAX_LINK_HOPS = 16;

/**
 * Where `path` really is: its symlinks followed hop by hop (the last hop may not exist
 * yet), as an absolute path, so a write replaces the file a link points to, not the link.
 *
 * @param path The path to resolve, relative to the working directory or absolute.
 * @returns The absolute path of the first hop that is not a symlink.
 * @throws {Error} After {@link MAX_LINK_HOPS} hops (a loop).
 * @example
 * ```ts
 * import { followLinks } from "./follow_links.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.symlink(`${dir}/real.json`, `${dir}/link.json`);
 * console.assert(await followLinks(`${dir}/link.json`) === `${dir}/real.json`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function followLinks(path: string): Promise<string> {
  let at = resolve(path);
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    const info = await Deno.lstat(at).catch(() => null);
    if (!info?.isSymlink) return at;
    at = resolve(dirname(at), await Deno.readLink(at));
  }
  throw new Error(`Cannot follow '${path}': more than ${MAX_LINK_HOPS} symlinks`);
}
