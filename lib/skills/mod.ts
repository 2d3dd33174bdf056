/**
 * Skills in the Agent Skills format (SKILL.md), as SkillLite reads them: parsing,
 * entry-point resolution, capabilities, permissions, the SkillLite-compatible
 * fingerprint, discovery in skills directories, and the choice of sandbox.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseSandbox, loadSkillCatalog, nodeCapabilities } from "./mod.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/calc/scripts`, { recursive: true });
 * await Deno.writeTextFile(
 *   `${root}/calc/SKILL.md`,
 *   "---\nname: calc\ndescription: A calculator\n---\n",
 * );
 * await Deno.writeTextFile(`${root}/calc/scripts/main.py`, "print('{}')\n");
 *
 * const { skills, problems } = await loadSkillCatalog([root]);
 * assert.ok(problems.length === 0);
 * assert.ok(skills[0].kind === "script" && skills[0].language === "python");
 * assert.ok(nodeCapabilities(skills).join() === "calc");
 * const env = { bwrap: true, deno: true, allowUnsandboxed: false };
 * assert.ok(chooseSandbox(skills[0], env) === "bwrap");
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @module
 */
export type {
  CapabilitySource,
  SandboxKind,
  Skill,
  SkillCatalog,
  SkillKind,
  SkillLoadProblem,
  SkillPermissions,
} from "./types.ts";
export { CAPABILITY_KEYWORDS, inferCapabilities } from "./keywords.ts";
export { parseSkillMd, type SkillManifest } from "./parse_skill_md.ts";
export { ENTRY_POINT_CANDIDATES, entryLanguage, findEntryPoint } from "./entry_point.ts";
export { resolveCapabilities, type ResolvedCapabilities } from "./resolve_capabilities.ts";
export { resolvePermissions } from "./resolve_permissions.ts";
export {
  computeSkillFingerprint,
  FINGERPRINT_SKIPPED_DIRS,
  FINGERPRINT_SKIPPED_FILES,
} from "./fingerprint.ts";
/** Orders strings by their UTF-8 bytes: the order of a skill's files in its fingerprint. */
export { compareUtf8 } from "./_fs.ts";
export { loadSkill, type LoadSkillOptions } from "./load_skill.ts";
export { type EscapingLink, findEscapingLinks, MAX_SKILL_ENTRIES } from "./escaping_links.ts";
export {
  isNodeEnv,
  NODE_ENV_PREFIXES,
  NODE_SECRET_ENV_NAMES,
  type ProtectedPath,
  secretProblems,
} from "./node_secrets.ts";
export { loadSkillCatalog, SKILLS_DIR_NOT_FOUND } from "./load_skill_catalog.ts";
export { materializeStarterSkills, STARTER_SKILLS_SOURCE } from "./starter_skills.ts";
export { DEFAULT_SKILL_DIR_NAMES, defaultSkillDirs } from "./default_skill_dirs.ts";
export { nodeCapabilities } from "./node_capabilities.ts";
export { watchSkillDirs, type WatchSkillDirsOptions } from "./watch_skill_dirs.ts";
export {
  cannotRunReason,
  chooseSandbox,
  type DetectedSandboxes,
  detectSandboxes,
  type DetectSandboxesOptions,
  type SandboxEnv,
  whyUnavailable,
} from "./sandbox_choice.ts";
