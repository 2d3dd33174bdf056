import assert from "node:assert/strict";
import type { ExecuteOptions, Executor } from "../../lib/execution/types.ts";
import { LocalExecutor } from "../../lib/node/local_executor.ts";
import { type ErrorCode, SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeResult, NodeTask } from "../../lib/protocol/types.ts";

const TASK: NodeTask = {
  id: "t1",
  description: "add 1 and 2",
  context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
};
const OPTIONS: ExecuteOptions = { capabilities: ["calc"] };

/** A small fake executor: answers with `response` or throws `error`, recording calls. */
function fake(kind: string, outcome: { response?: string; error?: unknown }) {
  const calls: Array<{ task: NodeTask; options: ExecuteOptions }> = [];
  const executor: Executor & { calls: typeof calls } = {
    kind,
    calls,
    execute(task, options): Promise<NodeResult> {
      calls.push({ task, options });
      if (outcome.error !== undefined) return Promise.reject(outcome.error);
      return Promise.resolve({
        task_id: task.id,
        response: outcome.response ?? kind,
        task_completed: true,
        tool_calls: 1,
      });
    },
  };
  return executor;
}

Deno.test("LocalExecutor.execute() runs the skills executor first", async () => {
  const skills = fake("skills", { response: "3" });
  const command = fake("command", {});
  const result = await new LocalExecutor(skills, command).execute(TASK, OPTIONS);
  assert.equal(result.response, "3");
  assert.equal(skills.calls.length, 1);
  assert.equal(skills.calls[0].task, TASK);
  assert.equal(skills.calls[0].options, OPTIONS);
  assert.equal(command.calls.length, 0);
});

for (const code of ["skill_not_found", "ambiguous_skill"] as const) {
  Deno.test(`LocalExecutor.execute() hands a ${code} task over to the command executor`, async () => {
    const skills = fake("skills", { error: new SwarmError(code, "No single skill") });
    const command = fake("command", { response: "agent did it" });
    const result = await new LocalExecutor(skills, command).execute(TASK, OPTIONS);
    assert.equal(result.response, "agent did it");
    assert.equal(command.calls.length, 1);
    assert.equal(command.calls[0].task, TASK);
    assert.equal(command.calls[0].options, OPTIONS);
  });

  Deno.test(`LocalExecutor.execute() rethrows ${code} when there is no command executor`, async () => {
    const error = new SwarmError(code, "No single skill");
    const skills = fake("skills", { error });
    await assert.rejects(() => new LocalExecutor(skills, null).execute(TASK, OPTIONS), (err) => {
      assert.equal(err, error);
      return true;
    });
  });
}

const NOT_HANDED_OVER: Array<[name: string, error: unknown]> = [
  ["execution_failed", new SwarmError("execution_failed", "Skill crashed")],
  ["timeout", new SwarmError("timeout", "Too slow")],
  ["internal", new SwarmError("internal" as ErrorCode, "Bug")],
  ["a plain Error", new Error("boom")],
  [
    "an Error merely named like the code",
    Object.assign(new Error("x"), { code: "skill_not_found" }),
  ],
];

for (const [name, error] of NOT_HANDED_OVER) {
  Deno.test(`LocalExecutor.execute() does not hand over on ${name}`, async () => {
    const skills = fake("skills", { error });
    const command = fake("command", {});
    await assert.rejects(() => new LocalExecutor(skills, command).execute(TASK, OPTIONS), (err) => {
      assert.equal(err, error);
      return true;
    });
    assert.equal(command.calls.length, 0);
  });
}

Deno.test("LocalExecutor.execute() uses the command executor alone when there are no skills", async () => {
  const command = fake("command", { response: "agent" });
  assert.equal((await new LocalExecutor(null, command).execute(TASK, OPTIONS)).response, "agent");
});

Deno.test("LocalExecutor.execute() refuses with local_executor_not_configured when it has neither", async () => {
  await assert.rejects(() => new LocalExecutor(null, null).execute(TASK, OPTIONS), (err) => {
    assert.ok(err instanceof SwarmError);
    assert.equal(err.code, "local_executor_not_configured");
    assert.equal(err.status, 503);
    assert.match(err.message, /--skills-dir/);
    assert.match(err.message, /--executor-cmd/);
    return true;
  });
});

Deno.test("LocalExecutor.execute() lets a command executor failure through after a handover", async () => {
  const skills = fake("skills", { error: new SwarmError("skill_not_found", "none") });
  const failure = new SwarmError("execution_failed", "Agent exited 1");
  const command = fake("command", { error: failure });
  await assert.rejects(() => new LocalExecutor(skills, command).execute(TASK, OPTIONS), (err) => {
    assert.equal(err, failure);
    return true;
  });
});

const KINDS: Array<[skills: boolean, command: boolean, kind: string]> = [
  [true, true, "skills+command"],
  [true, false, "skills"],
  [false, true, "command"],
  [false, false, "none"],
];

for (const [hasSkills, hasCommand, kind] of KINDS) {
  Deno.test(`LocalExecutor() describes itself as ${kind}`, () => {
    const executor = new LocalExecutor(
      hasSkills ? fake("skills", {}) : null,
      hasCommand ? fake("command", {}) : null,
    );
    assert.equal(executor.kind, kind);
  });
}

Deno.test("LocalExecutor.execute() skips a skills executor that has no skill right now", async () => {
  const skills = fake("skills", { response: "skill" });
  const command = fake("command", { response: "agent" });
  let has = false;
  const executor = new LocalExecutor(skills, command, () => has);
  assert.equal((await executor.execute(TASK, OPTIONS)).response, "agent");
  assert.equal(skills.calls.length, 0);
  has = true;
  assert.equal((await executor.execute(TASK, OPTIONS)).response, "skill");
  await assert.rejects(
    () => new LocalExecutor(skills, null, () => false).execute(TASK, OPTIONS),
    (err) => err instanceof SwarmError && err.code === "local_executor_not_configured",
  );
});

Deno.test("LocalExecutor.execute() says why it has no skill when it knows", async () => {
  const skills = fake("skills", { response: "skill" });
  const why = () => "skills directory not found: /tmp/x";
  await assert.rejects(
    () => new LocalExecutor(skills, null, () => false, why).execute(TASK, OPTIONS),
    (err) =>
      err instanceof SwarmError && err.code === "local_executor_not_configured" &&
      err.message.endsWith("; skills directory not found: /tmp/x"),
  );
});
