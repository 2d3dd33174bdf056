/**
 * Which skill runs a task: the caller's `tool_hint`, else the one script skill that
 * holds every required capability.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { Skill } from "../skills/mod.ts";
import { checkSkill, type Grant } from "../security/mod.ts";
import { refuseOutsideScope } from "./scope_refusal.ts";

/** Options of {@link selectSkill}. */
export interface SelectSkillOptions {
  /**
   * The caller's grant. Only skills it may run are candidates, so an error never names
   * a skill the caller may not see, and a narrow credential matching one allowed skill
   * among several gets that one. Absent = every skill (a full-scope caller).
   */
  grant?: Grant;
}

/** The part of a task that names a skill. */
export interface SkillHint {
  /** Name of the skill the caller wants, matched exactly. */
  tool_hint?: string;
}

/**
 * Picks the skill that runs a task. A `tool_hint` naming a loaded skill wins (the
 * caller named it; the executor then checks it against the grant); else the candidates
 * are the script skills holding every tag in `capabilities` (all script skills when
 * `capabilities` is empty) that the grant allows, and exactly one must remain. Errors
 * name only allowed skills.
 *
 * @param skills The loaded skills.
 * @param task The task's hint.
 * @param capabilities Tags the task needs (given or inferred), matched exactly.
 * @param options The caller's grant.
 * @returns The chosen script skill.
 * @throws {SwarmError} `execution_failed` when the hinted skill cannot run,
 * `skill_not_found` when nothing matches, `forbidden` (naming the missing scope of the
 * first match) when skills match but the grant allows none, `ambiguous_skill` when
 * several allowed skills do.
 * @example
 * ```ts
 * import { selectSkill } from "./select_skill.ts";
 * import type { Skill } from "../skills/types.ts";
 * const calc = { name: "calc", kind: "script", capabilities: ["calc"] } as Skill;
 * const echo = { name: "echo", kind: "script", capabilities: ["echo"] } as Skill;
 * console.assert(selectSkill([calc, echo], {}, ["calc"]) === calc);
 * console.assert(selectSkill([calc, echo], { tool_hint: "echo" }, []) === echo);
 * ```
 */
export function selectSkill(
  skills: Skill[],
  task: SkillHint,
  capabilities: string[],
  options: SelectSkillOptions = {},
): Skill {
  const { grant } = options;
  const hint = task.tool_hint;
  if (hint !== undefined && hint !== "") {
    const named = skills.find((s) => s.name === hint);
    if (named) {
      if (named.kind !== "script") {
        const why = named.kind === "bash-tool"
          ? "needs an agent with a bash tool"
          : "is reference-only";
        throw new SwarmError(
          "execution_failed",
          `Skill '${named.name}' ${why} and cannot run`,
          { skill: named.name },
        );
      }
      return named;
    }
  }
  const matching = skills.filter((s) =>
    s.kind === "script" && capabilities.every((tag) => s.capabilities.includes(tag))
  );
  const candidates = grant === undefined
    ? matching
    : matching.filter((s) => checkSkill(grant, s) === null);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0 && grant !== undefined && matching.length > 0) {
    // Skills match but the credential may run none: 403 naming the scope it lacks for
    // the first (the one scope the caller would need), never the whole list.
    refuseOutsideScope(checkSkill(grant, matching[0]));
  }
  if (candidates.length === 0) {
    const which = grant === undefined ? "script skill" : "script skill this credential may run";
    const missing = capabilities.length > 0
      ? `no ${which} holds: ${capabilities.join(", ")}`
      : `no ${which} is loaded`;
    const message = hint ? `No skill is named '${hint}' and ${missing}` : `N${missing.slice(1)}`;
    throw new SwarmError("skill_not_found", message, { required_capabilities: capabilities });
  }
  const names = candidates.map((s) => s.name);
  throw new SwarmError(
    "ambiguous_skill",
    `Several skills match: ${names.join(", ")}; name one with tool_hint`,
    { candidates: names },
  );
}
