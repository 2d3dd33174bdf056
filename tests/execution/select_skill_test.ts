import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { selectSkill } from "../../lib/execution/select_skill.ts";
import { skill } from "./_helpers.ts";

const calc = skill("calculator", { capabilities: ["calc", "python"] });
const calc2 = skill("abacus", { capabilities: ["calc"] });
const echo = skill("echo", { capabilities: ["echo"], language: "deno" });
const docs = skill("docs", { kind: "reference", entryPoint: undefined, capabilities: ["calc"] });
const tool = skill("bash-thing", { kind: "bash-tool", entryPoint: undefined, capabilities: [] });
const all = [calc, calc2, echo, docs, tool];

Deno.test("selectSkill() picks by hint or by capabilities", () => {
  const cases: Array<[string, { tool_hint?: string }, string[], string]> = [
    ["hint wins over capabilities", { tool_hint: "echo" }, ["calc"], "echo"],
    ["hint with no capabilities", { tool_hint: "abacus" }, [], "abacus"],
    ["single holder of every tag", {}, ["calc", "python"], "calculator"],
    ["unique tag", {}, ["echo"], "echo"],
    ["unknown hint falls back to capabilities", { tool_hint: "nope" }, ["echo"], "echo"],
    ["empty hint is no hint", { tool_hint: "" }, ["python"], "calculator"],
  ];
  for (const [why, hint, caps, expected] of cases) {
    assert.equal(selectSkill(all, hint, caps).name, expected, why);
  }
});

Deno.test("selectSkill() with no capabilities takes the only script skill", () => {
  assert.equal(selectSkill([docs, echo, tool], {}, []).name, "echo");
});

Deno.test("selectSkill() refuses, with a stable code, what it cannot decide", () => {
  const cases: Array<[string, typeof all, { tool_hint?: string }, string[], string, RegExp]> = [
    [
      "reference hint",
      all,
      { tool_hint: "docs" },
      [],
      "execution_failed",
      /^Skill 'docs' is reference-only and cannot run$/,
    ],
    [
      "bash-tool hint",
      all,
      { tool_hint: "bash-thing" },
      [],
      "execution_failed",
      /^Skill 'bash-thing' needs an agent with a bash tool and cannot run$/,
    ],
    ["missing tag", all, {}, ["gpu"], "skill_not_found", /^No script skill holds: gpu$/],
    ["tag only on a reference skill", [docs], {}, ["calc"], "skill_not_found", /holds: calc/],
    [
      "no script skills at all",
      [docs, tool],
      {},
      [],
      "skill_not_found",
      /^No script skill is loaded$/,
    ],
    [
      "unknown hint, no match",
      all,
      { tool_hint: "nope" },
      ["gpu"],
      "skill_not_found",
      /^No skill is named 'nope' and no script skill holds: gpu$/,
    ],
    [
      "two holders",
      all,
      {},
      ["calc"],
      "ambiguous_skill",
      /^Several skills match: calculator, abacus; name one with tool_hint$/,
    ],
    ["no tags, several scripts", all, {}, [], "ambiguous_skill", /calculator, abacus, echo/],
  ];
  for (const [why, skills, hint, caps, code, message] of cases) {
    assert.throws(() => selectSkill(skills, hint, caps), (err: unknown) => {
      assert.ok(err instanceof SwarmError, why);
      assert.equal(err.code, code, why);
      assert.match(err.message, message, why);
      return true;
    });
  }
});

Deno.test("selectSkill() puts the details callers need in the error", () => {
  const thrown = (fn: () => unknown): SwarmError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof SwarmError) return err;
      throw err;
    }
    throw new Error("Expected a SwarmError");
  };
  const notFound = thrown(() => selectSkill(all, {}, ["gpu", "calc"]));
  assert.deepEqual(notFound.toBody().required_capabilities, ["gpu", "calc"]);
  assert.equal(notFound.status, 404);
  const ambiguous = thrown(() => selectSkill(all, {}, ["calc"]));
  assert.deepEqual(ambiguous.details.candidates, ["calculator", "abacus"]);
});

Deno.test("selectSkill() with a grant: candidates and errors are only the skills it may run", () => {
  const grant = (capabilities: string[], skills: string[] = ["*"]) => ({
    method: "token" as const,
    subject: "narrow",
    actions: ["task" as const],
    capabilities,
    skills,
  });
  const danger = skill("calc-danger", { capabilities: ["calc", "danger"] });
  const skills = [calc, calc2, danger, echo];
  const cases: Array<
    [why: string, g: ReturnType<typeof grant>, caps: string[], chosen: string | RegExp]
  > = [
    ["calc-only grant: the one calc skill without other tags", grant(["calc"]), ["calc"], "abacus"],
    [
      "calc+python grant: two allowed, listed without the danger skill",
      grant(["calc", "python"]),
      ["calc"],
      /^ambiguous_skill: Several skills match: calculator, abacus;/,
    ],
    [
      "grant listing skills: only those",
      grant(["*"], ["abacus", "calc-danger"]),
      ["calc"],
      /^ambiguous_skill: Several skills match: abacus, calc-danger;/,
    ],
    [
      "nothing allowed: 403 naming the one scope it lacks, no list of skills",
      grant(["danger"]),
      ["calc"],
      /^forbidden: The credential does not allow capability 'calc' of skill 'calculator'$/,
    ],
  ];
  for (const [why, g, caps, chosen] of cases) {
    let outcome: string;
    try {
      outcome = selectSkill(skills, {}, caps, { grant: g }).name;
    } catch (err) {
      const e = err as SwarmError;
      outcome = `${e.code}: ${e.message}`;
      if (e.code === "ambiguous_skill") {
        assert.ok(!(e.details.candidates as string[]).some((n) => !e.message.includes(n)), why);
      }
    }
    if (typeof chosen === "string") assert.equal(outcome, chosen, why);
    else assert.match(outcome, chosen, why);
  }
  // Without a grant every matching skill is listed, as before.
  assert.throws(
    () => selectSkill(skills, {}, ["calc"]),
    (err: SwarmError) =>
      err.code === "ambiguous_skill" &&
      (err.details.candidates as string[]).join() === "calculator,abacus,calc-danger",
  );
});
