/**
 * Discovery of the skills in a node's skills directories.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { loadSkill, type LoadSkillOptions } from "./load_skill.ts";
import type { Skill, SkillCatalog, SkillLoadProblem } from "./types.ts";
import { isFile, sortedEntries, statOrNull } from "./_fs.ts";

/** Folder, inside a skills directory, of skills written by SkillLite's self-evolution. */
const EVOLVED_DIR = "_evolved";

/** The problem message of a skills directory that does not exist. */
export const SKILLS_DIR_NOT_FOUND = "Skills directory not found";

/**
 * Loads every skill found in `dirs`, in order. In each directory: the directory itself
 * is a skill when it holds SKILL.md; so is each direct subfolder holding SKILL.md
 * (symlinks followed, `_evolved` excepted); so is each subfolder of `_evolved/`
 * holding SKILL.md, except names starting with `_` (`_archived`, `_pending`) and
 * skills whose `.meta.json` says `"archived": true` (SkillLite's marker).
 *
 * Nothing here throws for a bad skill: a missing or unreadable directory, a SKILL.md
 * that does not load, and a second skill with an already-used name (the first one
 * found wins) each become a problem. A directory reached twice (same real path) is
 * loaded once. Skills come back sorted by name.
 *
 * @param dirs Skills directories, relative to the working directory or absolute.
 * @param options Passed to {@link loadSkill} for each skill (the node's protected paths).
 * @returns The skills and the problems met.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSkillCatalog } from "./load_skill_catalog.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/notes`);
 * await Deno.writeTextFile(`${root}/notes/SKILL.md`, "---\nname: notes\n---\n");
 * const { skills, problems } = await loadSkillCatalog([root]);
 * assert.ok(skills[0].name === "notes" && problems.length === 0);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadSkillCatalog(
  dirs: string[],
  options: LoadSkillOptions = {},
): Promise<SkillCatalog> {
  const problems: SkillLoadProblem[] = [];
  const candidates: string[] = [];
  for (const given of dirs) {
    const dir = resolve(given);
    try {
      candidates.push(...await skillDirsIn(dir));
    } catch (err) {
      problems.push({ dir, message: describeDirError(err) });
    }
  }
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const dir of candidates) {
    const real = await Deno.realPath(dir).catch(() => dir);
    if (!seen.has(real)) unique.push(dir);
    seen.add(real);
  }
  type Loaded = { dir: string; skill: Skill } | { dir: string; error: string };
  const loaded = await Promise.all(unique.map(async (dir): Promise<Loaded> => {
    try {
      return { dir, skill: await loadSkill(dir, options) };
    } catch (err) {
      return { dir, error: err instanceof Error ? err.message : String(err) };
    }
  }));
  const byName = new Map<string, Skill>();
  for (const result of loaded) {
    if ("error" in result) {
      problems.push({ dir: result.dir, message: result.error });
      continue;
    }
    const { dir, skill } = result;
    const first = byName.get(skill.name);
    if (first) {
      problems.push({
        dir,
        message: `Duplicate skill name '${skill.name}': already loaded from ${first.dir}`,
      });
      continue;
    }
    byName.set(skill.name, skill);
  }
  const skills = [...byName.values()].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  );
  return { skills, problems };
}

async function skillDirsIn(dir: string): Promise<string[]> {
  const info = await statOrNull(dir);
  if (info === null) throw new Deno.errors.NotFound();
  if (!info.isDirectory) throw new Deno.errors.NotADirectory();
  const found: string[] = [];
  if (await isFile(join(dir, "SKILL.md"))) found.push(dir);
  for (const entry of await sortedEntries(dir)) {
    if (entry.name === EVOLVED_DIR) continue;
    if (await isFile(join(dir, entry.name, "SKILL.md"))) found.push(join(dir, entry.name));
  }
  const evolved = join(dir, EVOLVED_DIR);
  if ((await statOrNull(evolved))?.isDirectory) {
    for (const entry of await sortedEntries(evolved)) {
      const skillDir = join(evolved, entry.name);
      if (entry.name.startsWith("_")) continue;
      if (!(await isFile(join(skillDir, "SKILL.md")))) continue;
      if (await isArchived(skillDir)) continue;
      found.push(skillDir);
    }
  }
  return found;
}

async function isArchived(skillDir: string): Promise<boolean> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(join(skillDir, ".meta.json")));
    return meta?.archived === true;
  } catch {
    return false; // No or unreadable .meta.json: SkillLite loads the skill.
  }
}

function describeDirError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return SKILLS_DIR_NOT_FOUND;
  if (err instanceof Deno.errors.NotADirectory) return "Skills path is not a directory";
  if (err instanceof Deno.errors.PermissionDenied) {
    return "Cannot read skills directory: permission denied";
  }
  return `Cannot read skills directory: ${err instanceof Error ? err.message : String(err)}`;
}
