import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeTask } from "../../lib/protocol/types.ts";
import {
  capabilityTagProblem,
  LIMITS,
  nestingDepth,
  parseNodeResult,
  parseNodeTask,
} from "../../lib/protocol/validate.ts";

function validTask(): Record<string, unknown> {
  return {
    id: "t1",
    description: "add 1 and 2",
    context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
    tool_hint: "calculator",
  };
}

function validResult(): Record<string, unknown> {
  return { task_id: "t1", response: "3", task_completed: true, tool_calls: 1 };
}

/** Asserts `fn` throws a SwarmError with `code`/`status` naming `field`. */
function throwsFieldError(fn: () => unknown, code: string, status: number, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SwarmError, `expected a SwarmError, got ${err}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.equal(err.details.field, field);
    if (field !== "") {
      assert.ok(err.message.includes(`'${field}'`), `message names '${field}': ${err.message}`);
    }
    assert.match(err.message, /^[A-Z]/);
    assert.doesNotMatch(err.message, /\.$/);
    return true;
  });
}

Deno.test("parseNodeTask() accepts SkillLite's example task unchanged", () => {
  assert.deepEqual(parseNodeTask(validTask()), validTask());
});

Deno.test("parseNodeTask() defaults required_capabilities to [] when absent or null", () => {
  for (const required of [undefined, null]) {
    const body = validTask();
    (body.context as Record<string, unknown>).required_capabilities = required;
    assert.deepEqual(parseNodeTask(body).context.required_capabilities, []);
  }
});

Deno.test("parseNodeTask() leaves tool_hint out when absent or null", () => {
  for (const hint of [undefined, null]) {
    const body = validTask();
    body.tool_hint = hint;
    const task = parseNodeTask(body);
    assert.equal("tool_hint" in task, false);
  }
});

Deno.test("parseNodeTask() keeps input whatever its JSON type", () => {
  for (const input of [{ a: 1 }, [1, 2], "text", 0, false, null]) {
    const task = parseNodeTask({ ...validTask(), input });
    assert.deepEqual(task.input, input);
  }
  assert.equal("input" in parseNodeTask(validTask()), false);
});

Deno.test("parseNodeTask() drops unknown fields at every level", () => {
  const body = {
    ...validTask(),
    extra: 1,
    deadline_ms: 5,
    context: { ...(validTask().context as object), cwd: "/etc", extra: true },
  };
  const expected: NodeTask = {
    id: "t1",
    description: "add 1 and 2",
    context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
    tool_hint: "calculator",
  };
  assert.deepEqual(parseNodeTask(body), expected);
});

Deno.test("parseNodeTask() accepts an empty description and empty tags", () => {
  const task = parseNodeTask({
    id: "t",
    description: "",
    context: { workspace: "", session_key: "", required_capabilities: [] },
  });
  assert.equal(task.description, "");
});

type Mutation = [name: string, change: (body: Record<string, unknown>) => void, field: string];

const ctx = (body: Record<string, unknown>) => body.context as Record<string, unknown>;

const BAD_TASKS: Mutation[] = [
  ["id missing", (b) => delete b.id, "id"],
  ["id a number", (b) => b.id = 1, "id"],
  ["id null", (b) => b.id = null, "id"],
  ["id empty", (b) => b.id = "", "id"],
  ["id blank", (b) => b.id = "  ", "id"],
  ["description missing", (b) => delete b.description, "description"],
  ["description an object", (b) => b.description = {}, "description"],
  ["description an array", (b) => b.description = ["a"], "description"],
  ["context missing", (b) => delete b.context, "context"],
  ["context null", (b) => b.context = null, "context"],
  ["context a string", (b) => b.context = ".", "context"],
  ["context an array", (b) => b.context = [], "context"],
  ["workspace missing", (b) => delete ctx(b).workspace, "context.workspace"],
  ["workspace a number", (b) => ctx(b).workspace = 0, "context.workspace"],
  ["session_key missing", (b) => delete ctx(b).session_key, "context.session_key"],
  ["session_key a boolean", (b) => ctx(b).session_key = true, "context.session_key"],
  [
    "required_capabilities a string",
    (b) => ctx(b).required_capabilities = "calc",
    "context.required_capabilities",
  ],
  [
    "required_capabilities with a number",
    (b) => ctx(b).required_capabilities = ["calc", 1],
    "context.required_capabilities",
  ],
  [
    "required_capabilities an object",
    (b) => ctx(b).required_capabilities = {},
    "context.required_capabilities",
  ],
  ["tool_hint a number", (b) => b.tool_hint = 5, "tool_hint"],
  ["tool_hint an object", (b) => b.tool_hint = {}, "tool_hint"],
];

for (const [name, change, field] of BAD_TASKS) {
  Deno.test(`parseNodeTask() refuses a task with ${name} (422 naming '${field}')`, () => {
    const body = validTask();
    change(body);
    throwsFieldError(() => parseNodeTask(body), "invalid_task", 422, field);
  });
}

for (const body of [null, [], "task", 42, true, undefined]) {
  Deno.test(`parseNodeTask() refuses a ${JSON.stringify(body) ?? "undefined"} body with 422`, () => {
    throwsFieldError(() => parseNodeTask(body), "invalid_task", 422, "");
  });
}

Deno.test("parseNodeTask() says what it found in place of a string", () => {
  const body = validTask();
  delete body.id;
  assert.throws(() => parseNodeTask(body), /Field 'id' must be a string: it is missing/);
  assert.throws(
    () => parseNodeTask({ ...validTask(), description: null }),
    /Field 'description' must be a string: it is a null/,
  );
  assert.throws(
    () => parseNodeTask({ ...validTask(), description: [1] }),
    /Field .description. must be a string: it is an? array/,
  );
});

Deno.test("parseNodeTask() reports the first bad field in document order", () => {
  throwsFieldError(() => parseNodeTask({ description: 1 }), "invalid_task", 422, "id");
  throwsFieldError(
    () => parseNodeTask({ id: "t", description: "d", context: {} }),
    "invalid_task",
    422,
    "context.workspace",
  );
});

Deno.test("parseNodeResult() accepts a SkillLite result and drops unknown fields", () => {
  assert.deepEqual(parseNodeResult({ ...validResult(), node: "x", extra: [1] }), validResult());
});

Deno.test("parseNodeResult() accepts tool_calls 0 and large safe integers", () => {
  assert.equal(parseNodeResult({ ...validResult(), tool_calls: 0 }).tool_calls, 0);
  assert.equal(
    parseNodeResult({ ...validResult(), tool_calls: Number.MAX_SAFE_INTEGER }).tool_calls,
    Number.MAX_SAFE_INTEGER,
  );
});

Deno.test("parseNodeResult() leaves new_skill out when it is absent or null", () => {
  assert.equal("new_skill" in parseNodeResult(validResult()), false);
  assert.equal("new_skill" in parseNodeResult({ ...validResult(), new_skill: null }), false);
});

Deno.test("parseNodeResult() keeps a complete new_skill, dropping its unknown fields", () => {
  const skill = { name: "s", description: "d", path: "/p", txn_id: "x1" };
  assert.deepEqual(
    parseNodeResult({ ...validResult(), new_skill: { ...skill, extra: 1 } }).new_skill,
    skill,
  );
});

const BAD_RESULTS: Mutation[] = [
  ["task_id missing", (b) => delete b.task_id, "task_id"],
  ["task_id a number", (b) => b.task_id = 1, "task_id"],
  ["response missing", (b) => delete b.response, "response"],
  ["response an object", (b) => b.response = { text: "3" }, "response"],
  ["task_completed missing", (b) => delete b.task_completed, "task_completed"],
  ["task_completed a string", (b) => b.task_completed = "true", "task_completed"],
  ["task_completed a number", (b) => b.task_completed = 1, "task_completed"],
  ["tool_calls missing", (b) => delete b.tool_calls, "tool_calls"],
  ["tool_calls fractional", (b) => b.tool_calls = 1.5, "tool_calls"],
  ["tool_calls negative", (b) => b.tool_calls = -1, "tool_calls"],
  ["tool_calls a string", (b) => b.tool_calls = "1", "tool_calls"],
  ["tool_calls null", (b) => b.tool_calls = null, "tool_calls"],
  ["tool_calls NaN", (b) => b.tool_calls = NaN, "tool_calls"],
  ["tool_calls Infinity", (b) => b.tool_calls = Infinity, "tool_calls"],
  ["tool_calls beyond a safe integer", (b) => b.tool_calls = 2 ** 53, "tool_calls"],
  ["new_skill a string", (b) => b.new_skill = "s", "new_skill"],
  ["new_skill an array", (b) => b.new_skill = [], "new_skill"],
  [
    "new_skill without txn_id",
    (b) => b.new_skill = { name: "s", description: "d", path: "/p" },
    "new_skill.txn_id",
  ],
  [
    "new_skill with a numeric path",
    (b) => b.new_skill = { name: "s", description: "d", path: 1, txn_id: "x" },
    "new_skill.path",
  ],
  ["new_skill empty", (b) => b.new_skill = {}, "new_skill.name"],
];

for (const [name, change, field] of BAD_RESULTS) {
  Deno.test(`parseNodeResult() refuses a result with ${name} (bad_peer_response naming '${field}')`, () => {
    const body = validResult();
    change(body);
    throwsFieldError(() => parseNodeResult(body), "bad_peer_response", 502, field);
  });
}

for (const body of [null, [], "ok", 1]) {
  Deno.test(`parseNodeResult() refuses a ${JSON.stringify(body)} result`, () => {
    throwsFieldError(() => parseNodeResult(body), "bad_peer_response", 502, "");
  });
}

type LimitCase = [
  name: string,
  max: number,
  set: (body: Record<string, unknown>, value: string) => void,
  field: string,
];

const LENGTH_LIMITS: LimitCase[] = [
  ["id", LIMITS.maxIdChars, (b, v) => b.id = v, "id"],
  ["description", LIMITS.maxDescriptionChars, (b, v) => b.description = v, "description"],
  ["workspace", LIMITS.maxWorkspaceChars, (b, v) => ctx(b).workspace = v, "context.workspace"],
  [
    "session_key",
    LIMITS.maxSessionKeyChars,
    (b, v) => ctx(b).session_key = v,
    "context.session_key",
  ],
  ["tool_hint", LIMITS.maxToolHintChars, (b, v) => b.tool_hint = v, "tool_hint"],
  [
    "a capability tag",
    LIMITS.maxCapabilityTagChars,
    (b, v) => ctx(b).required_capabilities = ["calc", "web", "gpu", v],
    "context.required_capabilities[3]",
  ],
];

Deno.test("LIMITS holds the documented values", () => {
  assert.deepEqual(LIMITS, {
    maxCapabilityTags: 64,
    maxCapabilityTagChars: 64,
    maxIdChars: 128,
    maxDescriptionChars: 262_144,
    maxWorkspaceChars: 4096,
    maxSessionKeyChars: 256,
    maxToolHintChars: 128,
    maxInputDepth: 64,
  });
});

for (const [name, max, set, field] of LENGTH_LIMITS) {
  Deno.test(`parseNodeTask() accepts ${name} of ${max} characters, refuses ${max + 1}`, () => {
    const atLimit = validTask();
    set(atLimit, "a".repeat(max));
    parseNodeTask(atLimit);
    const over = validTask();
    set(over, "a".repeat(max + 1));
    throwsFieldError(() => parseNodeTask(over), "invalid_task", 422, field);
    assert.throws(() => parseNodeTask(over), {
      message: `Field '${field}' is longer than ${max} characters`,
    });
  });
}

Deno.test("parseNodeTask() counts a length in UTF-16 code units", () => {
  const body = validTask();
  body.id = "😀".repeat(LIMITS.maxIdChars / 2); // 2 code units each
  parseNodeTask(body);
  body.id = "😀".repeat(LIMITS.maxIdChars / 2) + "a";
  throwsFieldError(() => parseNodeTask(body), "invalid_task", 422, "id");
});

Deno.test(`parseNodeTask() accepts ${LIMITS.maxCapabilityTags} required capabilities, refuses one more`, () => {
  const tags = Array.from({ length: LIMITS.maxCapabilityTags }, (_, i) => `tag-${i}`);
  const atLimit = validTask();
  ctx(atLimit).required_capabilities = tags;
  assert.deepEqual(parseNodeTask(atLimit).context.required_capabilities, tags);
  const over = validTask();
  ctx(over).required_capabilities = [...tags, "one-more"];
  throwsFieldError(() => parseNodeTask(over), "invalid_task", 422, "context.required_capabilities");
  assert.throws(() => parseNodeTask(over), {
    message: "Field 'context.required_capabilities' has more than 64 entries: it has 65",
  });
});

const BAD_TAGS: Array<[name: string, tag: string, problem: string]> = [
  ["empty", "", "is empty"],
  ["with a newline", "a\nb", "contains a control character"],
  ["with a NUL", "a\u0000", "contains a control character"],
  ["with an escape", "\u001b[31mred", "contains a control character"],
  ["with DEL", "a\u007f", "contains a control character"],
  ["with a C1 control", "a\u0085", "contains a control character"],
  ["with a lone surrogate", "a\ud800", "is not well-formed Unicode (a lone surrogate)"],
];

for (const [name, tag, problem] of BAD_TAGS) {
  Deno.test(`parseNodeTask() refuses a capability tag ${name}, naming its index`, () => {
    const body = validTask();
    ctx(body).required_capabilities = ["calc", tag];
    throwsFieldError(
      () => parseNodeTask(body),
      "invalid_task",
      422,
      "context.required_capabilities[1]",
    );
    assert.throws(
      () => parseNodeTask(body),
      { message: `Field 'context.required_capabilities[1]' ${problem}` },
    );
    assert.equal(capabilityTagProblem(tag), problem);
  });
}

const GOOD_TAGS = [
  "calc",
  "web search",
  "Calc",
  "gpu:a100",
  "中文",
  "😀",
  "a-b_c.d/e",
  "a".repeat(64),
];

for (const tag of GOOD_TAGS) {
  Deno.test(`capabilityTagProblem() accepts ${JSON.stringify(tag.slice(0, 12))}`, () => {
    assert.equal(capabilityTagProblem(tag), undefined);
    const body = validTask();
    ctx(body).required_capabilities = [tag];
    assert.deepEqual(parseNodeTask(body).context.required_capabilities, [tag]);
  });
}

Deno.test("parseNodeTask() refuses an input nested deeper than LIMITS.maxInputDepth, accepts it at the limit", () => {
  const nest = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = i % 2 ? { k: value } : [value];
    return value;
  };
  const body = (input: unknown) => ({
    id: "t",
    description: "d",
    context: { workspace: ".", session_key: "s", required_capabilities: [] },
    input,
  });
  assert.ok(parseNodeTask(body(nest(LIMITS.maxInputDepth))).input);
  assert.throws(
    () => parseNodeTask(body(nest(LIMITS.maxInputDepth + 1))),
    (err: SwarmError) => err.code === "invalid_task" && err.details.field === "input",
  );
  // Far deeper than any stack: refused without recursing.
  assert.throws(() => parseNodeTask(body(nest(200_000))), /nests deeper than 64/);
});

Deno.test("nestingDepth() counts objects and arrays, not scalars", () => {
  assert.equal(nestingDepth(1, 64), 0);
  assert.equal(nestingDepth("x", 64), 0);
  assert.equal(nestingDepth(null, 64), 0);
  assert.equal(nestingDepth([], 64), 1);
  assert.equal(nestingDepth({ a: [1, { b: 2 }] }, 64), 3);
  assert.equal(nestingDepth([[[[[]]]]], 2), 3);
});
