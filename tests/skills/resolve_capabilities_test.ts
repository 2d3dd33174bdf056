import assert from "node:assert/strict";
import { resolveCapabilities } from "../../lib/skills/resolve_capabilities.ts";
import type { SkillManifest } from "../../lib/skills/parse_skill_md.ts";

type Input = Pick<
  SkillManifest,
  "name" | "description" | "compatibility" | "capabilities" | "metadataCapabilities"
>;

const cases: [title: string, input: Input, capabilities: string[], source: string][] = [
  [
    "top-level capabilities win over metadata and inference",
    { name: "calculator", capabilities: ["Web", "web"], metadataCapabilities: ["x"] },
    ["Web", "web"],
    "declared",
  ],
  [
    "metadata.capabilities win over inference",
    { name: "calculator", metadataCapabilities: ["numbers"] },
    ["numbers"],
    "metadata",
  ],
  [
    "an empty top-level list falls through to metadata",
    { name: "x", capabilities: [], metadataCapabilities: ["m"] },
    ["m"],
    "metadata",
  ],
  [
    "an empty metadata list falls through to inference",
    { name: "calculator", capabilities: [], metadataCapabilities: [] },
    ["calc"],
    "inferred",
  ],
  [
    "inference reads compatibility, name and description",
    { name: "nodejs-tool", compatibility: "Requires Python 3", description: "Uses Playwright" },
    ["browser", "node", "python"],
    "inferred",
  ],
  [
    "inference is case-insensitive",
    { name: "X", description: "An INTERNET PANDAS thing" },
    ["data", "web"],
    "inferred",
  ],
  [
    "inference knows the Chinese keywords",
    { name: "工具", description: "需要网络来计算汇率" },
    ["calc", "web"],
    "inferred",
  ],
  [
    "inference matches substrings (mathematics → calc, https → web)",
    { name: "x", description: "mathematics over https" },
    ["calc", "web"],
    "inferred",
  ],
  ["nothing to infer gives no tags", { name: "notes", description: "Plain notes" }, [], "inferred"],
];

for (const [title, input, capabilities, source] of cases) {
  Deno.test(`resolveCapabilities(): ${title}`, () => {
    const result = resolveCapabilities(input);
    assert.deepEqual(result, { capabilities, source });
  });
}

Deno.test("resolveCapabilities() returns a copy of the declared list", () => {
  const declared = ["calc"];
  const result = resolveCapabilities({ name: "x", capabilities: declared });
  result.capabilities.push("other");
  assert.deepEqual(declared, ["calc"]);
});
