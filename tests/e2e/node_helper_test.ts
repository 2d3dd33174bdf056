/**
 * The end-to-end helpers' own promises: a node that does not stop fails the test that
 * stops it, naming the node and what it was asked, and is killed rather than left
 * behind.
 */
import { strict as assert } from "node:assert";
import { drainTimeoutOf, KILL_WAIT_MS, startNode, STOP_MARGIN_MS } from "./_node.ts";
import { WaitTimeout, withTimeout } from "../_helpers/with_timeout.ts";

Deno.test("drainTimeoutOf() reads --drain-timeout-ms, then SWARM_DRAIN_TIMEOUT_MS, else 30 s", () => {
  const cases: Array<[string[], Record<string, string>, number]> = [
    [[], {}, 30_000],
    [["--drain-timeout-ms", "500"], {}, 500],
    [["--drain-timeout-ms=700"], {}, 700],
    [[], { SWARM_DRAIN_TIMEOUT_MS: "900" }, 900],
    [["--drain-timeout-ms", "500"], { SWARM_DRAIN_TIMEOUT_MS: "900" }, 500],
    [["--drain-timeout-ms", "soon"], {}, 30_000],
  ];
  for (const [args, env, ms] of cases) {
    assert.equal(drainTimeoutOf(args, env), ms, `${args.join(" ")} ${JSON.stringify(env)}`);
  }
  assert.ok(STOP_MARGIN_MS > 8_000, "the margin covers the goodbye (3 s) and close (5 s)");
});

Deno.test("TestNode.stop() of a node that does not exit fails naming it, and kills it", async () => {
  const node = await startNode({ stopTimeoutMs: 1_000 });
  // Stopped, the node cannot act on SIGTERM: the wait for its exit must end by itself.
  Deno.kill(node.pid, "SIGSTOP");
  await assert.rejects(node.stop(), (err) => {
    assert.ok(err instanceof WaitTimeout, `expected a WaitTimeout, got ${err}`);
    assert.match(
      err.message,
      new RegExp(
        `^Waited 1000 ms for node 127\\.0\\.0\\.1:${node.port} \\(PID ${node.pid}\\) ` +
          "to exit after SIGTERM: it did not happen$",
      ),
    );
    return true;
  });
  const status = await withTimeout(node.exited, {
    ms: KILL_WAIT_MS,
    waitingFor: "the stopped node to be killed",
  });
  assert.equal(status.signal, "SIGKILL", "the node was killed on the way out");
});

Deno.test("TestNode.stop() of a healthy node resolves with its exit code 0", async () => {
  const node = await startNode();
  assert.equal(await node.stop(), 0);
});
