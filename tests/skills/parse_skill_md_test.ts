import assert from "node:assert/strict";
import { parseSkillMd } from "../../lib/skills/parse_skill_md.ts";

Deno.test("parseSkillMd() reads every known field and the body", () => {
  const m = parseSkillMd(`---
name: calculator
description: Does arithmetic
license: MIT
compatibility: Requires Python 3
entry_point: scripts/calc.py
metadata:
  author: someone
  version: "2.1.0"
  capabilities: [maths, 42, numbers]
allowed-tools: "Bash(bc:*)"
requires_elevated_permissions: true
capabilities: [calc, Calc]
permissions:
  net: ["127.0.0.1", "example.com:443"]
  read: [/etc/hosts]
  write: [/tmp/out]
  env: [HOME]
---
# Calculator

Body text.
`);
  assert.equal(m.name, "calculator");
  assert.equal(m.description, "Does arithmetic");
  assert.equal(m.license, "MIT");
  assert.equal(m.compatibility, "Requires Python 3");
  assert.equal(m.entryPoint, "scripts/calc.py");
  assert.equal(m.metadata.author, "someone");
  assert.equal(m.version, "2.1.0");
  assert.deepEqual(m.metadataCapabilities, ["maths", "numbers"]);
  assert.equal(m.allowedTools, "Bash(bc:*)");
  assert.equal(m.requiresElevatedPermissions, true);
  assert.deepEqual(m.capabilities, ["calc", "Calc"]);
  assert.deepEqual(m.permissions, {
    net: ["127.0.0.1", "example.com:443"],
    read: ["/etc/hosts"],
    write: ["/tmp/out"],
    env: ["HOME"],
  });
  assert.equal(m.body, "# Calculator\n\nBody text.\n");
});

Deno.test("parseSkillMd() applies defaults for absent and null fields", () => {
  const m = parseSkillMd("---\nname: x\ndescription:\ncapabilities: ~\n---\n");
  assert.equal(m.description, undefined);
  assert.equal(m.capabilities, undefined);
  assert.equal(m.version, undefined);
  assert.equal(m.metadataCapabilities, undefined);
  assert.equal(m.requiresElevatedPermissions, false);
  assert.deepEqual(m.metadata, {});
  assert.deepEqual(m.permissions, {});
  assert.equal(m.body, "");
});

Deno.test("parseSkillMd() keeps a numeric metadata.version as written", () => {
  assert.equal(parseSkillMd("---\nname: x\nmetadata:\n  version: 1.0\n---\n").version, "1.0");
  assert.equal(parseSkillMd("---\nname: x\nmetadata:\n  version: 3\n---\n").version, "3");
  assert.equal(parseSkillMd("---\nname: x\nmetadata:\n  version: [1]\n---\n").version, undefined);
});

Deno.test("parseSkillMd() accepts CRLF line ends, a BOM and trailing spaces on fences", () => {
  const m = parseSkillMd("\uFEFF--- \r\nname: crlf\r\n---  \r\nBody\r\n");
  assert.equal(m.name, "crlf");
  assert.equal(m.body, "Body\r\n");
});

Deno.test("parseSkillMd() ends the front matter at the first '---' line only", () => {
  const m = parseSkillMd("---\nname: x\n---\nText\n---\nmore\n");
  assert.equal(m.body, "Text\n---\nmore\n");
});

Deno.test("parseSkillMd() takes net: true/false as given", () => {
  assert.equal(
    parseSkillMd("---\nname: x\npermissions:\n  net: true\n---\n").permissions.net,
    true,
  );
  assert.equal(
    parseSkillMd("---\nname: x\npermissions:\n  net: false\n---\n").permissions.net,
    false,
  );
});

const invalid: [title: string, text: string, message: RegExp][] = [
  ["no front matter", "# Just markdown\n", /must begin with a '---' line/],
  ["empty file", "", /must begin with a '---' line/],
  ["unclosed front matter", "---\nname: x\n", /not closed/],
  ["bad YAML", "---\nname: [x\n---\n", /^Invalid YAML in SKILL\.md front matter \(line \d+/],
  ["duplicate keys", "---\nname: a\nname: b\n---\n", /Invalid YAML.*unique/],
  [
    "an unresolved alias",
    "---\nname: *ref\n---\n",
    /^Invalid YAML in SKILL\.md front matter: Unresolved alias/,
  ],
  ["a list, not a mapping", "---\n- a\n- b\n---\n", /must be a YAML mapping/],
  ["empty front matter", "---\n---\n", /has no 'name'/],
  ["no name", "---\ndescription: x\n---\n", /has no 'name'/],
  ["empty name", "---\nname: '  '\n---\n", /'name' must be a non-empty string: got " {2}"/],
  ["numeric name", "---\nname: 42\n---\n", /'name' must be a non-empty string: got 42/],
  [
    "description not a string",
    "---\nname: x\ndescription: [a]\n---\n",
    /'description' must be a string/,
  ],
  [
    "allowed-tools not a string",
    "---\nname: x\nallowed-tools: [a]\n---\n",
    /'allowed-tools' must be a string/,
  ],
  [
    "capabilities not a list",
    "---\nname: x\ncapabilities: calc\n---\n",
    /'capabilities' must be a list of strings/,
  ],
  [
    "capability not a string",
    "---\nname: x\ncapabilities: [1]\n---\n",
    /'capabilities' must be a list/,
  ],
  [
    "elevated not a bool",
    "---\nname: x\nrequires_elevated_permissions: yes\n---\n",
    /must be true or false/,
  ],
  ["metadata not a mapping", "---\nname: x\nmetadata: [a]\n---\n", /'metadata' must be a mapping/],
  [
    "permissions not a mapping",
    "---\nname: x\npermissions: all\n---\n",
    /'permissions' must be a mapping/,
  ],
  [
    "unknown permission",
    "---\nname: x\npermissions:\n  network: true\n---\n",
    /unknown keys: network/,
  ],
  [
    "net not a list",
    "---\nname: x\npermissions:\n  net: '*'\n---\n",
    /'permissions\.net' \(or true\/false\) must be a list/,
  ],
  [
    "empty env name",
    "---\nname: x\npermissions:\n  env: ['']\n---\n",
    /'permissions\.env' must be a list of non-empty strings/,
  ],
];

for (const [title, text, message] of invalid) {
  Deno.test(`parseSkillMd() refuses ${title} with a clear message`, () => {
    assert.throws(() => parseSkillMd(text), (err: unknown) => {
      assert.ok(err instanceof SyntaxError, `expected a SyntaxError, got ${err}`);
      assert.match(err.message, message);
      assert.ok(!err.message.endsWith("."), "messages end without a period");
      return true;
    });
  });
}

Deno.test("parseSkillMd() refuses an alias bomb instead of expanding it", () => {
  const level = (n: number) => `a${n}: &a${n} [${Array(10).fill(`*a${n - 1}`).join(", ")}]`;
  const text = [
    "---",
    "a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
    ...[1, 2, 3, 4, 5, 6, 7].map(level),
    "name: x",
    "---",
    "",
  ].join("\n");
  assert.throws(() => parseSkillMd(text), SyntaxError, "resource exhaustion");
});
