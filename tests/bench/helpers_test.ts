/**
 * Table-driven tests of the harness's pure helpers: statistics, wrk output, goal
 * verdicts, the report's kept section, profile and thread summaries.
 */
import assert from "node:assert/strict";
import { evaluateGoals } from "./_goals.ts";
import { formatNumber, keptSection, renderReport } from "./_report.ts";
import { figure, percentile } from "./_stats.ts";
import { threadGroup } from "./_cpu.ts";
import { profileArea } from "./_profile.ts";
import { parseWrkSummary, wrkScript } from "./_wrk.ts";
import { parseBenchArgs } from "./main.ts";
import type { BenchReport, Row, ScenarioResult } from "./_types.ts";

Deno.test("percentile() interpolates between closest ranks", () => {
  const cases: Array<[number[], number, number]> = [
    [[5], 50, 5],
    [[1, 2, 3], 50, 2],
    [[4, 1, 3, 2], 50, 2.5],
    [[1, 2, 3, 4, 5], 0, 1],
    [[1, 2, 3, 4, 5], 100, 5],
    [[0, 10], 99, 9.9],
  ];
  for (const [values, p, expected] of cases) {
    assert.ok(Math.abs(percentile(values, p) - expected) < 1e-9, `${values} p${p}`);
  }
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
});

Deno.test("figure() refuses no runs and non-finite runs", () => {
  assert.throws(() => figure([], "ms"), RangeError);
  assert.throws(() => figure([1, NaN], "ms"), RangeError);
  assert.deepEqual(figure([3, 1, 2], "ms"), {
    median: 2,
    min: 1,
    max: 3,
    runs: [3, 1, 2],
    unit: "ms",
  });
});

Deno.test("parseWrkSummary() counts only 2xx answers as throughput", () => {
  const run = parseWrkSummary(JSON.stringify({
    requests: 1100,
    duration_us: 2_000_000,
    connect: 1,
    read: 2,
    write: 0,
    status: 100,
    timeout: 3,
    p50: 1500,
    p90: 2500,
    p99: 9000,
    mean: 1700,
    max: 20000,
  }));
  assert.equal(run.okRps, 500);
  assert.equal(run.p50Ms, 1.5);
  assert.equal(run.p99Ms, 9);
  assert.equal(run.non2xx, 100);
  assert.equal(run.socketErrors, 6);
});

Deno.test("wrkScript() gives each request a unique id only when the body asks for one", () => {
  const unique = wrkScript({ body: '{"id":"%ID%"}' }, "t");
  assert.match(unique, /request = function\(\)/);
  assert.match(unique, /"t-" \.\. tid \.\. "-" \.\. counter/);
  const fixed = wrkScript({ headers: { a: "b" } }, "t");
  assert.doesNotMatch(fixed, /request = function/);
  assert.match(fixed, /headers\[ \[=\[a\]=\] \] = \[=\[b\]=\]/);
  // A body holding the closing bracket of the default level gets a longer one.
  const tricky = wrkScript({ body: "a]=]b" }, "t");
  assert.match(tricky, /\[==\[a\]=\]b\]==\]/);
});

Deno.test("threadGroup() and profileArea() name where time went", () => {
  const threads: Array<[string, RegExp]> = [
    ["deno", /^main isolate/],
    ["worker-1", /^network worker/],
    ["tokio-runtime-w", /^I\/O threads/],
    ["V8 DefaultWorke", /^V8 helpers/],
    ["sw-0", /^Deno KV thread/],
    ["other", /^other \(other\)$/],
  ];
  for (const [comm, expected] of threads) assert.match(threadGroup(comm), expected);
  const root = "file:///r/";
  const areas: Array<[string, string, string]> = [
    ["file:///r/lib/http/app.ts", "f", "lib/http"],
    ["file:///r/main.ts", "f", "main.ts"],
    ["file:///r/node_modules/.deno/hono@4.1.0/node_modules/hono/dist/x.js", "f", "npm:hono"],
    [
      "file:///r/node_modules/.deno/@logtape+logtape@2/node_modules/@logtape/logtape/a.js",
      "f",
      "npm:@logtape/logtape",
    ],
    ["ext:deno_http/00_serve.ts", "f", "Deno runtime JS (ext:deno_http)"],
    ["", "(garbage collector)", "V8 garbage collector"],
    ["", "op_spawn_child", "native (runtime, not JS)"],
  ];
  for (const [url, fn, expected] of areas) assert.equal(profileArea(url, fn, root), expected);
});

Deno.test("formatNumber() and keptSection() shape the report", () => {
  const numbers: Array<[number, string]> = [[1234.5, "1235"], [12.345, "12.3"], [1.2345, "1.23"], [
    0.5,
    "0.50",
  ], [0.01234, "0.012"]];
  for (const [x, expected] of numbers) assert.equal(formatNumber(x), expected);
  assert.equal(keptSection("no markers"), null);
  assert.equal(
    keptSection("a\n<!-- how-to-read:start -->\n  kept text\n<!-- how-to-read:end -->\nb"),
    "kept text",
  );
});

function scenario(id: string, rows: Row[]): ScenarioResult {
  return { number: 1, id, title: id, reference: "", rows, method: [], evidence: [], durationMs: 0 };
}

function row(id: string, figures: Record<string, number>): Row {
  return {
    id,
    label: id,
    figures: Object.fromEntries(
      Object.entries(figures).map(([k, v]) => [k, figure([v], "x")]),
    ),
  };
}

Deno.test("evaluateGoals() marks goals met, missed (with a cause) or not measured", () => {
  const goals = evaluateGoals([
    scenario("overhead", [row("node-noop-c16", { rps: 100 }), row("echo-c16", { rps: 1000 })]),
    scenario("forwarding", [
      row("local", { p50: 5 }),
      row("one-hop", { p50: 6 }),
      row("nginx", { p50: 5.5 }),
    ]),
  ]);
  const byId = Object.fromEntries(goals.map((g) => [g.id, g]));
  assert.equal(byId["noop-throughput"].met, false);
  assert.equal(byId["noop-throughput"].value, 0.1);
  assert.match(byId["noop-throughput"].cause ?? "", /What would close it/);
  assert.equal(byId["one-hop-vs-local"].met, true);
  assert.equal(byId["one-hop-vs-local"].cause, undefined);
  assert.equal(byId["one-hop-vs-nginx"].met, true);
  assert.equal(byId["idle-rss"].met, null);
  assert.equal(byId["idle-rss"].value, null);
});

Deno.test("renderReport() keeps the hand-written section and marks n/a rows", () => {
  const report: BenchReport = {
    mode: "quick",
    machine: {
      date: "2026-01-01T00:00:00.000Z",
      host: "h",
      cpu: "cpu",
      cores: 2,
      memoryGiB: 1,
      kernel: "Linux",
      loadAverageStart: "0 0 0",
      versions: { deno: "2" },
      commit: "abc",
    },
    scenarios: [
      scenario("overhead", [row("echo-c16", { rps: 10 }), {
        id: "nginx",
        label: "nginx",
        figures: {},
        na: "nginx is not installed",
      }]),
    ],
    goals: [],
    durationMs: 1000,
  };
  const md = renderReport(report, "<!-- how-to-read:start -->\nmy notes\n<!-- how-to-read:end -->");
  assert.match(md, /<!-- how-to-read:start -->\nmy notes\n<!-- how-to-read:end -->/);
  assert.match(md, /\| nginx \| n\/a \| n\/a: nginx is not installed \|/);
  assert.match(md, /## 1\. overhead/);
});

Deno.test("parseBenchArgs() reads the harness flags", () => {
  assert.deepEqual(parseBenchArgs([]), {
    quick: false,
    out: undefined,
    only: undefined,
    install: true,
    profile: true,
    render: false,
    help: false,
  });
  const args = parseBenchArgs(["--quick", "--only", "1, mesh", "--no-install", "--no-profile"]);
  assert.deepEqual([args.quick, args.only, args.install, args.profile], [
    true,
    ["1", "mesh"],
    false,
    false,
  ]);
  assert.throws(() => parseBenchArgs(["--fast"]), TypeError);
});
