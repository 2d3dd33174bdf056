/**
 * Finding a skill's entry script (DESIGN.md §4) and the interpreter family it needs.
 *
 * @module
 */
import { isAbsolute, join, normalize, relative, sep } from "node:path";
import type { Skill } from "./types.ts";
import { isDirectory, isFile, sortedEntries } from "./_fs.ts";

/** Where an entry script is looked for when `entry_point` names no existing file, in order. */
export const ENTRY_POINT_CANDIDATES: readonly string[] = [
  "scripts/main.py",
  "scripts/main.js",
  "scripts/main.ts",
  "scripts/main.sh",
  "scripts/index.py",
  "scripts/index.js",
  "scripts/index.ts",
  "scripts/index.sh",
];

/** Extensions a lone file in `scripts/` needs to count as the entry script (SkillLite's set). */
const SINGLE_SCRIPT_EXTENSIONS = [".py", ".js", ".ts", ".sh"];

/**
 * The interpreter family of an entry script, from its extension: `.py` → python,
 * `.ts`/`.js`/`.mjs` → deno (swarm runs JavaScript and TypeScript skills under Deno),
 * `.sh` → shell; `undefined` for anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entryLanguage } from "./entry_point.ts";
 * assert.ok(entryLanguage("scripts/main.mjs") === "deno");
 * assert.ok(entryLanguage("scripts/main.rb") === undefined);
 * ```
 */
export function entryLanguage(path: string): Skill["language"] | undefined {
  const ext = path.slice(path.lastIndexOf(".")).toLowerCase();
  if (ext === ".py") return "python";
  if (ext === ".ts" || ext === ".js" || ext === ".mjs") return "deno";
  if (ext === ".sh") return "shell";
  return undefined;
}

/**
 * Finds a skill's entry script: `declared` (the `entry_point` field) when that file
 * exists, else the first of {@link ENTRY_POINT_CANDIDATES} that exists, else the only
 * script (`.py`, `.js`, `.ts`, `.sh`; not `test_*`, `*_test.py`, `__init__.py` or
 * dotfiles) in `scripts/`.
 *
 * @param skillDir Absolute, symlink-free path of the skill directory.
 * @param declared `entry_point` as written in SKILL.md.
 * @returns The entry's path relative to `skillDir` with forward slashes, or
 * `undefined` when the skill has no entry script.
 * @throws {RangeError} When `declared` is absolute or leaves the skill directory, or
 * when the entry found resolves (through a symlink) outside the skill directory.
 */
export async function findEntryPoint(
  skillDir: string,
  declared?: string,
): Promise<string | undefined> {
  if (declared !== undefined) {
    const rel = normalize(declared);
    if (isAbsolute(declared) || rel === ".." || rel.startsWith(".." + sep)) {
      throw new RangeError(
        `Cannot use 'entry_point' outside the skill directory: current value is '${declared}'`,
      );
    }
    if (await isFile(join(skillDir, rel))) return await checkedEntry(skillDir, rel);
  }
  for (const candidate of ENTRY_POINT_CANDIDATES) {
    if (await isFile(join(skillDir, candidate))) return await checkedEntry(skillDir, candidate);
  }
  const scriptsDir = join(skillDir, "scripts");
  if (!(await isDirectory(scriptsDir))) return undefined;
  const scripts: string[] = [];
  for (const entry of await sortedEntries(scriptsDir)) {
    const name = entry.name;
    if (
      SINGLE_SCRIPT_EXTENSIONS.some((ext) => name.endsWith(ext)) &&
      !name.startsWith("test_") && !name.endsWith("_test.py") && name !== "__init__.py" &&
      !name.startsWith(".") && await isFile(join(scriptsDir, name))
    ) {
      scripts.push(`scripts/${name}`);
    }
  }
  return scripts.length === 1 ? await checkedEntry(skillDir, scripts[0]) : undefined;
}

async function checkedEntry(skillDir: string, rel: string): Promise<string> {
  const real = await Deno.realPath(join(skillDir, rel));
  const inside = relative(skillDir, real);
  if (inside === "" || inside === ".." || inside.startsWith(".." + sep) || isAbsolute(inside)) {
    throw new RangeError(
      `Cannot use an entry point outside the skill directory: '${rel}' resolves to '${real}'`,
    );
  }
  return rel.split(sep).join("/");
}
