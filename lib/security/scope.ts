/**
 * Authorization decisions over a {@link Grant}: pure functions, no I/O. A refusal is a
 * {@link Denial} naming the missing scope (`action:task`, `capability:gpu`,
 * `skill:calculator`) for the 403 body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTask } from "./scope.ts";
 * const grant = {
 *   method: "token" as const, subject: "ci", actions: ["task" as const],
 *   capabilities: ["calc"], skills: ["*"],
 * };
 * assert.equal(checkTask(grant, { requiredCapabilities: ["calc"] }), null);
 * assert.equal(checkTask(grant, { requiredCapabilities: ["gpu"] })?.scope, "capability:gpu");
 * ```
 *
 * @module
 */
import { type Action, ANY, type Grant } from "./grant.ts";

/** The skill name the external `--executor-cmd` agent is checked as by {@link checkSkill}. */
export const AGENT_SKILL_NAME = "executor-cmd";

/** Why a valid credential may not do something: the missing scope, for a 403 answer. */
export interface Denial {
  /** The missing scope: `action:<action>`, `capability:<tag>` or `skill:<name>`. */
  scope: string;
  /** A human-readable sentence naming it. */
  message: string;
}

/** What a task asks for, as far as scope is concerned. */
export interface TaskScopeRequest {
  /** The task's `required_capabilities`. */
  requiredCapabilities: readonly string[];
  /** The task's `tool_hint`: the skill it asks for, when it names one. */
  toolHint?: string;
}

/** A local skill about to run, as far as scope is concerned. */
export interface SkillScopeRequest {
  /** The skill's name ({@link AGENT_SKILL_NAME} for the external agent). */
  name: string;
  /** The capability tags the skill advertises. */
  capabilities: readonly string[];
}

/**
 * Whether `grant` allows `action`; `admin` allows every action.
 *
 * @example
 * ```ts
 * import { allows } from "./scope.ts";
 * import { fullGrant } from "./grant.ts";
 * console.assert(allows(fullGrant("open", "anonymous"), "publish"));
 * ```
 */
export function allows(grant: Grant, action: Action): boolean {
  return grant.actions.includes("admin") || grant.actions.includes(action);
}

/**
 * Whether a task may be accepted under `grant`: the `task` action, every required
 * capability within the grant's capabilities, and the `tool_hint` (when given) within
 * its skills. A task without a `tool_hint` passes the skill part here: the skill is
 * chosen later and {@link checkSkill} decides then.
 *
 * @returns `null` when allowed, else the first missing scope.
 */
export function checkTask(grant: Grant, task: TaskScopeRequest): Denial | null {
  if (!allows(grant, "task")) return actionDenial("task");
  for (const capability of task.requiredCapabilities) {
    if (!covers(grant.capabilities, capability)) {
      return {
        scope: `capability:${capability}`,
        message: `The credential does not allow tasks requiring capability '${capability}'`,
      };
    }
  }
  if (task.toolHint !== undefined && task.toolHint !== "" && !covers(grant.skills, task.toolHint)) {
    return skillDenial(task.toolHint);
  }
  return null;
}

/**
 * Whether a local skill may run for `grant`. The rule: the grant allows the `task`
 * action; the skill's name is within the grant's skills (or they are `"*"`); and, unless
 * the grant's capabilities are `"*"`, EVERY capability the skill advertises is within
 * them — a skill tagged `calc` and `danger` needs both, so a `calc`-only credential
 * cannot reach the `danger` part by naming the skill — and a skill with no capabilities
 * never runs. The external agent is checked as skill {@link AGENT_SKILL_NAME}.
 *
 * @returns `null` when allowed, else the missing scope (for the capability part, the
 * skill's first capability outside the grant, or `capability:*` when it has none).
 *
 * @example
 * ```ts
 * import { checkSkill } from "./scope.ts";
 * const grant = {
 *   method: "token" as const, subject: "ci", actions: ["task" as const],
 *   capabilities: ["calc"], skills: ["*"],
 * };
 * console.assert(checkSkill(grant, { name: "add", capabilities: ["calc"] }) === null);
 * const denial = checkSkill(grant, { name: "rm", capabilities: ["calc", "danger"] });
 * console.assert(denial?.scope === "capability:danger");
 * ```
 */
export function checkSkill(grant: Grant, skill: SkillScopeRequest): Denial | null {
  if (!allows(grant, "task")) return actionDenial("task");
  if (!covers(grant.skills, skill.name)) return skillDenial(skill.name);
  if (grant.capabilities.includes(ANY)) return null;
  const outside = skill.capabilities.length === 0
    ? ANY
    : skill.capabilities.find((c) => !grant.capabilities.includes(c));
  if (outside === undefined) return null;
  return {
    scope: `capability:${outside}`,
    message: outside === ANY
      ? `The credential does not allow skills without capabilities ('${skill.name}')`
      : `The credential does not allow capability '${outside}' of skill '${skill.name}'`,
  };
}

/**
 * Whether `inner` allows nothing that `outer` does not: its actions, capabilities and
 * skills are within `outer`'s, and it expires no later (when `outer` expires at all).
 * What proves that no hop widens a scope.
 */
export function isWithin(inner: Grant, outer: Grant): boolean {
  return inner.actions.every((a) => allows(outer, a)) &&
    listWithin(inner.capabilities, outer.capabilities) &&
    listWithin(inner.skills, outer.skills) &&
    (outer.expiresAtMs === undefined ||
      (inner.expiresAtMs !== undefined && inner.expiresAtMs <= outer.expiresAtMs));
}

/**
 * The scope both grants allow (the intersection of actions, capabilities and skills, the
 * earlier expiry), with `a`'s identity (method, subject, token id, token, certificate).
 * The result is within both. Note that `a.token`, kept as is, still carries `a`'s own
 * scope: a node receiving it enforces that scope again.
 */
export function narrowestOf(a: Grant, b: Grant): Grant {
  const narrowed: Grant = {
    ...a,
    actions: intersectActions(a.actions, b.actions),
    capabilities: intersectList(a.capabilities, b.capabilities),
    skills: intersectList(a.skills, b.skills),
  };
  const expiries = [a.expiresAtMs, b.expiresAtMs].filter((e) => e !== undefined);
  if (expiries.length > 0) narrowed.expiresAtMs = Math.min(...expiries);
  return narrowed;
}

function covers(allowed: readonly string[], name: string): boolean {
  return allowed.includes(ANY) || allowed.includes(name);
}

function listWithin(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.includes(ANY)) return true;
  return inner.every((name) => name !== ANY && outer.includes(name));
}

function intersectActions(a: readonly Action[], b: readonly Action[]): Action[] {
  if (a.includes("admin")) return [...b];
  if (b.includes("admin")) return [...a];
  return a.filter((action) => b.includes(action));
}

function intersectList(a: readonly string[], b: readonly string[]): string[] {
  if (a.includes(ANY)) return [...b];
  if (b.includes(ANY)) return [...a];
  return a.filter((name) => b.includes(name));
}

function actionDenial(action: Action): Denial {
  return {
    scope: `action:${action}`,
    message: `The credential does not allow action '${action}'`,
  };
}

function skillDenial(name: string): Denial {
  return {
    scope: `skill:${name}`,
    message: `The credential does not allow skill '${name}'`,
  };
}
