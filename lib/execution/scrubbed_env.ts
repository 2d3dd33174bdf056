/**
 * The environment a skill runs with: a fixed minimum plus what it declares.
 *
 * @module
 */
import { isNodeEnv, type Skill } from "../skills/mod.ts";

/** The `PATH` every skill sees, whatever the node's own `PATH` is. */
export const SKILL_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * A minimal environment for a skill: `PATH` ({@link SKILL_PATH}), `HOME` and `TMPDIR`
 * set to its working directory, `LANG=C.UTF-8`, plus only the variables the skill
 * declares in `permissions.env` that are set in `sourceEnv`, except the node's own
 * (`isNodeEnv`: its tokens, LLM keys and `SWARM_*` settings, which the skill loader
 * already refuses to declare). Nothing else of the node's environment reaches the
 * skill.
 *
 * @param skill The skill (only `permissions.env` is read).
 * @param workDir The task's working directory.
 * @param sourceEnv The node's environment, to copy declared variables from.
 * @returns A fresh environment object.
 * @example
 * ```ts
 * import { scrubbedEnv } from "./scrubbed_env.ts";
 * const skill = {
 *   permissions: { net: false, read: [], write: [], env: ["GREETING", "SKILLLITE_SWARM_TOKEN"] },
 * };
 * const env = scrubbedEnv(skill, "/tmp/w", { GREETING: "hi", SKILLLITE_SWARM_TOKEN: "s3cret" });
 * console.assert(env.GREETING === "hi" && env.HOME === "/tmp/w");
 * console.assert(!("SKILLLITE_SWARM_TOKEN" in env));
 * ```
 */
export function scrubbedEnv(
  skill: Pick<Skill, "permissions">,
  workDir: string,
  sourceEnv: Record<string, string>,
): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const name of skill.permissions.env) {
    if (Object.hasOwn(sourceEnv, name) && !isNodeEnv(name)) entries.push([name, sourceEnv[name]]);
  }
  // The fixed variables come last so a declaration cannot override them.
  entries.push(["PATH", SKILL_PATH], ["HOME", workDir], ["TMPDIR", workDir], ["LANG", "C.UTF-8"]);
  // fromEntries defines own properties, so even a variable named __proto__ is kept as data.
  return Object.fromEntries(entries);
}
