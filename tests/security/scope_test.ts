import assert from "node:assert/strict";
import fc from "fast-check";
import { type Action, ACTIONS, fullGrant, type Grant } from "../../lib/security/grant.ts";
import {
  AGENT_SKILL_NAME,
  allows,
  checkSkill,
  checkTask,
  isWithin,
  narrowestOf,
} from "../../lib/security/scope.ts";

function grant(
  actions: Action[],
  capabilities: string[],
  skills: string[],
  expiresAtMs?: number,
): Grant {
  return {
    method: "token",
    subject: "ci",
    actions,
    capabilities,
    skills,
    ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
  };
}

const ALLOWS: Array<[actions: Action[], action: Action, expected: boolean]> = [
  [["admin"], "task", true],
  [["admin"], "read", true],
  [["admin"], "publish", true],
  [["admin"], "admin", true],
  [["task"], "task", true],
  [["task"], "read", false],
  [["task", "read"], "read", true],
  [["task", "read"], "publish", false],
  [["task", "read", "publish"], "admin", false],
  [["read"], "task", false],
  [["publish"], "publish", true],
  [[], "read", false],
];

for (const [actions, action, expected] of ALLOWS) {
  Deno.test(`allows() with ${JSON.stringify(actions)} for '${action}' is ${expected}`, () => {
    assert.equal(allows(grant(actions, ["*"], ["*"]), action), expected);
  });
}

const TASKS: Array<[
  name: string,
  grant: Grant,
  task: { requiredCapabilities: string[]; toolHint?: string },
  scope: string | null,
]> = [
  ["full grant, anything", fullGrant("open", "x"), {
    requiredCapabilities: ["gpu"],
    toolHint: "any",
  }, null],
  ["wildcards", grant(["task"], ["*"], ["*"]), {
    requiredCapabilities: ["gpu", "calc"],
    toolHint: "calculator",
  }, null],
  ["listed capability and skill", grant(["task"], ["calc", "web"], ["calculator"]), {
    requiredCapabilities: ["web", "calc"],
    toolHint: "calculator",
  }, null],
  ["no requirement, no hint", grant(["task"], [], []), { requiredCapabilities: [] }, null],
  ["empty hint counts as none", grant(["task"], [], []), {
    requiredCapabilities: [],
    toolHint: "",
  }, null],
  ["admin implies task", grant(["admin"], ["calc"], ["*"]), {
    requiredCapabilities: ["calc"],
  }, null],
  ["read-only", grant(["read"], ["*"], ["*"]), { requiredCapabilities: [] }, "action:task"],
  ["publish-only", grant(["publish"], ["*"], ["*"]), {
    requiredCapabilities: ["calc"],
  }, "action:task"],
  ["action before capability", grant(["read"], [], []), {
    requiredCapabilities: ["gpu"],
    toolHint: "x",
  }, "action:task"],
  ["missing capability", grant(["task"], ["calc"], ["*"]), {
    requiredCapabilities: ["calc", "gpu"],
  }, "capability:gpu"],
  ["first missing capability is named", grant(["task"], ["calc"], ["*"]), {
    requiredCapabilities: ["gpu", "web"],
  }, "capability:gpu"],
  ["no capabilities at all", grant(["task"], [], ["*"]), {
    requiredCapabilities: ["calc"],
  }, "capability:calc"],
  ["a literal * requirement needs a * grant", grant(["task"], ["calc"], ["*"]), {
    requiredCapabilities: ["*"],
  }, "capability:*"],
  ["capability before skill", grant(["task"], ["calc"], ["calculator"]), {
    requiredCapabilities: ["gpu"],
    toolHint: "browser",
  }, "capability:gpu"],
  ["missing skill", grant(["task"], ["*"], ["calculator"]), {
    requiredCapabilities: [],
    toolHint: "browser",
  }, "skill:browser"],
  ["skill list is case-sensitive", grant(["task"], ["*"], ["calculator"]), {
    requiredCapabilities: [],
    toolHint: "Calculator",
  }, "skill:Calculator"],
  ["no hint passes the skill part", grant(["task"], ["*"], ["calculator"]), {
    requiredCapabilities: [],
  }, null],
];

for (const [name, g, task, scope] of TASKS) {
  Deno.test(`checkTask(): ${name} → ${scope ?? "allowed"}`, () => {
    const denial = checkTask(g, task);
    assert.equal(denial?.scope ?? null, scope);
    if (denial !== null) assert.ok(denial.message.includes(scope!.split(":")[1]), denial.message);
  });
}

const SKILLS: Array<[
  name: string,
  grant: Grant,
  skill: { name: string; capabilities: string[] },
  scope: string | null,
]> = [
  ["full grant", fullGrant("shared-secret", "x"), { name: "x", capabilities: [] }, null],
  ["wildcards, skill without capabilities", grant(["task"], ["*"], ["*"]), {
    name: "x",
    capabilities: [],
  }, null],
  [
    "listed skill with every capability granted",
    grant(["task"], ["calc", "math"], [
      "calculator",
    ]),
    {
      name: "calculator",
      capabilities: ["math", "calc"],
    },
    null,
  ],
  // Issue 12 finding 8: one shared capability is not enough.
  ["listed skill sharing only one capability", grant(["task"], ["calc"], ["calculator"]), {
    name: "calculator",
    capabilities: ["math", "calc"],
  }, "capability:math"],
  ["calc-only grant, skill tagged calc and danger", grant(["task"], ["calc"], ["*"]), {
    name: "calc-danger",
    capabilities: ["calc", "danger"],
  }, "capability:danger"],
  ["any skill sharing one capability", grant(["task"], ["calc"], ["*"]), {
    name: "adder",
    capabilities: ["calc"],
  }, null],
  ["agent allowed by name", grant(["task"], ["*"], [AGENT_SKILL_NAME]), {
    name: AGENT_SKILL_NAME,
    capabilities: [],
  }, null],
  ["no task action", grant(["read", "publish"], ["*"], ["*"]), {
    name: "x",
    capabilities: [],
  }, "action:task"],
  ["skill not listed", grant(["task"], ["*"], ["calculator"]), {
    name: "browser",
    capabilities: ["web"],
  }, "skill:browser"],
  ["agent not listed", grant(["task"], ["*"], ["calculator"]), {
    name: AGENT_SKILL_NAME,
    capabilities: ["llm"],
  }, `skill:${AGENT_SKILL_NAME}`],
  ["skill before capability", grant(["task"], ["calc"], ["calculator"]), {
    name: "browser",
    capabilities: ["web"],
  }, "skill:browser"],
  ["no shared capability", grant(["task"], ["calc"], ["*"]), {
    name: "browser",
    capabilities: ["web", "net"],
  }, "capability:web"],
  ["skill without capabilities under a restricted grant", grant(["task"], ["calc"], ["*"]), {
    name: "notes",
    capabilities: [],
  }, "capability:*"],
  ["empty capability grant", grant(["task"], [], ["*"]), {
    name: "calculator",
    capabilities: ["calc"],
  }, "capability:calc"],
];

for (const [name, g, skill, scope] of SKILLS) {
  Deno.test(`checkSkill(): ${name} → ${scope ?? "allowed"}`, () => {
    assert.equal(checkSkill(g, skill)?.scope ?? null, scope);
  });
}

const WITHIN: Array<[name: string, inner: Grant, outer: Grant, expected: boolean]> = [
  ["equal", grant(["task"], ["a"], ["s"]), grant(["task"], ["a"], ["s"]), true],
  ["anything within full", grant(["admin"], ["*"], ["*"]), fullGrant("open", "x"), true],
  ["full not within narrower", fullGrant("open", "x"), grant(["task"], ["*"], ["*"]), false],
  [
    "subset of capabilities",
    grant(["task"], ["a"], ["s"]),
    grant(["task"], ["a", "b"], ["s"]),
    true,
  ],
  [
    "extra capability",
    grant(["task"], ["a", "c"], ["s"]),
    grant(["task"], ["a", "b"], ["s"]),
    false,
  ],
  ["wildcard inside list", grant(["task"], ["*"], ["s"]), grant(["task"], ["a"], ["s"]), false],
  ["list inside wildcard", grant(["task"], ["a"], ["s"]), grant(["task"], ["*"], ["s"]), true],
  ["extra skill", grant(["task"], ["a"], ["s", "t"]), grant(["task"], ["a"], ["s"]), false],
  [
    "skill wildcard inside list",
    grant(["task"], ["a"], ["*"]),
    grant(["task"], ["a"], ["s"]),
    false,
  ],
  ["fewer actions", grant(["read"], [], []), grant(["task", "read"], [], []), true],
  ["extra action", grant(["task", "publish"], [], []), grant(["task", "read"], [], []), false],
  ["task within admin", grant(["task"], [], []), grant(["admin"], [], []), true],
  [
    "admin not within all three",
    grant(["admin"], [], []),
    grant(["task", "read", "publish"], [], []),
    false,
  ],
  ["earlier expiry", grant(["task"], [], [], 100), grant(["task"], [], [], 200), true],
  ["same expiry", grant(["task"], [], [], 200), grant(["task"], [], [], 200), true],
  ["later expiry", grant(["task"], [], [], 300), grant(["task"], [], [], 200), false],
  ["no expiry inside expiring", grant(["task"], [], []), grant(["task"], [], [], 200), false],
  ["expiring inside no expiry", grant(["task"], [], [], 200), grant(["task"], [], []), true],
];

for (const [name, inner, outer, expected] of WITHIN) {
  Deno.test(`isWithin(): ${name} → ${expected}`, () => {
    assert.equal(isWithin(inner, outer), expected);
  });
}

Deno.test("narrowestOf() intersects actions, lists and expiry and keeps the first identity", () => {
  const a: Grant = { ...grant(["admin"], ["calc", "web"], ["*"], 500), token: "t", tokenId: "j" };
  const b: Grant = { ...grant(["task", "read"], ["*"], ["calculator"], 300), subject: "peer" };
  assert.deepEqual(narrowestOf(a, b), {
    method: "token",
    subject: "ci",
    tokenId: "j",
    token: "t",
    actions: ["task", "read"],
    capabilities: ["calc", "web"],
    skills: ["calculator"],
    expiresAtMs: 300,
  });
  const c = grant(["task", "publish"], ["calc", "gpu"], ["a", "b"]);
  const d = grant(["publish", "read"], ["gpu", "web"], ["b", "c"]);
  const n = narrowestOf(c, d);
  assert.deepEqual([n.actions, n.capabilities, n.skills, n.expiresAtMs], [
    ["publish"],
    ["gpu"],
    ["b"],
    undefined,
  ]);
});

const NAMES = ["*", "a", "b", "c"];
const arbGrant = fc.record({
  actions: fc.subarray([...ACTIONS]),
  capabilities: fc.subarray(NAMES),
  skills: fc.subarray(NAMES),
  expiresAtMs: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
}).map(({ actions, capabilities, skills, expiresAtMs }) =>
  grant(actions, capabilities, skills, expiresAtMs)
);

Deno.test("narrowestOf() is within both grants, and isWithin() is reflexive", () => {
  fc.assert(
    fc.property(arbGrant, arbGrant, (a, b) => {
      const n = narrowestOf(a, b);
      return isWithin(n, a) && isWithin(n, b) && isWithin(a, a);
    }),
    { numRuns: 500 },
  );
});

Deno.test("a grant within another never passes a check the other fails", () => {
  const task = fc.record({
    requiredCapabilities: fc.subarray(["a", "b", "c"]),
    toolHint: fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
  });
  const skill = fc.record({
    name: fc.constantFrom("a", "b", "c"),
    capabilities: fc.subarray(NAMES),
  });
  fc.assert(
    fc.property(arbGrant, arbGrant, task, skill, (inner, outer, t, s) => {
      if (!isWithin(inner, outer)) return true;
      return (checkTask(outer, t) === null || checkTask(inner, t) !== null) &&
        (checkSkill(outer, s) === null || checkSkill(inner, s) !== null) &&
        ACTIONS.every((a) => allows(outer, a) || !allows(inner, a));
    }),
    { numRuns: 1000 },
  );
});
