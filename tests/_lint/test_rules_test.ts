import assert from "node:assert/strict";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

const PLUGIN = new URL("./test_rules.ts", import.meta.url).pathname;

/** Runs `deno lint` with the test rules over one file holding `source`; the rule names hit. */
async function lint(source: string): Promise<string[]> {
  let codes: string[] = [];
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ lint: { plugins: [PLUGIN] } }));
    await Deno.writeTextFile(`${dir}/sample_test.ts`, source);
    const out = await outputWithin(Deno.execPath(), {
      args: ["lint", "--json", "sample_test.ts"],
      cwd: dir,
      ms: 60_000,
      what: "deno lint of the sample",
    });
    const report = JSON.parse(new TextDecoder().decode(out.stdout));
    codes = report.diagnostics.map((d: { code: string }) => d.code)
      .filter((code: string) => code.startsWith("swarm-tests/")).sort();
  });
  return codes;
}

const HEAD =
  `import assert from "node:assert/strict";\nconst work = Promise.reject(new Error("x"));\n`;

Deno.test("test lint rules: a refusal assert without a matcher is reported", async () => {
  assert.deepEqual(await lint(`${HEAD}await assert.rejects(work);\n`), [
    "swarm-tests/refusal-needs-matcher",
  ]);
  assert.deepEqual(await lint(`${HEAD}assert.throws(() => JSON.parse("{"));\n`), [
    "swarm-tests/refusal-needs-matcher",
  ]);
  // A string is node:assert's message, not a matcher.
  assert.deepEqual(await lint(`${HEAD}await assert.rejects(work, "refused");\n`), [
    "swarm-tests/refusal-needs-matcher",
  ]);
  assert.deepEqual(await lint(`${HEAD}await assert.rejects(work, /x/);\n`), []);
  assert.deepEqual(await lint(`${HEAD}assert.throws(() => JSON.parse("{"), SyntaxError);\n`), []);
});

Deno.test("test lint rules: assert.fail() inside a try with a catch is reported", async () => {
  const swallowed =
    `${HEAD}try {\n  await work;\n  assert.fail("accepted");\n} catch (err) {\n  assert.ok(err);\n}\n`;
  assert.deepEqual(await lint(swallowed), ["swarm-tests/no-fail-in-try"]);
  const finallyOnly = `${HEAD}try {\n  assert.fail("x");\n} finally {\n  console.log(1);\n}\n`;
  assert.deepEqual(await lint(finallyOnly), []);
});
