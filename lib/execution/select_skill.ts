/**
 * Which skill runs a task: the caller's `tool_hint`, else the one script skill that
 * holds every required capability.
 *
 * @module
 */
import { SwarmError } from "../protocol/errors.ts";
import type { Skill } from "../skills/types.ts";

/** The part of a task that names a skill. */
export interface SkillHint {
  /** Name of the skill the caller wants, matched exactly. */
  tool_hint?: string;
}

/**
 * Picks the skill that runs a task. A `tool_hint` naming a loaded skill wins; else the
 * candidates are the script skills holding every tag in `capabilities` (all script
 * skills when `capabilities` is empty), and exactly one must remain.
 *
 * @param skills The loaded skills.
 * @param task The task's hint.
 * @param capabilities Tags the task needs (given or inferred), matched exactly.
 * @returns The chosen script skill.
 * @throws {SwarmError} `execution_failed` when the hinted skill cannot run,
 * `skill_not_found` when nothing matches, `ambiguous_skill` when several do.
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
export function selectSkill(skills: Skill[], task: SkillHint, capabilities: string[]): Skill {
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
  const candidates = skills.filter((s) =>
    s.kind === "script" && capabilities.every((tag) => s.capabilities.includes(tag))
  );
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    const missing = capabilities.length > 0
      ? `no script skill holds: ${capabilities.join(", ")}`
      : "no script skill is loaded";
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
