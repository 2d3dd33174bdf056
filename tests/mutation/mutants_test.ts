/**
 * Holds the mutation check's table to the code: every mutant still applies (its text
 * occurs exactly once in its file) and names test files that exist, so a refactor that
 * moves a security decision turns the normal suite red until the mutant follows it.
 * The check itself is `scripts/deno run -A tests/mutation/run.ts`.
 */
import assert from "node:assert/strict";
import { applyMutant, MutantTextError, occurrences } from "./_apply.ts";
import { MUTANTS } from "./mutants.ts";

const ROOT = new URL("../../", import.meta.url);

for (const mutant of MUTANTS) {
  Deno.test(`mutant ${mutant.id}: its source text occurs exactly once in ${mutant.file}`, async () => {
    const source = await Deno.readTextFile(new URL(mutant.file, ROOT));
    assert.equal(occurrences(source, mutant.find), 1, mutant.find);
    assert.notEqual(applyMutant(source, mutant), source);
  });

  Deno.test(`mutant ${mutant.id}: its test files exist`, async () => {
    assert.ok(mutant.tests.length > 0);
    for (const file of mutant.tests) {
      assert.match(file, /^tests\/.+_test\.ts$/);
      assert.ok((await Deno.stat(new URL(file, ROOT))).isFile, file);
    }
  });
}

Deno.test("MUTANTS have unique kebab-case ids, a description and a non-empty text", () => {
  const ids = MUTANTS.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const mutant of MUTANTS) {
    assert.match(mutant.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.notEqual(mutant.description, "");
    assert.notEqual(mutant.find, "");
    assert.notEqual(mutant.find, mutant.replace);
  }
});

Deno.test("applyMutant() replaces a text occurring once and refuses one occurring 0 or 2 times", () => {
  const mutant = { id: "m", file: "f.ts", find: "a > b", replace: "true" };
  assert.equal(applyMutant("if (a > b) x();", mutant), "if (true) x();");
  assert.throws(
    () => applyMutant("if (b > a) x();", mutant),
    (err: unknown) => err instanceof MutantTextError && err.count === 0,
  );
  assert.throws(
    () => applyMutant("a > b && a > b", mutant),
    (err: unknown) =>
      err instanceof MutantTextError && err.count === 2 &&
      err.message ===
        "Cannot apply mutant 'm' as its source text must occur exactly once in f.ts: it occurs 2 times",
  );
});

Deno.test("occurrences() counts overlapping occurrences", () => {
  assert.equal(occurrences("aaaa", "aa"), 3);
  assert.equal(occurrences("abc", "x"), 0);
});
