/**
 * Finding symlinks that lead out of a skill directory.
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** A symlink inside a skill directory whose target lies outside it. */
export interface EscapingLink {
  /** Path of the link relative to the skill directory, with forward slashes. */
  link: string;
  /** Where it leads: the resolved target, or the link text when it does not resolve. */
  target: string;
}

/** Most directory entries looked at in one skill directory. */
export const MAX_SKILL_ENTRIES = 50_000;

/**
 * Lists every symlink under `dir` (at any depth, `.git` and `node_modules` included;
 * links are not followed while walking) whose target lies outside `dir`: resolved
 * through the file system when it exists, else taken as written. A dangling link that
 * points outside counts, because the target may appear later.
 *
 * @param dir Absolute, symlink-free path of the skill directory.
 * @returns The escaping links, in walk order; empty when there are none.
 * @throws {RangeError} When the directory holds more than {@link MAX_SKILL_ENTRIES}
 * entries.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findEscapingLinks } from "./escaping_links.ts";
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.symlink("/etc/hostname", `${dir}/host`);
 * await Deno.symlink("SKILL.md", `${dir}/alias`);
 * const found = await findEscapingLinks(dir);
 * assert.deepEqual(found.map((l) => l.link), ["host"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function findEscapingLinks(dir: string): Promise<EscapingLink[]> {
  const found: EscapingLink[] = [];
  const pending = [dir];
  let seen = 0;
  while (pending.length > 0) {
    const current = pending.pop()!;
    for await (const entry of Deno.readDir(current)) {
      if (++seen > MAX_SKILL_ENTRIES) {
        throw new RangeError(
          `Cannot load a skill directory of more than ${MAX_SKILL_ENTRIES} entries: ${dir}`,
        );
      }
      const path = join(current, entry.name);
      if (entry.isDirectory) {
        pending.push(path);
      } else if (entry.isSymlink) {
        const target = await linkTarget(path);
        if (!isInside(target, dir)) {
          found.push({ link: relative(dir, path).split(sep).join("/"), target });
        }
      }
    }
  }
  return found;
}

async function linkTarget(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    // Dangling (or a loop): judge it by what it says.
    const text = await Deno.readLink(path);
    return isAbsolute(text) ? resolve(text) : resolve(dirname(path), text);
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}
