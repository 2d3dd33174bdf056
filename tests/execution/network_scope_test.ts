import assert from "node:assert/strict";
import { type NetworkScope, networkScope } from "../../lib/execution/network_scope.ts";
import type { SandboxKind, SkillPermissions } from "../../lib/skills/types.ts";

Deno.test("networkScope() reports what each sandbox really enforces", () => {
  const cases: Array<[SkillPermissions["net"], SandboxKind, NetworkScope["network"], boolean]> = [
    [false, "bwrap", "none", false],
    [[], "bwrap", "none", false],
    [true, "bwrap", "all", false],
    [["a.example"], "bwrap", "all", true],
    [false, "deno", "none", false],
    [true, "deno", "all", false],
    [["a.example", "b.example:443"], "deno", ["a.example", "b.example:443"], false],
    [false, "none", "all", true],
    [true, "none", "all", false],
    [true, "unavailable", "none", false],
  ];
  for (const [net, sandbox, network, noted] of cases) {
    const scope = networkScope({ permissions: { net, read: [], write: [], env: [] } }, sandbox);
    const why = `${JSON.stringify(net)} under ${sandbox}`;
    assert.deepEqual(scope.network, network, why);
    assert.equal(scope.note !== undefined, noted, why);
  }
  const wide = networkScope(
    { permissions: { net: ["a.example"], read: [], write: [], env: [] } },
    "bwrap",
  );
  assert.match(
    wide.note ?? "",
    /^bubblewrap cannot filter by host: declared hosts a.example mean the whole network$/,
  );
});
