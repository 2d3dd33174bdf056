/**
 * Every caller gets an answer when a node stops: a second stop signal, or a drain timeout,
 * ends the tasks still running with a JSON error that says they may have had effects (not
 * the retryable `draining`, which would invite a second run elsewhere), before the node exits.
 */
import assert from "node:assert/strict";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { FIXTURE_SKILLS, isBusy, nodeTask, postTask, startNode, waitFor } from "./_node.ts";

const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`forced_stop_test skipped: ${noSkills}`);

const longTask = () => nodeTask("sleep", { required: ["sleep"], input: { seconds: 25 } });

Deno.test({
  name:
    "a second stop signal answers every in-flight caller with a JSON error before the node exits",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const node = await startNode({ args: ["--skills-dir", `${FIXTURE_SKILLS}sleeper`] });
    try {
      const plain = postTask(node.url, longTask(), { timeoutMs: 40_000 });
      const streamed = postTask(node.url, longTask(), { stream: true, timeoutMs: 40_000 });
      await waitFor(() => isBusy(node), 10_000);
      Deno.kill(node.pid, "SIGTERM");
      // Draining now (the tasks would run 25 s); the second signal means "stop now".
      await new Promise((r) => setTimeout(r, 500));
      Deno.kill(node.pid, "SIGTERM");

      const answer = await plain;
      assert.equal(answer.status, 500, answer.text);
      const body = answer.body as { error: string; message: string };
      assert.equal(body.error, "execution_failed");
      assert.match(body.message, /second stop signal.*may have had effects/);

      const stream = await streamed;
      assert.equal(stream.status, 200, stream.text);
      const events = stream.body as Array<{ event: string; error?: { error: string } }>;
      assert.equal(events.at(-1)?.event, "error", stream.text);
      assert.equal(events.at(-1)?.error?.error, "execution_failed");

      const status = await node.exitedWithin("the second SIGTERM", 20_000);
      assert.equal(status.code, 1, "a forced stop exits 1");
    } finally {
      await node.kill();
    }
  },
});

Deno.test({
  name:
    "a task stopped by the drain timeout answers execution_failed (may have had effects), not draining",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const node = await startNode({
      args: ["--skills-dir", `${FIXTURE_SKILLS}sleeper`, "--drain-timeout-ms", "1500"],
    });
    try {
      const running = postTask(node.url, longTask(), { timeoutMs: 40_000 });
      await waitFor(() => isBusy(node), 10_000);
      Deno.kill(node.pid, "SIGTERM");
      const answer = await running;
      assert.equal(answer.status, 500, answer.text);
      const body = answer.body as { error: string; message: string };
      assert.equal(body.error, "execution_failed");
      assert.match(body.message, /drain timeout 1500 ms.*had started and was stopped/);
      await node.exitedWithin("SIGTERM", 20_000);
    } finally {
      await node.kill();
    }
  },
});
