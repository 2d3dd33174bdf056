import assert from "node:assert/strict";
import {
  closest,
  editDistance,
  withKeySuggestion,
  withOptionSuggestion,
} from "../../lib/cli/_suggest.ts";

const DISTANCES: Array<[a: string, b: string, distance: number]> = [
  ["", "", 0],
  ["status", "status", 0],
  ["", "abc", 3],
  ["abc", "", 3],
  ["stauts", "status", 1], // adjacent swap
  ["statsu", "status", 1],
  ["--listne", "--listen", 1],
  ["stats", "status", 1], // one insertion
  ["statuss", "status", 1], // one deletion
  ["stotus", "status", 1], // one substitution
  ["kitten", "sitting", 3],
  ["task", "tls", 2],
  ["ca", "abc", 3], // optimal string alignment: no edit of a swapped pair again
  ["计算", "计数", 1], // characters, not UTF-16 units
];

for (const [a, b, distance] of DISTANCES) {
  Deno.test(`editDistance(${JSON.stringify(a)}, ${JSON.stringify(b)}) is ${distance}`, () => {
    assert.equal(editDistance(a, b), distance);
    assert.equal(editDistance(b, a), distance, "symmetric");
  });
}

const COMMANDS = ["serve", "status", "skills", "skill", "task", "events", "tls", "token", "help"];

const CLOSEST: Array<[word: string, expected: string | undefined]> = [
  ["stauts", "status"],
  ["statsu", "status"],
  ["sevre", "serve"],
  ["tokn", "token"],
  ["evnets", "events"],
  ["skils", "skills"], // one edit from skills and from skill: the first listed wins the tie
  ["tsk", "task"],
  ["deploy", undefined], // nothing close
  ["xyz", undefined],
  ["status", undefined], // the word itself is never suggested
  ["STAUTS", "status"], // case does not count
];

for (const [word, expected] of CLOSEST) {
  Deno.test(`closest(${JSON.stringify(word)}) is ${JSON.stringify(expected)}`, () => {
    assert.equal(closest(word, COMMANDS), expected);
  });
}

Deno.test("closest() allows fewer edits for shorter words", () => {
  assert.equal(closest("ab", ["cd"]), undefined, "two edits in a two-letter word is no typo");
  assert.equal(closest("tsl", ["tls"]), "tls");
  assert.equal(closest("--max-hosp", ["--max-hops", "--max-headers"]), "--max-hops");
  assert.equal(closest("--maxhops", ["--max-hops"]), "--max-hops");
  assert.equal(closest("--frobnicate", ["--listen"]), undefined);
});

const MESSAGES: Array<[message: string, expected: string]> = [
  ["Unknown option '--listne'", "Unknown option '--listne': did you mean '--listen'?"],
  [
    "Unknown option '--jsno'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--jsno\"",
    "Unknown option '--jsno': did you mean '--json'?",
  ],
  ["Unknown option '--frobnicate'", "Unknown option '--frobnicate'"],
  ["Option '--json' does not take an argument", "Option '--json' does not take an argument"],
];

for (const [message, expected] of MESSAGES) {
  Deno.test(`withOptionSuggestion(${JSON.stringify(message.slice(0, 30))}…)`, () => {
    assert.equal(withOptionSuggestion(message, ["--listen", "--json", "--peer"]), expected);
  });
}

Deno.test("withKeySuggestion() names the config key meant", () => {
  const keys = ["listen", "maxHops", "skillsDirs"];
  assert.equal(
    withKeySuggestion("Config file '/c.json' has an unknown key 'listne'", keys),
    "Config file '/c.json' has an unknown key 'listne': did you mean 'listen'?",
  );
  assert.equal(
    withKeySuggestion("Config file '/c.json' has an unknown key 'max-hops'", keys),
    "Config file '/c.json' has an unknown key 'max-hops': did you mean 'maxHops'?",
  );
  assert.equal(
    withKeySuggestion("Config file '/c.json' has an unknown key 'frobnicate'", keys),
    "Config file '/c.json' has an unknown key 'frobnicate'",
  );
  assert.equal(withKeySuggestion("Option --x must be…", keys), "Option --x must be…");
});
