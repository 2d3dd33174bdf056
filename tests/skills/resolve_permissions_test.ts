import assert from "node:assert/strict";
import { resolvePermissions } from "../../lib/skills/resolve_permissions.ts";
import type { SkillManifest } from "../../lib/skills/parse_skill_md.ts";
import type { SkillPermissions } from "../../lib/skills/types.ts";

type Input = Pick<SkillManifest, "compatibility" | "permissions">;
const none: SkillPermissions = { net: false, read: [], write: [], env: [] };

const cases: [title: string, input: Input, expected: SkillPermissions][] = [
  ["defaults to nothing", { permissions: {} }, none],
  ["gives net from 'network' in compatibility", {
    compatibility: "Requires Python 3.x, network access",
    permissions: {},
  }, { ...none, net: true }],
  ["gives net from 'Internet' (any case)", { compatibility: "Needs INTERNET", permissions: {} }, {
    ...none,
    net: true,
  }],
  ["gives net from 'http'", { compatibility: "an HTTP client", permissions: {} }, {
    ...none,
    net: true,
  }],
  ["gives net from 网络", { compatibility: "Python 3.x，需网络权限", permissions: {} }, {
    ...none,
    net: true,
  }],
  ["gives no net for other compatibility text", {
    compatibility: "Requires git, docker",
    permissions: {},
  }, none],
  ["keeps an explicit net: false over compatibility", {
    compatibility: "network access",
    permissions: { net: false },
  }, none],
  ["keeps an explicit host list over compatibility", {
    compatibility: "network access",
    permissions: { net: ["127.0.0.1"] },
  }, { ...none, net: ["127.0.0.1"] }],
  ["keeps read, write and env as given", {
    permissions: { read: ["/data"], write: ["/out"], env: ["HOME", "LANG"] },
  }, { net: false, read: ["/data"], write: ["/out"], env: ["HOME", "LANG"] }],
];

for (const [title, input, expected] of cases) {
  Deno.test(`resolvePermissions() ${title}`, () => {
    assert.deepEqual(resolvePermissions(input), expected);
  });
}

Deno.test("resolvePermissions() does not share lists with its input", () => {
  const permissions = { net: ["a"], read: ["/r"] };
  const result = resolvePermissions({ permissions });
  (result.net as string[]).push("b");
  result.read.push("/s");
  assert.deepEqual(permissions, { net: ["a"], read: ["/r"] });
});
