import { strict as assert } from "node:assert";

const root = new URL("../../", import.meta.url);
const doc = await Deno.readTextFile(new URL("docs/threat-model.md", root));

/** Every `tests/…` › "name" reference of the claims table. */
const references = [...doc.matchAll(/`(tests\/[\w/.-]+\.ts)` › "([^"]+)"/g)].map((m) => ({
  file: m[1],
  name: m[2],
}));

Deno.test("docs/threat-model.md points every claim at a test", () => {
  const claims = doc.split("\n").filter((l) => /^\| \d+[a-z]? +\|/.test(l));
  assert.ok(claims.length >= 25, `${claims.length} claims`);
  for (const claim of claims) assert.match(claim, /`tests\/[\w/.-]+\.ts` › "[^"]+"/, claim);
});

for (const { file, name } of references) {
  Deno.test(`docs/threat-model.md: ${file} has a test named like "${name}"`, async () => {
    const text = await Deno.readTextFile(new URL(file, root));
    // Test and step names are string literals; a name may be split by the formatter.
    const flat = text.replace(/"\s*\+\s*"/g, "").replace(/\\'/g, "'");
    assert.ok(flat.includes(name), `${file} names no test "${name}"`);
  });
}
