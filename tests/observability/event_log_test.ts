import assert from "node:assert/strict";
import { logEvents, logLineOf } from "../../lib/observability/event_log.ts";
import { EventBus, type NodeEventData } from "../../lib/observability/events.ts";

const stamp = { id: 1, time: "2026-12-02T00:00:00.000Z", node_id: "a" };

Deno.test("logLineOf() names each logged event's line and keeps its fields", () => {
  const cases: [NodeEventData, string, Record<string, unknown>][] = [
    [
      {
        type: "swarm_started",
        url: "http://127.0.0.1:7700",
        version: "1.2.3",
        capabilities: ["calc"],
        skills: 2,
        starter_skills: false,
        executor: "skills",
        peers: 1,
      },
      "swarm_started",
      {
        node_id: "a",
        url: "http://127.0.0.1:7700",
        version: "1.2.3",
        capabilities: ["calc"],
        skills: 2,
        starter_skills: false,
        executor: "skills",
        peers: 1,
      },
    ],
    [
      {
        type: "peer_joined",
        peer: "b",
        address: "10.0.0.2:7700",
        source: "mdns",
        capabilities: [],
      },
      "peer_joined",
      { peer: "b", address: "10.0.0.2:7700", capabilities: [], source: "mdns" },
    ],
    [
      { type: "peer_left", peer: "b", source: "mdns", reason: "goodbye" },
      "peer_left",
      { peer: "b", reason: "goodbye", source: "mdns" },
    ],
    [
      { type: "peer_state_changed", peer: "b", from: "alive", to: "suspect" },
      "peer_state",
      { peer: "b", from: "alive", to: "suspect" },
    ],
    [
      { type: "auth_failed", reason: "invalid", path: "/task", source: "10.0.0.9" },
      "auth_failed",
      { reason: "invalid", path: "/task", source: "10.0.0.9" },
    ],
    [
      { type: "auth_failed", reason: "forbidden", path: "/task", scope: "run", subject: "ci" },
      "auth_forbidden",
      { scope: "run", subject: "ci", path: "/task" },
    ],
  ];
  for (const [data, message, props] of cases) {
    assert.deepEqual(logLineOf({ ...data, ...stamp } as never), [message, props], data.type);
  }
});

Deno.test("logLineOf() leaves task events to the task's own line", () => {
  const task = { task_id: "t", trace_id: "0".repeat(32), hop: 0 };
  for (
    const data of [
      { type: "task_forwarded", peer: "b", attempt: 1, ...task },
      { type: "task_executed", duration_ms: 3, completed: true, ...task },
      { type: "capabilities_changed", capabilities: [] },
      { type: "swarm_stopping", reason: "signal" },
    ] as NodeEventData[]
  ) {
    assert.equal(logLineOf({ ...data, ...stamp } as never), undefined, data.type);
  }
});

Deno.test("logEvents() writes one line per logged event until unsubscribed", () => {
  const bus = new EventBus("a");
  const lines: string[] = [];
  const stop = logEvents(bus, { info: (message) => lines.push(message) });
  bus.emit({ type: "peer_state_changed", peer: "b", from: "alive", to: "dead" });
  bus.emit({ type: "capabilities_changed", capabilities: ["x"] });
  stop();
  bus.emit({ type: "peer_left", peer: "b", source: "mdns", reason: "expired" });
  assert.deepEqual(lines, ["peer_state"]);
});
