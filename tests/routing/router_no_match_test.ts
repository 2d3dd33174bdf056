/**
 * What `no_match` says when nobody can take a task: the tags (given or inferred, and from
 * where), and the known peers that hold them but cannot take it (a dead one, say).
 */
import assert from "node:assert/strict";
import type { LlmConfig } from "../../lib/config/llm_config.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import type { NodeResult, NodeTask } from "../../lib/protocol/types.ts";
import { Router } from "../../lib/routing/router.ts";
import type { Peer } from "../../lib/routing/types.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { makeTask } from "../client/_serve.ts";
import { peer } from "./_peer.ts";

const NO_LLM: LlmConfig = {
  enabled: false,
  baseUrl: "http://127.0.0.1:9",
  model: "m",
  timeoutMs: 300,
};

/** A router on a node without skills; `local` decides what a local run does. */
function router(peers: Peer[], local: (task: NodeTask) => Promise<NodeResult>): Router {
  return new Router({
    selfId: "self",
    maxHops: 4,
    llm: NO_LLM,
    localCapabilities: () => [],
    peers: () => Promise.resolve(peers),
    executeLocal: (task) => local(task),
    clientFor: () => {
      throw new Error("no peer may be asked: none can take the task");
    },
  });
}

const noExecutor = () =>
  Promise.reject(
    new SwarmError(
      "local_executor_not_configured",
      "This node has no local executor: give it skills (--skills-dir) or an agent (--executor-cmd)",
    ),
  );

/** A task arriving from its caller, not from another node. */
const HOME = { hops: 0, via: [] };

const deadCalc = peer("calc-node", { capabilities: ["calc"], healthy: false, state: "dead" });

Deno.test("Router.route() answers an untagged task whose inferred tag sits on a dead peer no_match, naming both", async () => {
  const err = await rejectsWith(
    router([deadCalc], noExecutor).route(makeTask("t1", [], "1+1等于几？"), HOME),
    "no_match",
  );
  assert.equal(
    err.message,
    "No node can handle capabilities inferred from its description (offline): calc; " +
      "held by calc-node (dead), which cannot take it now",
  );
  assert.deepEqual(err.details, {
    required_capabilities: ["calc"],
    inferred: true,
    holders: ["calc-node"],
  });
});

Deno.test("Router.route() names the dead holder of a required tag in no_match too", async () => {
  const err = await rejectsWith(
    router([deadCalc], noExecutor).route(makeTask("t2", ["calc"], "1+1"), HOME),
    "no_match",
  );
  assert.equal(
    err.message,
    "No node can handle required capabilities: calc; held by calc-node (dead), which cannot take it now",
  );
  assert.deepEqual(err.details, { required_capabilities: ["calc"], holders: ["calc-node"] });
});

Deno.test("Router.route() keeps no_match plain when no known node holds the tag", async () => {
  const err = await rejectsWith(
    router([peer("other", { capabilities: ["web"] })], noExecutor).route(
      makeTask("t3", ["calc"], "1+1"),
      HOME,
    ),
    "no_match",
  );
  assert.equal(err.message, "No node can handle required capabilities: calc");
  assert.deepEqual(err.details, { required_capabilities: ["calc"] });
});

Deno.test("Router.route() still runs an untagged task here when the node has an agent to take it", async () => {
  const ran: NodeTask[] = [];
  const result = await router([deadCalc], (task) => {
    ran.push(task);
    return Promise.resolve({
      task_id: task.id,
      response: "2",
      task_completed: true,
      tool_calls: 1,
    });
  }).route(makeTask("t4", [], "1+1等于几？"), HOME);
  assert.equal(result.response, "2");
  assert.deepEqual(ran.map((t) => t.context.required_capabilities), [[]]);
});

/** A peer client whose every task is refused with `error`. */
function refusing(error: SwarmError) {
  return {
    submitTask: () => Promise.reject(error),
    // deno-lint-ignore require-yield
    async *streamTask() {
      throw error;
    },
    canDo: () => Promise.resolve({ can_do: true, instance_name: "x" }),
  };
}

function busyRouter(answers: Record<string, SwarmError>): Router {
  const peers = Object.keys(answers).map((id, load) => peer(id, { capabilities: ["calc"], load }));
  return new Router({
    selfId: "self",
    maxHops: 4,
    llm: NO_LLM,
    localCapabilities: () => [],
    peers: () => Promise.resolve(peers),
    executeLocal: noExecutor,
    clientFor: (p) => refusing(answers[p.id]),
    retryPolicy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, jitter: 0 },
  });
}

const busy = (s: number) =>
  new SwarmError("overloaded", "Node is busy", { status: 429, retry_after_s: s });
const draining = (s: number) =>
  new SwarmError("draining", "Node is draining", { status: 503, retry_after_s: s });

Deno.test("Router.route() answers overloaded with the smallest Retry-After when every candidate is busy", async () => {
  const err = await rejectsWith(
    busyRouter({ a: busy(5), b: busy(2), c: draining(3) }).route(makeTask("t5", ["calc"]), HOME),
    "overloaded",
  );
  assert.equal(err.status, 429);
  assert.equal(err.details.retry_after_s, 2);
  assert.match(err.message, /^Every candidate is busy: a \(Node is busy\); b .*; retry in 2 s$/);
});

Deno.test("Router.route() keeps a 503 when every candidate is draining, not a 502", async () => {
  const err = await rejectsWith(
    busyRouter({ a: draining(4), b: draining(7) }).route(makeTask("t6", ["calc"]), HOME),
    "draining",
  );
  assert.equal(err.status, 503);
  assert.equal(err.details.retry_after_s, 4);
});

Deno.test("Router.route() answers forward_failed when a busy candidate is not the only failure", async () => {
  const broken = new SwarmError("forward_failed", "HTTP 500", { status: 500 });
  const err = await rejectsWith(
    busyRouter({ a: busy(2), b: broken }).route(makeTask("t7", ["calc"]), HOME),
    "forward_failed",
  );
  assert.equal(err.status, 502);
  assert.equal(err.details.retry_after_s, undefined);
});
