import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/_usage.ts";
import { parseTaskArgs, TASK_HELP } from "../../lib/cli/task.ts";

const fixedId = () => "fixed-id";

Deno.test("parseTaskArgs() builds a SkillLite NodeTask with defaults", () => {
  const args = parseTaskArgs(["add 1 and 2"], fixedId);
  assert.deepEqual(args, {
    help: false,
    stream: false,
    agentEvents: false,
    json: false,
    url: undefined,
    tokenFile: undefined,
    timeoutMs: 120_000,
    task: {
      id: "fixed-id",
      description: "add 1 and 2",
      context: { workspace: ".", session_key: "default", required_capabilities: [] },
    },
  });
  assert.equal("tool_hint" in args.task, false);
  assert.equal("input" in args.task, false);
});

Deno.test("parseTaskArgs() reads every flag", () => {
  const args = parseTaskArgs([
    "--require",
    "calc",
    "--tool-hint",
    "calculator",
    "--input",
    '{"a": 1, "b": [2]}',
    "--workspace",
    "proj",
    "--session-key",
    "s1",
    "--stream",
    "--json",
    "--timeout-ms",
    "5000",
    "--url",
    "http://127.0.0.1:7701",
    "--token-file",
    "/run/token",
    "describe",
  ], fixedId);
  assert.deepEqual(args, {
    help: false,
    stream: true,
    agentEvents: false,
    json: true,
    url: "http://127.0.0.1:7701",
    tokenFile: "/run/token",
    timeoutMs: 5000,
    task: {
      id: "fixed-id",
      description: "describe",
      context: { workspace: "proj", session_key: "s1", required_capabilities: ["calc"] },
      tool_hint: "calculator",
      input: { a: 1, b: [2] },
    },
  });
});

const REQUIRES: Array<[flags: string[], expected: string[]]> = [
  [["--require", "calc"], ["calc"]],
  [["--require", "calc", "--require", "web"], ["calc", "web"]],
  [["--require", "calc,web"], ["calc", "web"]],
  [["--require", " calc , ,web ", "--require", "data"], ["calc", "web", "data"]],
  [["--require=python"], ["python"]],
  [["--require", ","], []],
  [["--require", "Calc"], ["Calc"]],
];

for (const [flags, expected] of REQUIRES) {
  Deno.test(`parseTaskArgs() reads ${flags.join(" ")} as ${JSON.stringify(expected)}`, () => {
    const args = parseTaskArgs([...flags, "d"], fixedId);
    assert.deepEqual(args.task.context.required_capabilities, expected);
  });
}

Deno.test("parseTaskArgs() keeps any JSON value given to --input", () => {
  for (const [text, value] of [["42", 42], ['"s"', "s"], ["null", null], ["[1]", [1]]] as const) {
    assert.deepEqual(parseTaskArgs(["--input", text, "d"], fixedId).task.input, value);
  }
});

Deno.test("parseTaskArgs() gives every call a fresh id from newId", () => {
  let n = 0;
  const newId = () => `id-${++n}`;
  assert.equal(parseTaskArgs(["a"], newId).task.id, "id-1");
  assert.equal(parseTaskArgs(["b"], newId).task.id, "id-2");
});

Deno.test("parseTaskArgs() uses a random UUID by default", () => {
  const a = parseTaskArgs(["x"]).task.id;
  const b = parseTaskArgs(["x"]).task.id;
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
});

Deno.test("parseTaskArgs() returns help without needing a description", () => {
  for (const argv of [["--help"], ["-h"], ["-h", "--require", "x"]]) {
    const args = parseTaskArgs(argv, () => assert.fail("no id for help"));
    assert.equal(args.help, true);
  }
  assert.match(TASK_HELP, /--require TAG/);
});

const USAGE_ERRORS: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing DESCRIPTION$/],
  [["--stream"], /^Missing DESCRIPTION$/],
  [["one", "two"], /^Unexpected argument 'two' \(quote the description\)$/],
  [["--input", "{bad", "d"], /^--input is not valid JSON: /],
  [["--input", "", "d"], /^--input is not valid JSON: /],
  [["--timeout-ms", "0", "d"], /^--timeout-ms must be a positive integer: current value is 0$/],
  [["--timeout-ms=-5", "d"], /--timeout-ms must be a positive integer/],
  [["--timeout-ms", "1.5", "d"], /--timeout-ms must be a positive integer/],
  [["--timeout-ms", "soon", "d"], /--timeout-ms must be a positive integer/],
  [["--bogus", "d"], /Unknown option '--bogus'/],
  [["--stream=yes", "d"], /does not take an argument/],
  [["d", "--require"], /--require/],
];

for (const [argv, message] of USAGE_ERRORS) {
  Deno.test(`parseTaskArgs() refuses ${JSON.stringify(argv)} with a UsageError`, () => {
    assert.throws(() => parseTaskArgs(argv, fixedId), (err: unknown) => {
      assert.ok(err instanceof UsageError, `expected a UsageError, got ${err}`);
      assert.match(err.message, message);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  });
}
