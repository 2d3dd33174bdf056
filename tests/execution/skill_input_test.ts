import assert from "node:assert/strict";
import { skillInput } from "../../lib/execution/skill_input.ts";

Deno.test("skillInput() prefers input, then a JSON-object description, then wraps it", () => {
  const cases: Array<[string, { description: string; input?: unknown }, string]> = [
    ["object input", { description: "ignored", input: { a: 1, b: [2] } }, '{"a":1,"b":[2]}'],
    ["array input", { description: "x", input: [1, 2] }, "[1,2]"],
    ["string input", { description: "x", input: "text" }, '"text"'],
    ["null input is present", { description: "x", input: null }, "null"],
    ["false input is present", { description: "x", input: false }, "false"],
    ["JSON object description", { description: ' {"a": 1} ' }, '{"a":1}'],
    ["JSON array description is prose", { description: "[1,2]" }, '{"description":"[1,2]"}'],
    ["JSON number description is prose", { description: "42" }, '{"description":"42"}'],
    ["broken JSON is prose", { description: '{"a":' }, '{"description":"{\\"a\\":"}'],
    ["plain prose", { description: "add 2 and 3" }, '{"description":"add 2 and 3"}'],
    ["empty description", { description: "" }, '{"description":""}'],
  ];
  for (const [why, task, expected] of cases) {
    const text = skillInput(task);
    assert.equal(text, expected, why);
    JSON.parse(text); // always one JSON text
  }
});
