import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/_usage.ts";
import { formatMesh, formatStatus, parseStatusArgs } from "../../lib/cli/status.ts";

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseStatusArgs>]> = [
  [[], { help: false, json: false, mesh: false, url: undefined, tokenFile: undefined }],
  [["--json"], { help: false, json: true, mesh: false, url: undefined, tokenFile: undefined }],
  [
    ["--url", "http://127.0.0.1:7701", "--token-file=/t"],
    { help: false, json: false, mesh: false, url: "http://127.0.0.1:7701", tokenFile: "/t" },
  ],
  [["-h"], { help: true, json: false, mesh: false, url: undefined, tokenFile: undefined }],
  [["--help", "--json"], {
    help: true,
    json: true,
    mesh: false,
    url: undefined,
    tokenFile: undefined,
  }],
  [["--mesh", "--json"], {
    help: false,
    json: true,
    mesh: true,
    url: undefined,
    tokenFile: undefined,
  }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseStatusArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseStatusArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [["extra"], /^Unexpected argument 'extra'$/],
  [["--bogus"], /Unknown option '--bogus'/],
  [["--url"], /--url/],
  [["--json=1"], /does not take an argument/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseStatusArgs() refuses ${JSON.stringify(argv)} with a UsageError`, () => {
    assert.throws(() => parseStatusArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("formatStatus() renders a SkillLite node's two fields", () => {
  assert.equal(
    formatStatus({ status: "busy", current_task_id: "t9" }),
    [
      "node        (SkillLite node: no id)",
      "status      busy (task t9)",
      "capabilities none",
      "skills      0",
      "peers       0",
    ].join("\n"),
  );
});

Deno.test("formatStatus() renders a swarm node's identity, grants, skills and peers", () => {
  const now = Date.now();
  const text = formatStatus({
    status: "idle",
    current_task_id: null,
    node_id: "n1",
    version: "0.1.0",
    listen: "127.0.0.1:7700",
    auth: "bearer",
    executor: "skills+command",
    permissions: { allow_net: "loopback", network_worker: { net: ["127.0.0.0/8", "[::1]"] } },
    capabilities: ["calc", "web"],
    skills: [
      {
        name: "calculator",
        version: "1.0",
        capabilities: ["calc"],
        kind: "script",
        sandbox: "deno",
      },
      { name: "notes", capabilities: [], kind: "reference", sandbox: "none" },
    ],
    peers: [
      {
        id: "p1",
        address: "127.0.0.1:7701",
        capabilities: ["gpu"],
        sources: ["static", "mdns"],
        last_seen_ms: now - 5_000,
        healthy: true,
      },
      {
        id: "addr:127.0.0.1:7702",
        address: "127.0.0.1:7702",
        capabilities: [],
        sources: ["static"],
        last_seen_ms: 0,
        healthy: false,
        last_error: "Connection refused",
      },
    ],
  });
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 8), [
    "node        n1",
    "version     0.1.0",
    "listen      127.0.0.1:7700",
    "status      idle",
    "allow-net   loopback  (network grant: 127.0.0.0/8, [::1])",
    "auth        bearer",
    "executor    skills+command",
    "capabilities calc, web",
  ]);
  assert.equal(lines[8], "skills      2");
  assert.equal(lines[9], "  calculator@1.0  [calc]  script, sandbox deno");
  assert.equal(lines[10], "  notes  [none]  reference, sandbox none");
  assert.equal(lines[11], "peers       2");
  assert.match(
    lines[12],
    /^ {2}p1 {2}127\.0\.0\.1:7701 {2}\[gpu\] {2}via static, mdns, seen [56]s ago, healthy$/,
  );
  assert.equal(
    lines[13],
    "  addr:127.0.0.1:7702  127.0.0.1:7702  [none]  via static, seen never, unhealthy: Connection refused",
  );
});

Deno.test("formatStatus() shows an unrestricted network grant as any", () => {
  const text = formatStatus({
    status: "idle",
    node_id: "n1",
    permissions: { allow_net: "any", network_worker: { net: true } },
  });
  assert.match(text, /^allow-net {3}any {2}\(network grant: any\)$/m);
});

Deno.test("formatMesh() aligns one row per node and marks unreachable ones", () => {
  const text = formatMesh([
    {
      address: "10.0.0.1:7700",
      status: {
        node_id: "n1",
        ready: true,
        status: "idle",
        capabilities: ["calc"],
        peers: [{}],
        running_tasks: 0,
      },
    },
    {
      address: "10.0.0.2:7700",
      node_id: "n2",
      code: "peer_unreachable",
      error: "Cannot reach 10.0.0.2:7700: refused",
    },
    { address: "10.0.0.3:7700", node_id: "spoof", skipped: "unproven peer" },
  ]);
  const lines = text.split("\n");
  assert.equal(lines.length, 4);
  assert.match(lines[3], /^spoof\s+10\.0\.0\.3:7700\s+-\s+not asked: unproven peer$/);
  assert.match(lines[0], /^NODE\s+ADDRESS\s+READY\s+STATUS\s+CAPABILITIES\s+PEERS\s+RUNNING$/);
  assert.match(lines[1], /^n1\s+10\.0\.0\.1:7700\s+yes\s+idle\s+calc\s+1\s+0$/);
  assert.match(
    lines[2],
    /^n2\s+10\.0\.0\.2:7700\s+no\s+peer_unreachable: Cannot reach 10\.0\.0\.2:7700: refused$/,
  );
  assert.equal(lines[1].indexOf("10.0.0.1"), lines[0].indexOf("ADDRESS"));
});
