import assert from "node:assert/strict";
import { ERROR_EXCERPT_CHARS, mapProcessRun } from "../../lib/execution/result_mapping.ts";
import type { ProcessRun } from "../../lib/execution/run_process.ts";

function run(overrides: Partial<ProcessRun>): ProcessRun {
  return {
    exitCode: 0,
    signal: null,
    stdout: "",
    stderr: "",
    timedOut: false,
    truncated: false,
    aborted: false,
    durationMs: 1234.4,
    ...overrides,
  };
}

Deno.test("mapProcessRun() keeps a skill's JSON verbatim and decides completion", () => {
  const cases: Array<[string, Partial<ProcessRun>, string, boolean]> = [
    ["object answer", { stdout: '  {"sum": 5}\n' }, '{"sum": 5}', true],
    ["number answer", { stdout: "42\n" }, "42", true],
    ["string answer", { stdout: '"done"' }, '"done"', true],
    ["array answer", { stdout: "[1, 2]" }, "[1, 2]", true],
    ["object with an error field", { stdout: '{"error": "need a"}' }, '{"error": "need a"}', false],
    [
      "own error kept on a failing exit",
      { stdout: '{"error": "bad"}', exitCode: 2 },
      '{"error": "bad"}',
      false,
    ],
    [
      "error key in a nested object is an answer",
      { stdout: '{"r": {"error": 1}}' },
      '{"r": {"error": 1}}',
      true,
    ],
  ];
  for (const [why, overrides, response, completed] of cases) {
    const result = mapProcessRun("t1", run(overrides));
    assert.deepEqual(result, {
      task_id: "t1",
      response,
      task_completed: completed,
      tool_calls: 1,
    }, why);
  }
});

Deno.test("mapProcessRun() explains a failed run in a JSON error response", () => {
  const cases: Array<[string, Partial<ProcessRun>, RegExp]> = [
    ["not JSON", { stdout: "hello world" }, /^Skill output is not JSON$/],
    ["nothing printed", { stdout: " \n" }, /^Skill printed nothing on stdout$/],
    [
      "non-zero exit with JSON",
      { stdout: '{"sum": 1}', exitCode: 3 },
      /^Skill failed: exit code 3$/,
    ],
    [
      "killed by a signal",
      { exitCode: 137, signal: "SIGKILL" },
      /exit code 137 \(signal SIGKILL\)/,
    ],
    [
      "timeout beats a JSON answer",
      { stdout: '{"sum": 1}', timedOut: true, exitCode: 137 },
      /^Timed out: the process was killed after 1234 ms$/,
    ],
    ["truncated output", { stdout: '{"a": 1}', truncated: true }, /^Output limit exceeded/],
    [
      "own error dropped when cut",
      { stdout: '{"error": "x"}', truncated: true },
      /^Output limit exceeded/,
    ],
    ["aborted", { aborted: true, exitCode: 137 }, /^Aborted/],
  ];
  for (const [why, overrides, reason] of cases) {
    const result = mapProcessRun("t2", run({ stderr: "trace", ...overrides }));
    assert.equal(result.task_completed, false, why);
    assert.equal(result.tool_calls, 1, why);
    const body = JSON.parse(result.response);
    assert.deepEqual(Object.keys(body), ["error", "exit_code", "stderr", "output"], why);
    assert.match(body.error, reason, why);
    assert.equal(body.exit_code, overrides.exitCode ?? 0, why);
    assert.equal(body.stderr, "trace", why);
    assert.equal(body.output, overrides.stdout ?? "", why);
  }
});

Deno.test("mapProcessRun() keeps the end of stderr and the start of stdout", () => {
  const stderr = "a".repeat(5000) + "THE END";
  const stdout = "START" + "b".repeat(5000);
  const body = JSON.parse(mapProcessRun("t", run({ stderr, stdout, exitCode: 1 })).response);
  assert.equal(body.stderr.length, ERROR_EXCERPT_CHARS);
  assert.ok(body.stderr.endsWith("THE END"));
  assert.equal(body.output.length, ERROR_EXCERPT_CHARS);
  assert.ok(body.output.startsWith("START"));
});

Deno.test("mapProcessRun() never splits a character in an excerpt", () => {
  const emoji = "😀"; // two UTF-16 code units
  const stdout = "x" + emoji.repeat(ERROR_EXCERPT_CHARS); // cut falls inside a pair
  const stderr = emoji.repeat(ERROR_EXCERPT_CHARS) + "x";
  const body = JSON.parse(mapProcessRun("t", run({ stdout, stderr, exitCode: 1 })).response);
  assert.ok(!/[\ud800-\udfff]/.test(body.output.replace(/😀/g, "")));
  assert.ok(!/[\ud800-\udfff]/.test(body.stderr.replace(/😀/g, "")));
  assert.equal(body.output.length, ERROR_EXCERPT_CHARS - 1);
  assert.equal(body.stderr.length, ERROR_EXCERPT_CHARS - 1);
});

Deno.test("mapProcessRun() fails a run that hit a resource limit, saying which first", () => {
  const base = {
    signal: null,
    stderr: "",
    timedOut: false,
    truncated: false,
    aborted: false,
    durationMs: 3,
  };
  const cases: Array<[string, number, string, string]> = [
    ["killed (OOM)", 137, "", "Memory limit exceeded: x; Skill failed: exit code 137"],
    ["went on and printed JSON", 0, '{"forked": 64}', "Memory limit exceeded: x"],
  ];
  for (const [why, exitCode, stdout, error] of cases) {
    const result = mapProcessRun("t", { ...base, exitCode, stdout }, "Memory limit exceeded: x");
    assert.equal(result.task_completed, false, why);
    assert.equal(JSON.parse(result.response).error, error, why);
  }
});
