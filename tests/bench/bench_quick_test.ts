/**
 * Runs `deno task bench --quick` as CI would, so the harness cannot rot: every scenario
 * must produce figures (or say n/a with the reason something is missing on this
 * machine), nothing may fail, and both reports must be written. Never judges speed.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { BenchReport } from "./_types.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
/** The quick mode's budget is 2 minutes; the test allows some slack on a busy machine. */
const TIMEOUT_MS = 240_000;

Deno.test({
  name: "bench --quick produces a figure (or a reasoned n/a) for every scenario",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "swarm-bench-test-" });
    try {
      const started = performance.now();
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--unstable-kv",
          "--unstable-worker-options",
          "--unstable-net",
          "--unstable-no-legacy-abort",
          MAIN,
          "--quick",
          "--no-install",
          "--out",
          out,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
      const { code, stdout, stderr } = await child.output();
      clearTimeout(timer);
      const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      console.log(`bench --quick took ${((performance.now() - started) / 1000).toFixed(0)} s`);
      assert.equal(code, 0, output);

      const report: BenchReport = JSON.parse(await Deno.readTextFile(`${out}/benchmarks.json`));
      assert.equal(report.mode, "quick");
      assert.deepEqual(report.scenarios.map((s) => s.number), [1, 2, 3, 4, 5, 6, 7]);
      for (const s of report.scenarios) {
        const where = `scenario ${s.number} (${s.id})`;
        assert.ok(!s.failed, `${where} failed: ${s.na}\n${output}`);
        if (s.na !== undefined) {
          assert.ok(s.na.trim().length > 0, `${where} is n/a without a reason`);
          console.log(`${where}: n/a: ${s.na}`);
          continue;
        }
        assert.ok(s.rows.length > 0, `${where} has no rows`);
        for (const row of s.rows) {
          assert.ok(!row.failed, `${where}, ${row.id} failed: ${row.na}`);
          if (row.na !== undefined) {
            assert.ok(row.na.trim().length > 0, `${where}, ${row.id} is n/a without a reason`);
            console.log(`${where}, ${row.id}: n/a: ${row.na}`);
            continue;
          }
          const figures = Object.entries(row.figures);
          assert.ok(figures.length > 0, `${where}, ${row.id} has no figure`);
          for (const [name, f] of figures) {
            assert.ok(Number.isFinite(f.median), `${where}, ${row.id}.${name} is not a number`);
            assert.ok(f.runs.length >= 1 && f.min <= f.median && f.median <= f.max);
          }
        }
        for (const e of s.evidence) assert.ok(!e.failed, `${where}: ${e.title}: ${e.lines}`);
      }
      assert.ok(report.goals.length > 0);

      const md = await Deno.readTextFile(`${out}/benchmarks.md`);
      for (const s of report.scenarios) assert.ok(md.includes(`## ${s.number}. ${s.title}`));
      assert.match(md, /<!-- how-to-read:start -->/);
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
