import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/cli/_usage.ts";
import { runCli } from "../../lib/cli/mod.ts";
import {
  formatSkillList,
  parseSkillArgs,
  runSkill,
  SKILL_COMMANDS,
  SKILL_HELP,
  SKILL_LIST_HELP,
  SKILL_PIN_HELP,
  SKILL_PUBLISH_HELP,
  SKILL_ROLLBACK_HELP,
  SKILL_UNPIN_HELP,
} from "../../lib/cli/skill.ts";
import { generatePublisherKey } from "../../lib/sync/publisher_key.ts";
import { pinFilePath, readPins, setPin } from "../../lib/sync/pin_file.ts";
import type { Envelope, SkillRelease } from "../../lib/sync/types.ts";
import { capture } from "./_capture.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const F1 = "1".repeat(64);
const F2 = "2".repeat(64);
const F3 = "3".repeat(64);

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseSkillArgs>]> = [
  [["--help"], { command: "help", topic: "skill" }],
  [["-h"], { command: "help", topic: "skill" }],
  [["help"], { command: "help", topic: "skill" }],
  [["help", "pin"], { command: "help", topic: "pin" }],
  [["publish", "--help"], { command: "help", topic: "publish" }],
  [["rollback", "-h"], { command: "help", topic: "rollback" }],
  [["publish", "./calc", "--key", "acme.key"], {
    command: "publish",
    dir: "./calc",
    keyFile: "acme.key",
    json: false,
  }],
  [[
    "publish",
    "--key=acme.key",
    "--version",
    "1.2.0-rc.1",
    "calc",
    "--url",
    "https://n1:7700",
    "--token-file",
    "t",
    "--tls-ca",
    "ca.pem",
    "--json",
  ], {
    command: "publish",
    dir: "calc",
    keyFile: "acme.key",
    version: "1.2.0-rc.1",
    json: true,
    url: "https://n1:7700",
    tokenFile: "t",
    tls: { "tls-ca": "ca.pem" },
  }],
  [["list"], { command: "list", json: false }],
  [["list", "--json", "--url", "http://127.0.0.1:7701"], {
    command: "list",
    json: true,
    url: "http://127.0.0.1:7701",
  }],
  [["pin", "calc@1.0.0"], { command: "pin", pin: { name: "calc", version: "1.0.0" } }],
  [["pin", `calc@${F1}`, "--data-dir", "/d"], {
    command: "pin",
    pin: { name: "calc", fingerprint: F1 },
    dataDir: "/d",
  }],
  [["pin", "--listen", "7701", "--config", "node.json", "calc@2.0.0"], {
    command: "pin",
    pin: { name: "calc", version: "2.0.0" },
    listen: "7701",
    config: "node.json",
  }],
  [["unpin", "calc"], { command: "unpin", name: "calc" }],
  [["unpin", "calc", "--data-dir=/d"], { command: "unpin", name: "calc", dataDir: "/d" }],
  [["rollback", "calc", "--data-dir", "/d"], { command: "rollback", name: "calc", dataDir: "/d" }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseSkillArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseSkillArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing command: one of publish, list, pin, unpin, rollback$/],
  [["install"], /^Unknown command 'install'/],
  [["help", "install"], /^Unknown command 'install'/],
  [["publish"], /^Missing argument DIR$/],
  [["publish", "calc"], /^Option '--key FILE' is required$/],
  [["publish", "calc", "other", "--key", "k"], /^Unexpected argument 'other'$/],
  [["publish", "calc", "--key", "k", "--version", "v1"], /^Option '--version' needs a SemVer/],
  [["publish", "calc", "--key", ""], /^Option '--key' needs a value/],
  [["publish", "calc", "--key"], /--key/],
  [["list", "extra"], /^Unexpected argument 'extra'$/],
  [["list", "--data-dir", "/d"], /--data-dir/],
  [["pin"], /^Missing argument NAME@VERSION or NAME@FINGERPRINT$/],
  [["pin", "calc"], /^Cannot parse pin 'calc': expected NAME@VERSION or NAME@FINGERPRINT$/],
  [["pin", "calc@"], /nothing after '@'/],
  [["pin", "@1.0.0"], /the name before '@' is empty/],
  [["pin", "calc@latest"], /'latest' is neither a SemVer 2.0 version/],
  [["pin", "../x@1.0.0"], /is not a skill name/],
  [["pin", "calc@1.0.0", "notes@1.0.0"], /^Unexpected argument 'notes@1.0.0'$/],
  [["pin", "calc@1.0.0", "--url", "http://n1"], /--url/],
  [["pin", "calc@1.0.0", "--data-dir", ""], /^Option '--data-dir' needs a value/],
  [["unpin"], /^Missing argument NAME$/],
  [["unpin", "calc@1.0.0"], /^Expected a skill NAME without '@': got 'calc@1.0.0'$/],
  [["rollback", "../etc"], /^Invalid skill name: "..\/etc" is not a skill name/],
  [["rollback", ".x"], /it starts with '.'/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseSkillArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseSkillArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("runSkill() prints each command's help and returns 0", async () => {
  const cases: Array<[string[], string]> = [
    [["--help"], SKILL_HELP],
    [["help", "list"], SKILL_LIST_HELP],
    [["publish", "--help"], SKILL_PUBLISH_HELP],
    [["list", "-h"], SKILL_LIST_HELP],
    [["pin", "--help"], SKILL_PIN_HELP],
    [["unpin", "--help"], SKILL_UNPIN_HELP],
    [["rollback", "--help"], SKILL_ROLLBACK_HELP],
  ];
  for (const [argv, help] of cases) {
    const { code, stdout, stderr } = await capture(() => runSkill(argv));
    assert.equal(code, 0, JSON.stringify(argv));
    assert.equal(stdout, help);
    assert.equal(stderr, "");
  }
  for (const command of SKILL_COMMANDS) {
    assert.ok(SKILL_HELP.includes(`  ${command}`), command);
    const { stdout } = await capture(() => runSkill([command, "--help"]));
    assert.match(stdout, new RegExp(`^Usage: swarm skill ${command} `));
  }
});

Deno.test("runCli() dispatches skill, lists it in the main help, and keeps skills", async () => {
  const viaHelp = await capture(() => runCli(["help", "skill"]));
  assert.equal(viaHelp.code, 0);
  assert.equal(viaHelp.stdout, SKILL_HELP);
  const main = await capture(() => runCli(["--help"]));
  assert.match(main.stdout, /swarm skill publish\|list\|pin\|unpin\|rollback/);
  assert.match(main.stdout, /swarm skills \[--skills-dir DIR\]/);
  const skills = await capture(() => runCli(["skills", "--help"]));
  assert.match(skills.stdout, /^Usage: swarm skills \[options\]/);
});

Deno.test("runSkill() reports a usage mistake on one line and returns 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^swarm skill: invalid_argument: Missing command: .*\(see 'swarm skill --help'\)$/],
    [
      ["pin", "calc"],
      /^swarm skill pin: invalid_argument: Cannot parse pin 'calc': .*\(see 'swarm skill pin --help'\)$/,
    ],
    [
      ["pin", "calc@", "--data-dir", "/d"],
      /^swarm skill pin: invalid_argument: .*nothing after '@'/,
    ],
    [
      ["publish", "calc"],
      /^swarm skill publish: invalid_argument: Option '--key FILE' is required/,
    ],
    [["unpin", "a\nb"], /^swarm skill unpin: invalid_argument: .*\\n/],
  ];
  for (const [argv, line] of cases) {
    const { code, stdout, stderr } = await capture(() => runSkill(argv));
    assert.equal(code, 2, JSON.stringify(argv));
    assert.equal(stdout, "");
    assert.ok(!stderr.includes("\n"), stderr);
    assert.match(stderr, line);
  }
});

/** A history file as the release store writes it. */
async function writeHistory(dataDir: string, name: string, entries: object[]): Promise<void> {
  await Deno.mkdir(join(dataDir, "sync", "history"), { recursive: true });
  await Deno.writeTextFile(
    join(dataDir, "sync", "history", `${name}.json`),
    JSON.stringify({ name, entries }, null, 2) + "\n",
  );
}

Deno.test("swarm skill pin and unpin edit <dataDir>/sync/pins.json", async () => {
  await withTempDir(async (dir) => {
    const file = pinFilePath(dir);
    let out = await capture(() => runSkill(["pin", "calc@1.0.0", "--data-dir", dir]));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `pinned calc@1.0.0 in ${file}`);
    out = await capture(() => runSkill(["pin", `calc@${F1}`, "--data-dir", dir]));
    assert.equal(out.stdout, `pinned calc@${F1} (was calc@1.0.0) in ${file}`);
    out = await capture(() => runSkill(["pin", "notes@2.0.0", "--data-dir", dir]));
    assert.equal(out.code, 0);
    assert.deepEqual(await readPins(file), [
      { name: "calc", fingerprint: F1 },
      { name: "notes", version: "2.0.0" },
    ]);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);

    out = await capture(() => runSkill(["unpin", "calc", "--data-dir", dir]));
    assert.equal(out.code, 0);
    assert.equal(out.stdout, `unpinned calc in ${file}`);
    out = await capture(() => runSkill(["unpin", "calc", "--data-dir", dir]));
    assert.equal(out.code, 0);
    assert.equal(out.stdout, `calc was not pinned in ${file}`);
    assert.deepEqual(await readPins(file), [{ name: "notes", version: "2.0.0" }]);
  });
});

Deno.test("swarm skill pin finds the data dir as the node does (XDG_DATA_HOME and --listen)", async () => {
  await withTempDir(async (dir) => {
    const saved = ["SWARM_DATA_DIR", "SWARM_CONFIG", "SWARM_LISTEN", "XDG_DATA_HOME"].map((
      name,
    ) => [name, Deno.env.get(name)] as const);
    for (const [name] of saved) Deno.env.delete(name);
    Deno.env.set("XDG_DATA_HOME", dir);
    try {
      const dataDir = join(dir, "swarm", "7801");
      await Deno.mkdir(dataDir, { recursive: true });
      const out = await capture(() => runSkill(["pin", "calc@1.0.0", "--listen", "7801"]));
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(await readPins(pinFilePath(dataDir)), [{ name: "calc", version: "1.0.0" }]);
      Deno.env.set("SWARM_DATA_DIR", join(dir, "elsewhere"));
      const missing = await capture(() => runSkill(["unpin", "calc", "--listen", "7801"]));
      assert.equal(missing.code, 1);
      assert.equal(
        missing.stderr,
        `swarm skill unpin: invalid_argument: No node data directory at ${
          join(dir, "elsewhere")
        }: start the node once, or pass --data-dir`,
      );
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) Deno.env.delete(name);
        else Deno.env.set(name, value);
      }
    }
  });
});

Deno.test("swarm skill pin refuses a missing data dir and :memory:, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope");
    let out = await capture(() => runSkill(["pin", "calc@1.0.0", "--data-dir", missing]));
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^swarm skill pin: invalid_argument: No node data directory at /);
    out = await capture(() => runSkill(["pin", "calc@1.0.0", "--data-dir", ":memory:"]));
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^swarm skill pin: config_invalid: .*keeps no pins/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("swarm skill pin refuses a malformed pin file, leaving it as it was", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "sync"));
    await Deno.writeTextFile(pinFilePath(dir), "{oops");
    const out = await capture(() => runSkill(["pin", "calc@1.0.0", "--data-dir", dir]));
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      new RegExp(`^swarm skill pin: config_invalid: ${pinFilePath(dir)}: not JSON`),
    );
    assert.ok(!out.stderr.includes("\n"));
    assert.equal(await Deno.readTextFile(pinFilePath(dir)), "{oops");
  });
});

Deno.test("swarm skill rollback pins the release installed before, and back again", async () => {
  await withTempDir(async (dir) => {
    const file = pinFilePath(dir);
    await setPin(file, { name: "notes", version: "1.0.0" });
    await writeHistory(dir, "calc", [
      { fingerprint: F1, version: "1.0.0", activated: "2026-12-01T00:00:00.000Z" },
      { fingerprint: F2, version: "1.1.0", activated: "2026-12-02T00:00:00.000Z" },
    ]);
    let out = await capture(() => runSkill(["rollback", "calc", "--data-dir", dir]));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `pinned calc@${F1} (1.0.0, instead of 1.1.0) in ${file}`);
    assert.deepEqual(await readPins(file), [
      { name: "notes", version: "1.0.0" },
      { name: "calc", fingerprint: F1 },
    ]);
    // The node applied the pin: the history gained the activation of F1.
    await writeHistory(dir, "calc", [
      { fingerprint: F1, version: "1.0.0", activated: "2026-12-01T00:00:00.000Z" },
      { fingerprint: F2, version: "1.1.0", activated: "2026-12-02T00:00:00.000Z" },
      { fingerprint: F1, version: "1.0.0", activated: "2026-12-03T00:00:00.000Z" },
    ]);
    out = await capture(() => runSkill(["rollback", "calc", "--data-dir", dir]));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `pinned calc@${F2} (1.1.0, instead of 1.0.0) in ${file}`);
    assert.deepEqual((await readPins(file)).find((p) => p.name === "calc"), {
      name: "calc",
      fingerprint: F2,
    });
  });
});

Deno.test("swarm skill rollback skips entries of the current release and unversioned ones print bare", async () => {
  await withTempDir(async (dir) => {
    await writeHistory(dir, "calc", [
      { fingerprint: F3, activated: "2026-12-01T00:00:00.000Z" },
      { fingerprint: F1, version: "1.0.0", activated: "2026-12-02T00:00:00.000Z" },
      { fingerprint: "not-a-fingerprint", activated: "2026-12-03T00:00:00.000Z" },
      { fingerprint: F1, version: "1.0.0", activated: "2026-12-04T00:00:00.000Z" },
    ]);
    const out = await capture(() => runSkill(["rollback", "calc", "--data-dir", dir]));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `pinned calc@${F3} in ${pinFilePath(dir)}`);
  });
});

Deno.test("swarm skill rollback without an earlier release exits 1 with one line", async () => {
  await withTempDir(async (dir) => {
    const history = join(dir, "sync", "history", "calc.json");
    // No history at all, then a history of one release only.
    for (const entries of [undefined, [{ fingerprint: F1, version: "1.0.0", activated: "x" }]]) {
      if (entries !== undefined) await writeHistory(dir, "calc", entries);
      const out = await capture(() => runSkill(["rollback", "calc", "--data-dir", dir]));
      assert.equal(out.code, 1);
      assert.equal(out.stdout, "");
      assert.equal(
        out.stderr,
        `swarm skill rollback: not_found: Cannot roll back 'calc': its install history (${history}) holds no earlier release`,
      );
    }
    assert.deepEqual(await readPins(pinFilePath(dir)), []);
  });
});

Deno.test("swarm skill rollback refuses a malformed history file", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "sync", "history"), { recursive: true });
    const history = join(dir, "sync", "history", "calc.json");
    for (const text of ["{", `{"name": "calc"}`]) {
      await Deno.writeTextFile(history, text);
      const out = await capture(() => runSkill(["rollback", "calc", "--data-dir", dir]));
      assert.equal(out.code, 1);
      assert.ok(out.stderr.startsWith(`swarm skill rollback: config_invalid: ${history}: `));
      assert.ok(!out.stderr.includes("\n"));
    }
  });
});

/** A release row as `GET /sync/skills` shows it. */
function row(version: string, fingerprint: string, publisher = "acme") {
  return { version, fingerprint, digest: fingerprint.replace(/./g, "d"), publisher };
}

Deno.test("formatSkillList() prints one row per skill, then acceptance and refusals", () => {
  const text = formatSkillList({
    accept: true,
    releases: 4,
    skills: [
      {
        name: "calc",
        state: "installed",
        installed: row("1.0.0", F1),
        chosen: row("1.0.0", F1),
        pin: { spec: "calc@1.0.0", status: "pinned" },
        available: [row("1.2.0", F3), row("1.1.0", F2)],
        flagged: [],
      },
      {
        name: "notes",
        state: "pending",
        installed: null,
        chosen: row("0.1.0", F2, "bob"),
        pin: { spec: "notes@9.0.0", status: "pin_unmatched" },
        available: [],
        flagged: [],
      },
      {
        name: "evil\u001b[2J",
        state: "flagged",
        installed: null,
        chosen: null,
        pin: null,
        available: [],
        flagged: [{ digest: "d", reason: "equivocation", version: "1.0.0" }],
      },
    ],
    refusals: { bad_signature: 2, oversize: 0 },
    trust: [],
  });
  assert.equal(
    text,
    [
      "NAME         INSTALLED  STATE      PIN                      AVAILABLE   PUBLISHER",
      "calc         1.0.0      installed  calc@1.0.0               1.2.0 (+1)  acme",
      "notes        -          pending    notes@9.0.0 (unmatched)  -           bob",
      "evil\\x1b[2J  -          flagged    -                        -           -",
      "",
      "releases 4; this node installs synced skills",
      "refused bad_signature=2",
    ].join("\n"),
  );
});

Deno.test("formatSkillList() says when the node holds nothing and does not accept skills", () => {
  assert.equal(
    formatSkillList({ accept: false, releases: 0, skills: [], refusals: {}, trust: [] }),
    [
      "NAME  INSTALLED  STATE  PIN  AVAILABLE  PUBLISHER",
      "(no synced skills)",
      "",
      "releases 0; this node does not install synced skills (--accept-skills is off)",
    ].join("\n"),
  );
});

/** What the fake node was sent. */
interface Recorded {
  blobs: Array<{ sha256: string; size: string; bytes: Uint8Array }>;
  releases: Envelope[];
  order: string[];
}

/**
 * A fake node answering `GET /sync/skills`, `PUT /sync/blob` and `POST /sync/release`,
 * recording what it gets; `refuse` makes it refuse the release.
 */
function fakeNode(
  options: { skills?: unknown; skillsStatus?: number; refuse?: string },
): { url: string; recorded: Recorded; close: () => Promise<void> } {
  const recorded: Recorded = { blobs: [], releases: [], order: [] };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    recorded.order.push(`${req.method} ${url.pathname}`);
    if (req.method === "GET" && url.pathname === "/sync/skills") {
      if (options.skillsStatus !== undefined) {
        return Response.json({ error: "forbidden", message: "Needs read" }, {
          status: options.skillsStatus,
        });
      }
      return Response.json(options.skills ?? { accept: true, releases: 0, skills: [] });
    }
    if (req.method === "PUT" && url.pathname === "/sync/blob") {
      recorded.blobs.push({
        sha256: url.searchParams.get("sha256") ?? "",
        size: url.searchParams.get("size") ?? "",
        bytes: new Uint8Array(await req.arrayBuffer()),
      });
      return new Response(null, { status: 204 });
    }
    if (req.method === "POST" && url.pathname === "/sync/release") {
      recorded.releases.push(await req.json());
      if (options.refuse !== undefined) {
        return Response.json({
          error: "release_refused",
          reason: options.refuse,
          message: "The publisher is not in this node's trust store",
        }, { status: 422 });
      }
      return Response.json({ digest: "e".repeat(64), verdict: "installed", missing: [] });
    }
    return Response.json({ error: "not_found", message: "No route" }, { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    recorded,
    close: () => server.shutdown(),
  };
}

/** A skill directory and a publisher key in `dir`. */
async function skillAndKey(dir: string): Promise<{ skill: string; key: string; keyId: string }> {
  const skill = join(dir, "calc");
  await Deno.mkdir(join(skill, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(skill, "SKILL.md"),
    `---\nname: calc\ndescription: Adds numbers\nmetadata:\n  version: "1.0.0"\n---\n# calc\n`,
  );
  await Deno.writeTextFile(join(skill, "scripts", "main.py"), "print(1 + 1)\n");
  await Deno.writeTextFile(join(skill, "scripts", "copy.py"), "print(1 + 1)\n");
  const key = join(dir, "acme.key");
  const { keyId } = await generatePublisherKey(key);
  return { skill, key, keyId };
}

function statementOf(envelope: Envelope): { predicate: SkillRelease } {
  const bytes = Uint8Array.from(atob(envelope.payload), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

Deno.test("swarm skill publish uploads each file, then the signed release naming the installed one", async () => {
  await withTempDir(async (dir) => {
    const { skill, key, keyId } = await skillAndKey(dir);
    const node = fakeNode({
      skills: {
        accept: true,
        releases: 1,
        skills: [{ name: "calc", state: "installed", installed: row("0.9.0", F1), chosen: null }],
      },
    });
    try {
      const out = await capture(() =>
        runSkill(["publish", skill, "--key", key, "--version", "1.1.0", "--url", node.url])
      );
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, `published calc@1.1.0 (digest ${"e".repeat(64)}): installed`);
      assert.equal(out.stderr, "");
      const { blobs, releases, order } = node.recorded;
      assert.deepEqual(order, [
        "GET /sync/skills",
        "PUT /sync/blob",
        "PUT /sync/blob",
        "POST /sync/release",
      ]);
      assert.equal(releases.length, 1);
      const release = statementOf(releases[0]).predicate;
      assert.equal(release.name, "calc");
      assert.equal(release.version, "1.1.0");
      assert.equal(release.publisher, keyId);
      assert.equal(release.previous, F1);
      assert.deepEqual(releases[0].signatures.map((s) => s.keyid), [keyId]);
      // One upload per content: the two identical scripts share a blob.
      assert.equal(release.files.length, 3);
      const uploaded = new Map(blobs.map((b) => [b.sha256, b]));
      assert.equal(uploaded.size, 2);
      for (const file of release.files) {
        const blob = uploaded.get(file.sha256);
        assert.ok(blob, file.path);
        assert.equal(blob.size, String(file.size));
        assert.equal(blob.bytes.length, file.size);
      }
    } finally {
      await node.close();
    }
  });
});

Deno.test("swarm skill publish --json prints the node's answer; previous is the chosen one, else null", async () => {
  await withTempDir(async (dir) => {
    const { skill, key } = await skillAndKey(dir);
    const cases: Array<[options: Parameters<typeof fakeNode>[0], previous: string | null]> = [
      [{
        skills: {
          skills: [{ name: "calc", state: "pending", installed: null, chosen: row("1.0.0", F2) }],
        },
      }, F2],
      [
        { skills: { skills: [{ name: "other", installed: row("1.0.0", F2), chosen: null }] } },
        null,
      ],
      [{ skillsStatus: 403 }, null],
    ];
    for (const [options, previous] of cases) {
      const node = fakeNode(options);
      try {
        const out = await capture(() =>
          runSkill(["publish", skill, "--key", key, "--url", node.url, "--json"])
        );
        assert.equal(out.code, 0, out.stderr);
        assert.deepEqual(JSON.parse(out.stdout), {
          digest: "e".repeat(64),
          verdict: "installed",
          missing: [],
        });
        const release = statementOf(node.recorded.releases[0]).predicate;
        assert.equal(release.version, "1.0.0", "the version of SKILL.md");
        assert.equal(release.previous, previous, JSON.stringify(options));
      } finally {
        await node.close();
      }
    }
  });
});

Deno.test("swarm skill publish shows a refused release's release_refused and reason, exit 1", async () => {
  await withTempDir(async (dir) => {
    const { skill, key } = await skillAndKey(dir);
    const node = fakeNode({ refuse: "untrusted_publisher" });
    try {
      const out = await capture(() =>
        runSkill(["publish", skill, "--key", key, "--url", node.url])
      );
      assert.equal(out.code, 1);
      assert.equal(out.stdout, "");
      assert.equal(
        out.stderr,
        "swarm skill publish: release_refused: untrusted_publisher: The publisher is not in this node's trust store",
      );
    } finally {
      await node.close();
    }
  });
});

Deno.test("swarm skill publish refuses a directory that is no skill, or a bad key, before any upload", async () => {
  await withTempDir(async (dir) => {
    const { skill, key } = await skillAndKey(dir);
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const node = fakeNode({});
    try {
      const cases: Array<[string[], RegExp]> = [
        [
          ["publish", empty, "--key", key],
          /^swarm skill publish: invalid_argument: malformed: .*has no SKILL\.md/,
        ],
        [
          ["publish", join(dir, "nope"), "--key", key],
          /^swarm skill publish: invalid_argument: Cannot publish '.*nope': it is not a directory$/,
        ],
        [
          ["publish", skill, "--key", `${key}.pub`],
          /^swarm skill publish: invalid_argument: .*acme\.key\.pub/,
        ],
        [
          ["publish", skill, "--key", join(dir, "missing.key")],
          /^swarm skill publish: invalid_argument: /,
        ],
      ];
      for (const [argv, line] of cases) {
        const out = await capture(() => runSkill([...argv, "--url", node.url]));
        assert.equal(out.code, 1, JSON.stringify(argv));
        assert.ok(!out.stderr.includes("\n"), out.stderr);
        assert.match(out.stderr, line);
      }
      assert.deepEqual(node.recorded.blobs, []);
      assert.deepEqual(node.recorded.releases, []);
    } finally {
      await node.close();
    }
  });
});

Deno.test("swarm skill publish to an unreachable node exits 1 with peer_unreachable", async () => {
  await withTempDir(async (dir) => {
    const { skill, key } = await skillAndKey(dir);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const out = await capture(() =>
      runSkill(["publish", skill, "--key", key, "--url", `http://127.0.0.1:${port}`])
    );
    assert.equal(out.code, 1);
    assert.match(out.stderr, /^swarm skill publish: peer_unreachable: [^\n]+$/);
  });
});

Deno.test("swarm skill list prints the node's skills, or its answer with --json", async () => {
  const answer = {
    accept: true,
    releases: 1,
    skills: [{
      name: "calc",
      state: "installed",
      installed: row("1.0.0", F1),
      chosen: row("1.0.0", F1),
      pin: null,
      available: [],
      flagged: [],
    }],
    refusals: {},
    trust: [{ name: "acme", keyId: "k", skills: ["*"] }],
  };
  const node = fakeNode({ skills: answer });
  try {
    const text = await capture(() => runSkill(["list", "--url", node.url]));
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, formatSkillList(answer));
    const json = await capture(() => runSkill(["list", "--json", "--url", node.url]));
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), answer);
  } finally {
    await node.close();
  }
  const denied = fakeNode({ skillsStatus: 403 });
  try {
    const out = await capture(() => runSkill(["list", "--url", denied.url]));
    assert.equal(out.code, 1);
    assert.equal(out.stderr, "swarm skill list: forbidden: Needs read");
  } finally {
    await denied.close();
  }
});
