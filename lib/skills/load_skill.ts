/**
 * Loading one skill directory into a {@link Skill}.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { entryLanguage, findEntryPoint } from "./entry_point.ts";
import { findEscapingLinks } from "./escaping_links.ts";
import { computeSkillFingerprint } from "./fingerprint.ts";
import { parseSkillMd } from "./parse_skill_md.ts";
import { resolveCapabilities } from "./resolve_capabilities.ts";
import { type ProtectedPath, secretProblems } from "./node_secrets.ts";
import { resolvePermissions } from "./resolve_permissions.ts";
import type { Skill, SkillKind, SkillPermissions } from "./types.ts";

/** Options of {@link loadSkill}. */
export interface LoadSkillOptions {
  /**
   * The node's files and directories (keyring, TLS key, token files, data directory)
   * that a skill's declared `read`/`write` paths must not cover; declaring one refuses
   * the skill. Declared environment variables of the node are refused whatever this
   * holds.
   *
   * @default {[]}
   */
  protectedPaths?: readonly ProtectedPath[];
}

/**
 * Loads the skill in `dir`: parses its SKILL.md, finds its entry script, resolves its
 * capabilities and permissions and computes its fingerprint. `kind` is `"script"` with
 * an entry script, else `"bash-tool"` when `allowed-tools` is given, else
 * `"reference"`. `dir` in the result is the directory's real path (symlinks resolved).
 *
 * A skill is refused when a symlink inside its directory leads outside it, when it
 * declares one of the node's environment variables (its token, LLM keys, `SWARM_*`
 * settings), or when a declared read/write path covers one of `protectedPaths`.
 *
 * @param dir Path of the skill directory.
 * @param options The node's protected paths.
 * @returns The loaded skill.
 * @throws {SyntaxError} When SKILL.md is not valid UTF-8 or its front matter is invalid.
 * @throws {RangeError} When the entry point leaves the skill directory or has an
 * extension swarm cannot run (only `.py`, `.js`, `.mjs`, `.ts`, `.sh`); when a symlink
 * leaves the skill directory; when the skill declares one of the node's secrets.
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
export async function loadSkill(dir: string, options: LoadSkillOptions = {}): Promise<Skill> {
  const { protectedPaths = [] } = options;
  const realDir = await Deno.realPath(dir);
  const escaping = await findEscapingLinks(realDir);
  if (escaping.length > 0) {
    const list = escaping.map(({ link, target }) => `'${link}' → '${target}'`).join(", ");
    throw new RangeError(
      `Cannot load a skill with symlinks leading outside its directory: ${list}`,
    );
  }
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
  const permissions = resolvePermissions(manifest);
  const problems = secretProblems(
    await absolutePermissions(realDir, permissions),
    protectedPaths,
  );
  if (problems.length > 0) throw new RangeError(problems.join("; "));
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
    permissions,
    allowedTools: manifest.allowedTools,
    requiresElevatedPermissions: manifest.requiresElevatedPermissions,
    fingerprint: await computeSkillFingerprint(realDir),
  };
}

/**
 * The declared paths made absolute (relative ones against the skill directory), each
 * in its written and its resolved form, so a symlink cannot hide a protected path.
 */
async function absolutePermissions(
  dir: string,
  permissions: SkillPermissions,
): Promise<Pick<SkillPermissions, "read" | "write" | "env">> {
  const forms = async (paths: string[]) => {
    const out: string[] = [];
    for (const path of paths) {
      const abs = isAbsolute(path) ? path : join(dir, path);
      out.push(abs);
      const real = await Deno.realPath(abs).catch(() => abs);
      if (real !== abs) out.push(real);
    }
    return out;
  };
  return {
    read: await forms(permissions.read),
    write: await forms(permissions.write),
    env: permissions.env,
  };
}
