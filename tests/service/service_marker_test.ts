import assert from "node:assert/strict";
import { hasServiceMarker, SERVICE_MARKER } from "../../lib/service/mod.ts";

const CASES: Array<[name: string, text: string, marked: boolean]> = [
  ["a unit's first-line comment", `# ${SERVICE_MARKER} (swarm 0.1.0)\n[Unit]\n`, true],
  [
    "a plist's comment after the declaration and DOCTYPE",
    `<?xml version="1.0"?>\n<!DOCTYPE plist>\n<!-- ${SERVICE_MARKER} -->\n<plist/>\n`,
    true,
  ],
  ["an operator's unit", "[Unit]\nDescription=my own swarm\n", false],
  ["the words outside a comment", `[Unit]\nDescription=${SERVICE_MARKER}\n`, false],
  ["the marker far down the file", `[Unit]\n\n\n\n\n# ${SERVICE_MARKER}\n`, false],
  ["an empty file", "", false],
];

for (const [name, text, marked] of CASES) {
  Deno.test(`hasServiceMarker(): ${name} is ${marked ? "" : "not "}swarm's`, () => {
    assert.equal(hasServiceMarker(text), marked);
  });
}
