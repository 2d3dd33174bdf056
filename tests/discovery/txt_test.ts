import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decodeTxt, parseCapabilities } from "../../lib/discovery/txt.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("decodeTxt() reads key=value strings tolerantly", () => {
  const cases: { name: string; data: unknown; want: Record<string, string> }[] = [
    { name: "array of strings", data: ["a=1", "b=2"], want: { a: "1", b: "2" } },
    { name: "array of Buffers (dns-packet)", data: [Buffer.from("a=1")], want: { a: "1" } },
    { name: "array of Uint8Arrays", data: [utf8("a=1"), utf8("b=")], want: { a: "1", b: "" } },
    { name: "a single string", data: "a=1", want: { a: "1" } },
    { name: "a single byte array", data: utf8("a=1"), want: { a: "1" } },
    { name: "key without = is an empty value", data: ["flag"], want: { flag: "" } },
    { name: "value keeps later = signs", data: ["a=b=c"], want: { a: "b=c" } },
    { name: "keys lower-cased", data: ["Capabilities=x"], want: { capabilities: "x" } },
    {
      name: "first occurrence wins, case-insensitively",
      data: ["a=1", "A=2", "a=3"],
      want: { a: "1" },
    },
    { name: "empty strings skipped", data: ["", utf8(""), "a=1"], want: { a: "1" } },
    { name: "leading = skipped (RFC 6763 §6.4)", data: ["=x", "a=1"], want: { a: "1" } },
    { name: "255-byte string kept", data: [`k=${"v".repeat(253)}`], want: { k: "v".repeat(253) } },
    { name: "256-byte string skipped", data: [`k=${"v".repeat(254)}`, "a=1"], want: { a: "1" } },
    {
      name: "256-byte multi-byte string skipped",
      data: [`k=${"é".repeat(127)}`, "a=1"],
      want: { a: "1" },
    },
    { name: "oversized byte array skipped", data: [new Uint8Array(300).fill(0x61)], want: {} },
    {
      name: "invalid UTF-8 replaced",
      data: [bytes(0x61, 0x3d, 0xff, 0x62)],
      want: { a: "\ufffdb" },
    },
    { name: "control character in key skipped", data: ["a\u0001=1", "b=2"], want: { b: "2" } },
    { name: "control characters in values kept", data: ["a=1\n2"], want: { a: "1\n2" } },
    { name: "__proto__ is an own key", data: ["__proto__=x"], want: { ["__proto__"]: "x" } },
    { name: "undefined", data: undefined, want: {} },
    { name: "null", data: null, want: {} },
    { name: "number", data: 42, want: {} },
    { name: "object", data: { a: "1" }, want: {} },
    { name: "array of wrong kinds", data: [1, null, {}, ["a=1"], "b=2"], want: { b: "2" } },
    { name: "empty array", data: [], want: {} },
  ];
  for (const c of cases) {
    const got = decodeTxt(c.data);
    assert.deepEqual({ ...got }, c.want, c.name);
    assert.deepEqual(Object.keys(got), Object.keys(c.want), c.name);
  }
});

Deno.test("decodeTxt() reads at most 256 strings", () => {
  const data = Array.from({ length: 100_000 }, (_, i) => `k${i}=v`);
  const got = decodeTxt(data);
  assert.equal(Object.keys(got).length, 256);
  assert.equal(got.k255, "v");
  assert.equal(got.k256, undefined);
});

Deno.test("parseCapabilities() accepts a JSON array of strings, else null", () => {
  const cases: { name: string; value: string | undefined; want: string[] | null }[] = [
    { name: "compact", value: '["calc","web"]', want: ["calc", "web"] },
    { name: "with spaces", value: '[ "calc" , "web" ]', want: ["calc", "web"] },
    { name: "empty array", value: "[]", want: [] },
    { name: "deduplicated, order kept", value: '["b","a","b"]', want: ["b", "a"] },
    { name: "case kept, not merged", value: '["Calc","calc"]', want: ["Calc", "calc"] },
    { name: "empty tag dropped", value: '["","calc"]', want: ["calc"] },
    {
      name: "128-char tag kept",
      value: JSON.stringify(["x".repeat(128)]),
      want: ["x".repeat(128)],
    },
    { name: "129-char tag dropped", value: JSON.stringify(["x".repeat(129), "a"]), want: ["a"] },
    { name: "control character tag dropped", value: '["a\\u0000b","c"]', want: ["c"] },
    { name: "missing", value: undefined, want: null },
    { name: "empty string", value: "", want: null },
    { name: "not JSON", value: "calc,web", want: null },
    { name: "truncated JSON", value: '["calc","we', want: null },
    { name: "a string", value: '"calc"', want: null },
    { name: "an object", value: '{"calc":true}', want: null },
    { name: "null", value: "null", want: null },
    { name: "a number element", value: '["calc",1]', want: null },
    { name: "a nested array", value: '[["calc"]]', want: null },
    { name: "a null element", value: '["calc",null]', want: null },
  ];
  for (const c of cases) assert.deepEqual(parseCapabilities(c.value), c.want, c.name);
});

Deno.test("parseCapabilities() keeps at most 256 tags and refuses huge text", () => {
  const many = JSON.stringify(Array.from({ length: 1000 }, (_, i) => `t${i}`));
  const got = parseCapabilities(many);
  assert.equal(got?.length, 256);
  assert.equal(got?.[255], "t255");
  assert.equal(parseCapabilities(JSON.stringify(["x".repeat(70_000)])), null);
});
