import assert from "node:assert/strict";
import { compareReleases, compareVersions, isSemVer, versionKey } from "../../lib/sync/mod.ts";
import { rel } from "./_resolve_fixture.ts";

Deno.test("compareVersions() orders by SemVer 2.0 precedence", () => {
  // Each version precedes the next (semver.org §11's own example, then numeric fields).
  const ascending = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.9.0",
    "1.10.0",
    "2.0.0",
  ];
  for (let i = 0; i + 1 < ascending.length; i++) {
    assert.ok(compareVersions(ascending[i], ascending[i + 1]) < 0, ascending[i]);
    assert.ok(compareVersions(ascending[i + 1], ascending[i]) > 0, ascending[i]);
  }
  assert.equal(compareVersions("1.0.0+a", "1.0.0+b"), 0);
  assert.equal(versionKey("1.0.0-rc.1+b.5"), "1.0.0-rc.1");
});

Deno.test("isSemVer() accepts strict SemVer 2.0 only; compareVersions() throws on the rest", () => {
  for (
    const v of ["0.0.0", "1.2.3", "1.0.0-0.3.7", "1.0.0-x-y-z.--", "1.0.0+21AF26D3---117B344092BD"]
  ) {
    assert.ok(isSemVer(v), v);
  }
  for (const v of ["v1.0.0", "=1.0.0", " 1.0.0", "1.0", "01.0.0", "1.0.0-01", "1.0.0+", ""]) {
    assert.ok(!isSemVer(v), v);
    assert.throws(() => compareVersions(v, "1.0.0"), TypeError);
  }
});

Deno.test("compareReleases(): higher version, then later created, then smaller digest", () => {
  const low = rel({ version: "1.0.0", fingerprint: "f", created: "2026-12-09T00:00:00.000Z" });
  const high = rel({ version: "1.1.0", fingerprint: "f", digest: "z" });
  const late = rel({ version: "1.1.0", fingerprint: "g", created: "2026-12-03T00:00:00.000Z" });
  const small = rel({ version: "1.1.0", fingerprint: "h", digest: "a" });
  const sorted = [low, high, late, small];
  for (const order of [sorted, sorted.toReversed(), [small, low, late, high]]) {
    assert.deepEqual(order.toSorted(compareReleases), [late, small, high, low]);
  }
  assert.equal(compareReleases(high, high), 0);
});
