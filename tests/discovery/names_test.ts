import assert from "node:assert/strict";
import {
  hostName,
  instanceId,
  instanceName,
  instancePart,
  isValidHostName,
  isValidInstancePart,
  nameKey,
} from "../../lib/discovery/names.ts";

const S = "_skilllite-swarm._udp.local";

Deno.test("instanceName() and hostName() build swarm's names", () => {
  assert.equal(instanceName("n1"), `n1.${S}`);
  assert.equal(hostName("n1"), "n1.local");
});

Deno.test("nameKey() lower-cases ASCII only and drops one trailing dot", () => {
  const cases: [string, string][] = [
    ["A.Local.", "a.local"],
    ["a.local", "a.local"],
    [".", "."],
    ["ÄB.local", "Äb.local"],
    ["İ.local", "İ.local"],
  ];
  for (const [input, want] of cases) assert.equal(nameKey(input), want, input);
});

Deno.test("instanceId() is the first label of a valid instance name, else null", () => {
  const cases: [string, string | null][] = [
    [`n1.${S}`, "n1"],
    [`N1.${S.toUpperCase()}.`, "N1"],
    [`My Node v1.2.${S}`, "My Node v1"],
    [`6f1c0e52-1d2a-4a57-9a38-4a1f1b0c2d3e.${S}`, "6f1c0e52-1d2a-4a57-9a38-4a1f1b0c2d3e"],
    [S, null],
    [`.${S}`, null],
    [`x${S}`, null],
    [`n1._http._tcp.local`, null],
    [`n1._skilllite-swarm._tcp.local`, null],
    [`${"x".repeat(64)}.${S}`, null],
    [`${"é".repeat(32)}.${S}`, null],
    [`${"é".repeat(31)}.${S}`, "é".repeat(31)],
    [`a\u0000b.${S}`, null],
    [`a\u009bb.${S}`, null],
    [`\ufffd.${S}`, null],
    [`addr:10.0.0.1:7700.${S}`, null],
    [`ADDR:x.${S}`, null],
    [`address-book.${S}`, "address-book"],
  ];
  for (const [input, want] of cases) assert.equal(instanceId(input), want, JSON.stringify(input));
  assert.equal(instancePart(`A.b.${S}`), "A.b");
  assert.equal(isValidInstancePart(""), false);
});

Deno.test("isValidHostName() refuses empty labels, controls and overlong names", () => {
  const cases: [string, boolean][] = [
    ["n1.local", true],
    ["n1.local.", true],
    ["n1", true],
    ["", false],
    [".", false],
    ["a..local", false],
    [".a.local", false],
    ["a\u0000.local", false],
    ["a\ufffd.local", false],
    [`${"a".repeat(253)}`, true],
    [`${"a".repeat(254)}`, false],
  ];
  for (const [input, want] of cases) {
    assert.equal(isValidHostName(input), want, JSON.stringify(input));
  }
});
