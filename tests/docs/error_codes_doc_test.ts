import assert from "node:assert/strict";
import { ERROR_STATUS } from "../../lib/protocol/errors.ts";

const doc = await Deno.readTextFile(new URL("../../docs/protocol.md", import.meta.url));

/** The rows of the table under `## Errors`: code → status as written. */
function documentedCodes(text: string): Map<string, number> {
  const start = text.indexOf("\n## Errors\n");
  assert.ok(start !== -1, "docs/protocol.md has an '## Errors' section");
  const next = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, next === -1 ? undefined : next);
  const rows = new Map<string, number>();
  for (const line of section.split("\n")) {
    const row = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/.exec(line);
    if (row) rows.set(row[1], Number(row[2]));
  }
  return rows;
}

Deno.test("docs/protocol.md lists every error code of ERROR_STATUS with its status, and no other", () => {
  const documented = documentedCodes(doc);
  const codes = Object.keys(ERROR_STATUS);
  const missing = codes.filter((code) => !documented.has(code));
  const unknown = [...documented.keys()].filter((code) => !Object.hasOwn(ERROR_STATUS, code));
  assert.deepEqual(
    { missing, unknown },
    { missing: [], unknown: [] },
    "missing: codes of ERROR_STATUS not in the doc table; unknown: doc rows ERROR_STATUS lacks",
  );
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.equal(documented.get(code), status, `status of ${code}`);
  }
});
