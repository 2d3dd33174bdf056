/**
 * The skills directories used when none is given.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { isDirectory } from "./_fs.ts";

/** Directory names looked for, in order, when no `--skills-dir` is given (SkillLite's). */
export const DEFAULT_SKILL_DIR_NAMES: readonly string[] = [".skills", "skills"];

/**
 * The default skills directories that exist under `cwd`: `.skills` then `skills`,
 * as absolute paths. Absent ones are left out, so a node without skills starts quietly.
 *
 * @param cwd Directory to look in.
 * @returns Absolute paths of the existing default directories.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSkillDirs } from "./default_skill_dirs.ts";
 * const cwd = await Deno.makeTempDir();
 * await Deno.mkdir(`${cwd}/skills`);
 * assert.ok((await defaultSkillDirs(cwd)).join() === `${cwd}/skills`);
 * await Deno.remove(cwd, { recursive: true });
 * ```
 */
export async function defaultSkillDirs(cwd: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of DEFAULT_SKILL_DIR_NAMES) {
    const dir = join(resolve(cwd), name);
    if (await isDirectory(dir)) found.push(dir);
  }
  return found;
}
