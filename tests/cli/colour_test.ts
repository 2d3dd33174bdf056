import assert from "node:assert/strict";
import { colourEnabled, paint } from "../../lib/cli/_colour.ts";

const CASES: Array<[why: string, env: Record<string, string>, terminal: boolean, on: boolean]> = [
  ["a terminal", {}, true, true],
  ["stdout not a terminal", {}, false, false],
  ["NO_COLOR=1", { NO_COLOR: "1" }, true, false],
  ["NO_COLOR with any value", { NO_COLOR: "false" }, true, false],
  ["an empty NO_COLOR (no-color.org: ignored)", { NO_COLOR: "" }, true, true],
  ["TERM=dumb", { TERM: "dumb" }, true, false],
  ["TERM=xterm-256color", { TERM: "xterm-256color" }, true, true],
  ["NO_COLOR off a terminal", { NO_COLOR: "1" }, false, false],
];

for (const [why, env, terminal, on] of CASES) {
  Deno.test(`colourEnabled(): ${why} → ${on ? "colour" : "no colour"}`, () => {
    assert.equal(colourEnabled(env, terminal), on);
  });
}

Deno.test("paint() wraps text in the colour's codes only when on", () => {
  assert.equal(paint("alive", "green", true), "\x1b[32malive\x1b[39m");
  assert.equal(paint("suspect", "yellow", true), "\x1b[33msuspect\x1b[39m");
  assert.equal(paint("dead", "red", true), "\x1b[31mdead\x1b[39m");
  assert.equal(paint("note", "dim", true), "\x1b[2mnote\x1b[22m");
  assert.equal(paint("dead", "red", false), "dead");
  assert.equal(paint("", "red", true), "", "nothing to colour, no codes");
});
