/**
 * `swarm task --timeout-ms` is the task's deadline, not only how long the client waits: the
 * node carries it across a hop, the executing node stops the skill when it passes, and the
 * caller gets the node's `timeout` answer.
 */
import assert from "node:assert/strict";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { FIXTURE_SKILLS, isBusy, runSwarm, startBehindEntry, stopAll, waitFor } from "./_node.ts";

const noSkills = await skillsUnavailable({ python: true });
if (noSkills) console.log(`task_deadline_cli_test skipped: ${noSkills}`);

Deno.test({
  name: "swarm task --timeout-ms sets the deadline at every hop: the remote skill is stopped at it",
  ignore: noSkills !== null,
  sanitizeResources: false,
  async fn() {
    const { executor, entry } = await startBehindEntry(
      ["--skills-dir", `${FIXTURE_SKILLS}sleeper`],
      "sleep",
    );
    try {
      const started = Date.now();
      const cli = await runSwarm([
        "task",
        "sleep a while",
        "--url",
        entry.url,
        "--require",
        "sleep",
        "--input",
        '{"seconds": 30}',
        "--timeout-ms",
        "2000",
      ]);
      const tookMs = Date.now() - started;
      // The node answered the deadline (504 timeout); the client did not just give up.
      assert.match(
        cli.stderr,
        /swarm task: timeout: Timed out: [-0-9a-f]+ \(Deadline of \d+ ms exceeded\)/,
      );
      assert.equal(cli.code, 1, cli.stderr);
      // Bounded only to stay finite: the skill alone would run 30 s.
      assert.ok(tookMs < 25_000, `took ${tookMs} ms`);
      // The executing node stopped the skill at the deadline instead of running on for 30 s.
      await waitFor(async () => !(await isBusy(executor)), 10_000);
    } finally {
      await stopAll([entry, executor]);
    }
  },
});
