import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config/load.ts";
import { composeNode, type NodeHandle } from "../../lib/node/compose_node.ts";
import type { WorkerInit } from "../../lib/node/messages.ts";
import { workerPermissions } from "../../lib/node/permissions.ts";
import type { NodeEvent } from "../../lib/observability/events.ts";
import type { ExecuteOptions } from "../../lib/execution/types.ts";
import type { NodeResult, NodeTask } from "../../lib/protocol/types.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";

/** Start data of an in-process node on a free loopback port with an in-memory store. */
function initOf(nodeId: string, args: string[] = [], capabilities = ["calc"]): WorkerInit {
  const loaded = loadConfig({
    args: ["--listen", "127.0.0.1:0", "--data-dir", ":memory:", ...args],
    env: {},
  });
  if (loaded.help) throw new Error("unexpected help");
  const { config } = loaded;
  return {
    config,
    nodeId,
    version: "0.0.0-test",
    permissions: workerPermissions(config),
    skills: [],
    capabilities,
    executor: "skills",
    startedAtMs: Date.now(),
    discovery: { mdns: "off", service_type: "_skilllite-swarm._udp" },
    security: {},
  };
}

/** An executor that answers each task with its description, or waits for `gate` first. */
function scriptedExecutor(gate?: Promise<void>) {
  const runs: { task: NodeTask; options: ExecuteOptions }[] = [];
  return {
    runs,
    async execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult> {
      runs.push({ task, options });
      options.onProgress?.({ skill: "echo" });
      if (gate) {
        await Promise.race([
          gate,
          new Promise((_, reject) =>
            options.signal?.addEventListener("abort", () => reject(options.signal!.reason), {
              once: true,
            })
          ),
        ]);
      }
      return { task_id: task.id, response: task.description, task_completed: true, tool_calls: 0 };
    },
  };
}

/** Composes and starts a node; returns it with its URL and the events it emitted. */
async function started(init: WorkerInit, executor: ReturnType<typeof scriptedExecutor>) {
  const events: NodeEvent[] = [];
  let url = "";
  const node: NodeHandle = composeNode(init, {
    executor,
    onEvent: (e) => events.push(e),
    onListening: (address) => url = address.url,
  });
  await node.start();
  return { node, url, events };
}

function postTask(url: string, task: Partial<NodeTask> & { id: string }) {
  return fetchWithin(`${url}/task`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      description: "say hi",
      context: { workspace: ".", session_key: "default", required_capabilities: ["calc"] },
      ...task,
    }),
  });
}

Deno.test("composeNode: a started node runs a task through its executor and says so once", async () => {
  const executor = scriptedExecutor();
  const { node, url, events } = await started(initOf("node-a"), executor);
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await postTask(url, { id: "t-1", description: "hello" });
    const result = await response.json();
    assert.equal(response.status, 200);
    assert.equal(result.response, "hello");
    assert.equal(executor.runs.length, 1);
    assert.deepEqual(executor.runs[0].options.capabilities, ["calc"]);
    const types = events.map((e) => e.type);
    assert.equal(types.filter((t) => t === "swarm_started").length, 1);
    const executed = events.find((e) => e.type === "task_executed");
    assert.ok(executed && executed.type === "task_executed" && executed.skill === "echo");
    const status = await (await fetchWithin(`${url}/status`)).json();
    assert.equal(status.node_id, "node-a");
    assert.equal(status.ready, true);
  } finally {
    await node.stop();
  }
});

Deno.test("composeNode: stop waits for a running task, then aborts it at the drain timeout", async () => {
  const gate = Promise.withResolvers<void>();
  const executor = scriptedExecutor(gate.promise);
  const { node, url, events } = await started(
    initOf("node-b", ["--drain-timeout-ms", "300"]),
    executor,
  );
  const answer = postTask(url, { id: "t-slow" });
  for (let i = 0; i < 100 && executor.runs.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(executor.runs.length, 1, "the task never reached the executor");
  const stopping = node.stop();
  const response = await answer;
  const body = await response.json();
  await stopping;
  // Never let through: the task did not finish within the drain timeout. It had started,
  // so the caller is told it may have had effects, not "draining" (which invites a rerun).
  assert.equal(response.status, 500);
  assert.equal(body.error, "execution_failed");
  assert.match(
    body.message,
    /drain timeout 300 ms\): the task had started and was stopped; it may have had effects$/,
  );
  assert.ok(events.some((e) => e.type === "swarm_stopping"));
  gate.resolve();
});

Deno.test("composeNode: mDNS peers heard before the store opens wait for it; joins and leaves are events", async () => {
  const executor = scriptedExecutor();
  const events: NodeEvent[] = [];
  const node = composeNode(initOf("node-c"), { executor, onEvent: (e) => events.push(e) });
  const peer = {
    id: "peer-1",
    address: "127.0.0.1:9",
    scheme: "http" as const,
    capabilities: ["gpu"],
    swarm: true,
  };
  const early = node.mdnsUp(peer);
  await node.start();
  try {
    await early;
    await node.mdnsUp(peer);
    await node.mdnsDown("peer-1", "goodbye");
    const peerEvents = events.filter((e) => e.type === "peer_joined" || e.type === "peer_left")
      .map((e) => `${e.type}:${"peer" in e ? e.peer : ""}`);
    assert.deepEqual(peerEvents, ["peer_joined:peer-1", "peer_left:peer-1"]);
  } finally {
    await node.stop();
  }
});
