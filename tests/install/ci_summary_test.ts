/**
 * `.ci/summary` turns a test run's log into CI's closing line, `N passed, M failed, K skipped`,
 * after naming each skipped group once; every test file that can skip says why in the form the
 * summary collects.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function summarize(log: string, ...extra: string[]): Promise<{ code: number; out: string }> {
  let result = { code: -1, out: "" };
  await withTempDir(async (dir) => {
    const file = join(dir, "run.log");
    await Deno.writeTextFile(file, log);
    const { code, stdout, stderr } = await outputWithin("bash", {
      args: [join(ROOT, ".ci/summary"), file, ...extra],
      ms: 30_000,
    });
    result = { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
  });
  return result;
}

async function testFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await testFiles(path));
    else if (entry.isFile) found.push(path);
  }
  return found;
}

const GREEN = "\x1b[0m\x1b[32m";
const RESET = "\x1b[0m";

Deno.test(".ci/summary prints the skipped count and each skipped group once", async () => {
  const log = [
    "discovery_test skipped: not root (network namespaces need it)",
    "running 3 tests from ./tests/e2e/discovery_test.ts",
    `a peer is found ... ${GREEN}ok${RESET} (1s)`,
    "reliability_test (test bed cases) skipped: not root (network namespaces need it)",
    "discovery_test skipped: not root (network namespaces need it)",
    `LocalExecutor.execute() skips a skill ... ${GREEN}ok${RESET} (1ms)`,
    "note: this line mentions nothing skipped",
    "",
    `${GREEN}ok${RESET} | 2790 passed (115 steps) | 0 failed | 39 ignored ${RESET}(8m19s)`,
  ].join("\n");
  const { code, out } = await summarize(log);
  assert.equal(code, 0, out);
  assert.equal(
    out,
    [
      "Skipped groups and why:",
      "  discovery_test skipped: not root (network namespaces need it)",
      "  reliability_test (test bed cases) skipped: not root (network namespaces need it)",
      "2790 passed, 0 failed, 39 skipped",
      "",
    ].join("\n"),
  );
});

Deno.test(".ci/summary reads a failed run without ignored tests as 0 skipped", async () => {
  const { code, out } = await summarize(
    `x ... FAILED (2ms)\n\n${RESET}FAILED${RESET} | 10 passed | 2 failed (3s)\n`,
  );
  assert.equal(code, 0, out);
  assert.equal(out, "10 passed, 2 failed, 0 skipped\n");
});

Deno.test(".ci/summary counts a failed check beside the tests (the mutation check) as failed", async () => {
  const { code, out } = await summarize(`${RESET}ok${RESET} | 12 passed | 0 failed (3s)\n`, "1");
  assert.equal(code, 0, out);
  assert.equal(out, "12 passed, 1 failed, 0 skipped\n");
});

Deno.test(".ci/run runs the mutation check and hands its outcome to the closing line", async () => {
  const run = await Deno.readTextFile(join(ROOT, ".ci/run"));
  assert.match(run, /scripts\/deno run -A tests\/mutation\/run\.ts/);
  assert.match(run, /bash \.ci\/summary "\$log" "\$mutation_failed"/);
});

Deno.test(".ci/summary counts a log without Deno's summary as a failed run", async () => {
  const { code, out } = await summarize("error: Module not found\n");
  assert.equal(code, 1);
  assert.equal(out, "0 passed, 1 failed\n");
});

Deno.test("every test file that can skip prints why in the form .ci/summary collects", async () => {
  const silent: string[] = [];
  for (const path of await testFiles(join(ROOT, "tests"))) {
    if (!path.endsWith(".ts") || path.includes("/_lint/")) continue;
    const text = await Deno.readTextFile(path);
    if (!/^\s*ignore: (?!false)/m.test(text)) continue;
    if (!/[^ ] skipped: /.test(text)) silent.push(path.slice(ROOT.length));
  }
  assert.deepEqual(silent, [], "these files can skip tests without saying '<group> skipped: …'");
});
