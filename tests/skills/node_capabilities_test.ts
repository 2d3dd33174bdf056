import assert from "node:assert/strict";
import { nodeCapabilities } from "../../lib/skills/node_capabilities.ts";

const cases: [title: string, skills: string[][], expected: string[]][] = [
  ["no skills give no tags", [], []],
  ["one skill gives its tags sorted", [["web", "calc"]], ["calc", "web"]],
  ["tags are merged without duplicates", [["web"], ["calc", "web"], []], ["calc", "web"]],
  ["tags are not normalised", [["Web"], ["web"]], ["Web", "web"]],
];

for (const [title, skills, expected] of cases) {
  Deno.test(`nodeCapabilities(): ${title}`, () => {
    assert.deepEqual(nodeCapabilities(skills.map((capabilities) => ({ capabilities }))), expected);
  });
}
