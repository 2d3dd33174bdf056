/**
 * Loading one skill directory into a {@link Skill}.
 *
 * @module
 */
import { join } from "node:path";
import { entryLanguage, findEntryPoint } from "./entry_point.ts";
import { computeSkillFingerprint } from "./fingerprint.ts";
import { parseSkillMd } from "./parse_skill_md.ts";
import { resolveCapabilities } from "./resolve_capabilities.ts";
import { resolvePermissions } from "./resolve_permissions.ts";
import type { Skill, SkillKind } from "./types.ts";

/**
 * Loads the skill in `dir`: parses its SKILL.md, finds its entry script, resolves its
 * capabilities and permissions and computes its fingerprint. `kind` is `"script"` with
 * an entry script, else `"bash-tool"` when `allowed-tools` is given, else
 * `"reference"`. `dir` in the result is the directory's real path (symlinks resolved).
 *
 * @param dir Path of the skill directory.
 * @returns The loaded skill.
 * @throws {SyntaxError} When SKILL.md is not valid UTF-8 or its front matter is invalid.
 * @throws {RangeError} When the entry point leaves the skill directory or has an
 * extension swarm cannot run (only `.py`, `.js`, `.mjs`, `.ts`, `.sh`).
 * @throws {Deno.errors.NotFound} When `dir` or its SKILL.md does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSkill } from "./load_skill.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/SKILL.md`, "---\nname: notes\n---\nJust notes.\n");
 * const skill = await loadSkill(dir);
 * assert.ok(skill.name === "notes" && skill.kind === "reference");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSkill(dir: string): Promise<Skill> {
  const realDir = await Deno.realPath(dir);
  const bytes = await Deno.readFile(join(realDir, "SKILL.md"));
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SyntaxError("SKILL.md is not valid UTF-8");
  }
  const manifest = parseSkillMd(text);
  const entry = await findEntryPoint(realDir, manifest.entryPoint);
  const language = entry === undefined ? undefined : entryLanguage(entry);
  if (entry !== undefined && language === undefined) {
    throw new RangeError(
      `Cannot run entry point '${entry}': swarm runs only .py, .js, .mjs, .ts and .sh scripts`,
    );
  }
  const kind: SkillKind = entry !== undefined
    ? "script"
    : manifest.allowedTools !== undefined
    ? "bash-tool"
    : "reference";
  const { capabilities, source } = resolveCapabilities(manifest);
  return {
    name: manifest.name,
    description: manifest.description ?? "",
    version: manifest.version,
    license: manifest.license,
    compatibility: manifest.compatibility,
    dir: realDir,
    kind,
    entryPoint: entry === undefined ? undefined : join(realDir, entry),
    language,
    capabilities,
    capabilitySource: source,
    permissions: resolvePermissions(manifest),
    allowedTools: manifest.allowedTools,
    requiresElevatedPermissions: manifest.requiresElevatedPermissions,
    fingerprint: await computeSkillFingerprint(realDir),
  };
}
