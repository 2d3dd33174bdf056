import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli/_usage.ts";
import {
  CLEAR_SCREEN,
  DEFAULT_WATCH_INTERVAL_MS,
  formatMesh,
  formatStatus,
  MAX_ERROR_CHARS,
  parseStatusArgs,
  type WatchOptions,
  watchStatus,
} from "../../lib/cli/status.ts";
import { collect, spawnSwarm, swarmCommandLine } from "./_main_process.ts";
import { exitWithin } from "../_helpers/with_timeout.ts";
import { killOnExit } from "../_helpers/child_processes.ts";

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

Deno.test("parseStatusArgs() reads --watch with the default interval, and --interval-ms", () => {
  assert.equal(parseStatusArgs(["--watch"]).watchIntervalMs, DEFAULT_WATCH_INTERVAL_MS);
  assert.equal(parseStatusArgs(["--watch", "--interval-ms", "500"]).watchIntervalMs, 500);
  assert.equal(parseStatusArgs(["--interval-ms=250", "--watch"]).watchIntervalMs, 250);
  assert.equal(parseStatusArgs([]).watchIntervalMs, undefined);
});

const INTERVAL = /^Option --interval-ms must be an integer from 250 to 3600000: current value is /;

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [["extra"], /^Unexpected argument 'extra'$/],
  [["--bogus"], /Unknown option '--bogus'/],
  [["--url"], /--url/],
  [["--json=1"], /does not take an argument/],
  [["--interval-ms", "500"], /^Option --interval-ms needs --watch$/],
  [["--watch", "--interval-ms", "100"], INTERVAL],
  [["--watch", "--interval-ms", "3600001"], INTERVAL],
  [["--watch", "--interval-ms", "soon"], INTERVAL],
  [["--watch", "--interval-ms", "1e3"], INTERVAL],
  // A negative number is the flag's value (parseArgs alone calls it "ambiguous").
  [["--watch", "--interval-ms", "-5"], INTERVAL],
  // "Did you mean" for a mistyped flag.
  [["--wacth"], /^Unknown option '--wacth': did you mean '--watch'\?$/],
  [["--jsno"], /^Unknown option '--jsno': did you mean '--json'\?$/],
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
        state: "alive",
      },
      {
        id: "addr:127.0.0.1:7702",
        address: "127.0.0.1:7702",
        capabilities: [],
        sources: ["static"],
        last_seen_ms: 0,
        healthy: false,
        state: "dead",
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
    /^ {2}p1 {2}127\.0\.0\.1:7701 {2}\[gpu\] {2}via static, mdns, seen [56]s ago, alive$/,
  );
  assert.equal(
    lines[13],
    "  addr:127.0.0.1:7702  127.0.0.1:7702  [none]  via static, seen never, dead: Connection refused",
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
  assert.equal(lines.length, 5);
  assert.match(lines[4], /^spoof\s+10\.0\.0\.3:7700\s+-\s+not asked: unproven peer$/);
  assert.match(lines[0], /^NODE\s+ADDRESS\s+READY\s+STATUS\s+CAPABILITIES\s+PEERS\s+RUNNING$/);
  assert.match(lines[1], /^n1\s+10\.0\.0\.1:7700\s+yes\s+idle\s+calc\s+1\s+0$/);
  // The error is wider than the STATUS column: it goes on within the column.
  assert.match(lines[2], /^n2\s+10\.0\.0\.2:7700\s+no\s+peer_unreachable: Cannot reach$/);
  assert.equal(lines[3].trim(), "10.0.0.2:7700: refused");
  assert.equal(lines[3].indexOf("10.0.0.2"), lines[0].indexOf("STATUS"));
  assert.equal(lines[1].indexOf("10.0.0.1"), lines[0].indexOf("ADDRESS"));
});

Deno.test("formatStatus() shows the node's timeouts and limits from its config block", () => {
  const text = formatStatus({
    status: "idle",
    node_id: "n1",
    config: {
      task_timeout_ms: 120_000,
      exec_timeout_ms: 60_000,
      forward_timeout_ms: 120_000,
      can_do_timeout_ms: 3_000,
      drain_timeout_ms: 1_500,
      max_hops: 4,
      max_concurrent_tasks: 4,
      max_queued_tasks: 32,
      max_body_bytes: 1_048_576,
      max_output_bytes: 1_048_576,
      max_peer_result_bytes: 8_388_608,
    },
  });
  const lines = text.split("\n");
  assert.ok(
    lines.includes(
      "timeouts    task 120 s, exec 60 s, forward 120 s, can-do 3 s, drain 1500 ms",
    ),
    text,
  );
  assert.ok(
    lines.includes(
      "limits      hops 4, tasks 4 running + 32 queued, body 1 MiB, output 1 MiB, peer result 8 MiB",
    ),
    text,
  );
  // A SkillLite node sends no config block: no such lines.
  assert.doesNotMatch(formatStatus({ status: "idle" }), /timeouts|limits/);
});

const ESC = "\x1b[";

const STATES: Array<[state: string, colour: string]> = [
  ["alive", "32"],
  ["suspect", "33"],
  ["dead", "31"],
];

for (const [state, code] of STATES) {
  Deno.test(`formatStatus() names a ${state} peer as the docs do, coloured only when asked`, () => {
    const body = {
      status: "idle",
      peers: [{ id: "p1", address: "127.0.0.1:7701", sources: ["mdns"], state, healthy: true }],
    };
    const plain = formatStatus(body);
    assert.match(plain, new RegExp(`, ${state}$`, "m"));
    assert.ok(!plain.includes(ESC), "no escape code without colour");
    const coloured = formatStatus(body, { colour: true });
    assert.ok(coloured.includes(`${ESC}${code}m${state}${ESC}39m`), coloured);
  });
}

Deno.test("formatStatus() keeps a node's escape codes escaped when it colours", () => {
  const text = formatStatus({
    status: "idle",
    peers: [{ id: "p\x1b[2J", address: "a", sources: [], state: "dead\x1b[0m", healthy: false }],
  }, { colour: true });
  assert.ok(text.includes("p\\x1b[2J"), text);
  assert.ok(text.includes("dead\\x1b[0m"), text);
  // The only raw escapes are the colour's own.
  // deno-lint-ignore no-control-regex
  const raw = text.replaceAll(/\x1b\[(3[0-9]|2|1|22|39)m/g, "");
  assert.ok(!raw.includes("\x1b"), JSON.stringify(raw));
});

Deno.test("formatStatus() cuts a long peer error short; the rest is in --json", () => {
  const long = `Cannot reach http://127.0.0.1:7702: ${"x".repeat(300)}`;
  const text = formatStatus({
    status: "idle",
    peers: [{ id: "p1", address: "a", sources: [], state: "dead", last_error: long }],
  });
  const line = text.split("\n").find((l) => l.includes("p1"))!;
  const shown = line.slice(line.indexOf("dead: ") + "dead: ".length);
  assert.equal([...shown].length, MAX_ERROR_CHARS);
  assert.ok(shown.endsWith("…") && long.startsWith(shown.slice(0, -1)), shown);
});

Deno.test("formatMesh() wraps a long error within its column and keeps every column aligned", () => {
  const error = `Cannot reach http://10.0.0.2:7700: ${"connection refused ".repeat(8).trim()}`;
  const text = formatMesh([
    {
      address: "10.0.0.1:7700",
      status: { node_id: "n1", ready: true, status: "idle", capabilities: ["calc"], peers: [] },
    },
    { address: "10.0.0.2:7700", node_id: "n2", code: "peer_unreachable", error },
    {
      address: "10.0.0.3:7700",
      status: { node_id: "n3", ready: true, status: "busy", capabilities: ["gpu"], peers: [] },
    },
  ]);
  const lines = text.split("\n");
  const status = lines[0].indexOf("STATUS");
  const caps = lines[0].indexOf("CAPABILITIES");
  // Every line of the wrapped cell starts in the STATUS column and ends before the next.
  const wrapped = lines.slice(2, -1);
  assert.ok(wrapped.length >= 3, text);
  for (const line of wrapped) {
    assert.ok(line.length <= caps, `stays within its column: ${JSON.stringify(line)}`);
    assert.equal(line.search(/\S/) === 0 ? status : line.search(/\S/), status, line);
  }
  assert.equal(lines[2].slice(0, status).trim().split(/\s+/).join(" "), "n2 10.0.0.2:7700 no");
  // Nothing is lost: the wrapped lines hold the whole message.
  const joined = wrapped.map((l, i) => i === 0 ? l.slice(status) : l.trim()).join(" ");
  assert.equal(joined, `peer_unreachable: ${error}`);
  // The rows after it are not pushed out of line.
  const last = lines.at(-1)!;
  assert.match(last, /^n3\s+10\.0\.0\.3:7700\s+yes\s+busy\s+gpu\s+0\s+-$/);
  assert.equal(last.indexOf("busy"), status);
  assert.equal(last.indexOf("gpu"), caps);
});

Deno.test("formatMesh() colours readiness only when asked", () => {
  const rows = [
    { address: "a", status: { node_id: "n1", ready: true, status: "idle" } },
    { address: "b", node_id: "n2", code: "timeout", error: "slow" },
  ];
  assert.ok(!formatMesh(rows).includes(ESC));
  const coloured = formatMesh(rows, { colour: true });
  assert.ok(coloured.includes(`${ESC}32myes${ESC}39m`), coloured);
  assert.ok(coloured.includes(`${ESC}31mno${ESC}39m`), coloured);
});

/** Runs watchStatus over scripted snapshots until `rounds` were written. */
async function watched(
  mode: WatchOptions["mode"],
  snapshots: Array<string | Error>,
): Promise<string[]> {
  const stop = new AbortController();
  const written: string[] = [];
  let next = 0;
  await watchStatus({
    intervalMs: 1,
    mode,
    title: "swarm status http://127.0.0.1:7700",
    signal: stop.signal,
    now: () => new Date(Date.UTC(2030, 0, 1, 0, 0, next)),
    take: () => {
      const shot = snapshots[next++];
      return shot instanceof Error ? Promise.reject(shot) : Promise.resolve(shot);
    },
    failure: (err) => `failed: ${(err as Error).message}`,
    write: (text) => {
      written.push(text);
      if (written.length === snapshots.length) stop.abort();
    },
  });
  return written;
}

Deno.test("watchStatus() clears and redraws the screen on a terminal", async () => {
  const written = await watched("screen", ["one", "two"]);
  assert.deepEqual(written, [
    `${CLEAR_SCREEN}swarm status http://127.0.0.1:7700, every 1 ms: 2030-01-01T00:00:01.000Z (Ctrl+C to stop)\n\none\n`,
    `${CLEAR_SCREEN}swarm status http://127.0.0.1:7700, every 1 ms: 2030-01-01T00:00:02.000Z (Ctrl+C to stop)\n\ntwo\n`,
  ]);
});

Deno.test("watchStatus() prints separated blocks off a terminal, and goes on after a failure", async () => {
  const written = await watched("blocks", ["one", new Error("refused"), "three"]);
  assert.equal(
    written.join(""),
    [
      "# swarm status http://127.0.0.1:7700, every 1 ms: 2030-01-01T00:00:01.000Z",
      "one",
      "",
      "# swarm status http://127.0.0.1:7700, every 1 ms: 2030-01-01T00:00:02.000Z",
      "failed: refused",
      "",
      "# swarm status http://127.0.0.1:7700, every 1 ms: 2030-01-01T00:00:03.000Z",
      "three",
      "",
    ].join("\n"),
  );
  assert.ok(!written.join("").includes("\x1b"), "no screen control off a terminal");
});

Deno.test("watchStatus() prints one line per snapshot in lines mode", async () => {
  assert.equal((await watched("lines", ['{"a":1}', '{"a":2}'])).join(""), '{"a":1}\n{"a":2}\n');
});

Deno.test("watchStatus() stops at once when aborted during the pause", async () => {
  const stop = new AbortController();
  const started = Date.now();
  await watchStatus({
    intervalMs: 3_600_000,
    mode: "lines",
    title: "t",
    signal: stop.signal,
    take: () => Promise.resolve("x"),
    failure: String,
    write: () => setTimeout(() => stop.abort(), 10),
  });
  assert.ok(Date.now() - started < 5_000, "did not wait for the hour-long interval");
});

/** A stand-in node answering GET /status with a counter that moves on every call. */
function fakeNode(): { url: string; calls: () => number; close: () => Promise<void> } {
  let calls = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== "/status") return new Response("no", { status: 404 });
    calls++;
    return Response.json({
      status: "idle",
      current_task_id: null,
      node_id: "watched-node",
      ready: true,
      counters: { received: calls },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls: () => calls,
    close: () => server.shutdown(),
  };
}

Deno.test("swarm status --watch off a terminal prints separated snapshots and exits 0 on Ctrl+C", async () => {
  const node = fakeNode();
  try {
    const child = spawnSwarm(["status", "--watch", "--interval-ms", "250", "--url", node.url]);
    const out = collect(child.stdout);
    const err = collect(child.stderr);
    const text = await out.until(
      (t) => (t.match(/^# /gm) ?? []).length >= 2 && t.endsWith("\n"),
      "two snapshots of swarm status --watch",
    );
    child.kill("SIGINT");
    const status = await exitWithin(child, {
      ms: 10_000,
      what: "swarm status --watch",
      after: "SIGINT",
    });
    await Promise.all([out.done, err.done]);
    assert.equal(status.code, 0, err.text);
    const blocks = text.split(/\n\n(?=# )/);
    assert.ok(blocks.length >= 2, text);
    for (const block of blocks) {
      assert.match(block, new RegExp(`^# swarm status ${node.url}, every 250 ms: \\d{4}-`));
      assert.match(block, /^node {8}watched-node$/m);
    }
    assert.match(blocks[0], /received=1/);
    assert.match(blocks[1], /received=2/);
    assert.ok(!text.includes("\x1b"), "no clear-screen or colour when stdout is a pipe");
  } finally {
    await node.close();
  }
});

Deno.test("swarm status --watch --json prints one status body per line", async () => {
  const node = fakeNode();
  try {
    const child = spawnSwarm([
      "status",
      "--watch",
      "--json",
      "--interval-ms=250",
      "--url",
      node.url,
    ]);
    const out = collect(child.stdout);
    const err = collect(child.stderr);
    const text = await out.until(
      (t) => t.split("\n").length >= 3,
      "two lines of swarm status --watch --json",
    );
    child.kill("SIGINT");
    const status = await exitWithin(child, {
      ms: 10_000,
      what: "swarm status --watch",
      after: "SIGINT",
    });
    await Promise.all([out.done, err.done]);
    assert.equal(status.code, 0, err.text);
    const [first, second] = text.split("\n").slice(0, 2).map((line) => JSON.parse(line));
    assert.equal(first.node_id, "watched-node");
    assert.equal(second.counters.received, first.counters.received + 1);
  } finally {
    await node.close();
  }
});

/** Why `script` (util-linux), which gives a command a pseudo-terminal, cannot be used. */
async function scriptUnavailable(): Promise<string | null> {
  try {
    const { success } = await new Deno.Command("script", { args: ["--version"] }).output();
    return success ? null : "'script --version' failed";
  } catch (err) {
    return `'script' (util-linux) is not installed: ${(err as Error).message}`;
  }
}

const noPty = await scriptUnavailable();
if (noPty) console.log(`status_test terminal tests skipped: ${noPty}`);

/** Runs `swarm ARGS` on a pseudo-terminal; returns what it printed there once `done`. */
async function onTerminal(
  args: string[],
  env: Record<string, string>,
  done: (text: string) => boolean,
): Promise<string> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const child = new Deno.Command("script", {
    // `env` sets NO_COLOR only as asked: one in the test's own environment must not leak in.
    args: [
      "-qfec",
      [
        "env",
        ...(env.NO_COLOR === undefined ? ["-u", "NO_COLOR"] : [`NO_COLOR=${env.NO_COLOR}`]),
        ...swarmCommandLine(args),
      ].map(quote).join(" "),
      "/dev/null",
    ],
    env: { ...env, TERM: "xterm" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  killOnExit(child);
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  try {
    return await out.until(done, `swarm ${args.join(" ")} on a terminal`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdin.close().catch(() => {});
    await Promise.all([out.done, err.done]).catch(() => {});
  }
}

Deno.test({
  name: "swarm status colours peer states on a terminal, and not with NO_COLOR",
  ignore: noPty !== null,
  async fn() {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () =>
        Response.json({
          status: "idle",
          current_task_id: null,
          node_id: "tty-node",
          ready: true,
          peers: [{ id: "p1", address: "127.0.0.1:1", sources: ["static"], state: "dead" }],
        }),
    );
    try {
      const url = `http://127.0.0.1:${server.addr.port}`;
      const ended = (text: string) => /peers {7}1[\s\S]*dead/.test(text) && text.endsWith("\n");
      const coloured = await onTerminal(["status", "--url", url], {}, ended);
      assert.ok(coloured.includes("\x1b[31mdead\x1b[39m"), JSON.stringify(coloured));
      const plain = await onTerminal(["status", "--url", url], { NO_COLOR: "1" }, ended);
      assert.ok(plain.includes(", dead") && !plain.includes("\x1b["), JSON.stringify(plain));
    } finally {
      await server.shutdown();
    }
  },
});

Deno.test({
  name: "swarm status --watch clears and redraws the screen on a terminal",
  ignore: noPty !== null,
  async fn() {
    const node = fakeNode();
    try {
      const text = await onTerminal(
        ["status", "--watch", "--interval-ms", "250", "--url", node.url],
        {},
        (t) => t.split(CLEAR_SCREEN).length >= 3,
      );
      const frames = text.split(CLEAR_SCREEN).slice(1);
      assert.match(frames[0], /^swarm status http:\/\/127\.0\.0\.1:\d+, every 250 ms: .*Ctrl\+C/);
      assert.match(frames[0], /node {8}watched-node/);
    } finally {
      await node.close();
    }
  },
});
