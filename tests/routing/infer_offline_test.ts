import assert from "node:assert/strict";
import { inferFromDescription } from "../../lib/routing/infer_offline.ts";

const ALL = ["browser", "calc", "data", "node", "python", "web"];

Deno.test("inferFromDescription() applies keywords and the arithmetic rule", () => {
  const cases: Array<[string, string[]]> = [
    ["1+1等于几？", ["calc"]],
    ["what is 12 * 7", ["calc"]],
    ["12*7", ["calc"]],
    ["(3 − 1) / 2", ["calc"]],
    ["２＋３", ["calc"]],
    ["100 ÷ 4", ["calc"]],
    ["6 × 7 = ?", ["calc"]],
    ["2^10", ["calc"]],
    ["17 % 5", ["calc"]],
    ["3.5*2", ["calc"]],
    ["北京到上海多少公里，距离是1200", ["calc"]],
    ["please calculate my taxes", ["calc"]],
    ["Compute the average", ["calc"]],
    ["the sum of all invoices", ["calc"]],
    ["九加三等于几", ["calc"]],
    ["一共等于多少", ["calc"]],
    ["用计算器", ["calc"]],
    ["Use Python and pandas over HTTP", ["data", "python", "web"]],
    ["Open Chromium with playwright", ["browser"]],
    ["run a Node.js script", ["node"]],
    // Not arithmetic.
    ["hello there", []],
    ["今天天气怎么样", []],
    ["天气有多少变化", []],
    ["fetch https://example.com/2024/05 now", ["web"]],
    ["news from 2024-01-05", []],
    ["meet at 10:30", []],
    ["build for x86-64", []],
    ["open the computer's settings", []],
    ["version 1.2.3", []],
  ];
  for (const [description, want] of cases) {
    assert.deepEqual(inferFromDescription(description, ALL), want, description);
  }
});

Deno.test("inferFromDescription() returns only known tags, sorted", () => {
  assert.deepEqual(inferFromDescription("1+1 in python over http", ["web", "calc"]), [
    "calc",
    "web",
  ]);
  assert.deepEqual(inferFromDescription("1+1等于几？", ["web"]), []);
  assert.deepEqual(inferFromDescription("1+1等于几？", []), []);
});
