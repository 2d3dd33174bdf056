import assert from "node:assert/strict";
import { jsonForTerminal, terminalSafe } from "../../lib/cli/_terminal.ts";
import { formatMesh, formatStatus } from "../../lib/cli/status.ts";
import { formatEvent } from "../../lib/cli/events.ts";

/** Any byte a terminal acts on: ESC, CSI (C1), BEL, CR, backspace, bidi override. */
// deno-lint-ignore no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const CASES: Array<[why: string, input: string, multiline: boolean, expected: string]> = [
  ["plain text is unchanged", "task-1 ok", false, "task-1 ok"],
  ["ESC sequence (clear screen)", "id\x1b[2J\x1b[H", false, "id\\x1b[2J\\x1b[H"],
  ["OSC window title with BEL", "\x1b]0;pwned\x07", false, "\\x1b]0;pwned\\x07"],
  ["one-byte CSI (C1)", "a\u009b31m", false, "a\\x9b31m"],
  ["carriage return overwriting the line", "ok\rFAIL", false, "ok\\rFAIL"],
  ["line feed forging a line", "a\nnode  fake", false, "a\\nnode  fake"],
  ["line feed kept in free text", "line 1\nline 2\ttab", true, "line 1\nline 2\ttab"],
  ["ESC escaped in free text too", "x\x1b[31m", true, "x\\x1b[31m"],
  ["bidi override", "abc\u202edcba", false, "abc\\u202edcba"],
  ["DEL", "a\x7f", false, "a\\x7f"],
  ["unicode letters untouched", "café ✓ 计算", false, "café ✓ 计算"],
];

for (const [why, input, multiline, expected] of CASES) {
  Deno.test(`terminalSafe(): ${why}`, () => {
    assert.equal(terminalSafe(input, { multiline }), expected);
  });
}

Deno.test("jsonForTerminal() escapes what JSON.stringify leaves raw, and stays the same JSON", () => {
  const value = { id: "a\u009b2J\u202e", n: 1, s: "\x1b[0m" };
  const text = jsonForTerminal(value, 2);
  assert.ok(!CONTROLS.test(text.replaceAll("\n", "")), text);
  assert.deepEqual(JSON.parse(text), value);
});

// Issue 12 finding 8: `swarm status` printed task ids raw (terminal escape injection).
Deno.test("formatStatus(), formatMesh() and formatEvent() print no control character from a node", () => {
  const evil = "t\x1b[2J\x1b]0;owned\x07\u009b1m\rX\u202e";
  const status = formatStatus({
    node_id: evil,
    status: "busy",
    current_task_id: evil,
    capabilities: [evil],
    skills: [{ name: evil, capabilities: [evil], kind: "script", sandbox: evil }],
    peers: [{ id: evil, address: evil, capabilities: [], sources: [evil], healthy: false }],
    tasks: { in_flight: [evil], recent: [{ at: evil, task_id: evil, route: evil, outcome: evil }] },
  });
  const mesh = formatMesh([
    { address: evil, status: { node_id: evil, status: evil, capabilities: [evil] } },
    { address: evil, node_id: evil, code: evil, error: evil },
  ]);
  const event = formatEvent({ id: 1, time: evil, type: evil, task_id: evil, peer: evil });
  for (const text of [status, mesh, event]) {
    for (const line of text.split("\n")) assert.ok(!CONTROLS.test(line), JSON.stringify(line));
    assert.ok(text.includes("\\x1b[2J"), "the escape is shown, not dropped");
  }
  assert.equal(event.split("\n").length, 1);
});
