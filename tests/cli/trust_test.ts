import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/cli/_usage.ts";
import { runKey } from "../../lib/cli/key.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import { parseTrustArgs, runTrust, TRUST_HELP } from "../../lib/cli/trust.ts";
import { readTrustStore, trustStorePath } from "../../lib/sync/mod.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { capture } from "./_capture.ts";

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseTrustArgs>]> = [
  [["--help"], { help: true }],
  [["help"], { help: true }],
  [["add", "-h"], { help: true }],
  [["add", "a.pub", "--name", "acme"], {
    help: false,
    command: "add",
    pubFile: "a.pub",
    name: "acme",
    skills: ["*"],
    node: {},
  }],
  [["add", "--name=acme", "--skills", "calc*", "--skills", "weather,maps", "a.pub"], {
    help: false,
    command: "add",
    pubFile: "a.pub",
    name: "acme",
    skills: ["calc*", "weather", "maps"],
    node: {},
  }],
  [["list"], { help: false, command: "list", json: false, node: {} }],
  [["list", "--json", "--data-dir", "/d", "--listen", "7701", "--config", "c.json"], {
    help: false,
    command: "list",
    json: true,
    node: { dataDir: "/d", listen: "7701", config: "c.json" },
  }],
  [["remove", "acme", "--data-dir=/d"], {
    help: false,
    command: "remove",
    name: "acme",
    node: { dataDir: "/d" },
  }],
  [["remove", "--", "-odd-name"], {
    help: false,
    command: "remove",
    name: "-odd-name",
    node: {},
  }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseTrustArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseTrustArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing command: one of add, list, remove$/],
  [["grant"], /^Unknown command 'grant'/],
  [["add", "--name", "acme"], /^Missing argument PUBFILE$/],
  [["add", "a.pub"], /'--name NAME' is required/],
  [["add", "a.pub", "--name", " "], /'--name NAME' is required/],
  [["add", "a.pub", "b.pub", "--name", "x"], /^Unexpected argument 'b.pub'$/],
  [["add", "a.pub", "--name", "x", "--skills", ""], /'--skills' needs skill names/],
  [["add", "a.pub", "--name", "x", "--skills", "a,,b"], /'--skills' needs skill names/],
  [["add", "a.pub", "--name", "x", "--skills", "calc tools"], /without spaces/],
  [["add", "a.pub", "--name", "x", "--json"], /Unknown option '--json'/],
  [["list", "extra"], /^Unexpected argument 'extra'$/],
  [["list", "--name", "x"], /Unknown option '--name'/],
  [["list", "--data-dir="], /'--data-dir' needs a value/],
  [["remove"], /^Missing argument NAME$/],
  [["remove", "a", "b"], /^Unexpected argument 'b'$/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseTrustArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseTrustArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

function run(...argv: string[]) {
  return capture(() => runTrust(argv));
}

/** A new publisher key in `dir`; returns the .pub file and the key id. */
async function newKey(dir: string, name: string): Promise<{ pub: string; kid: string }> {
  const out = join(dir, `${name}.key`);
  const gen = await capture(() => runKey(["gen", "--out", out]));
  assert.equal(gen.code, 0, gen.stderr);
  return { pub: `${out}.pub`, kid: gen.stdout };
}

/** Runs `fn` with the node's environment variables set as given (others unset), then restores them. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const names = [
    "SWARM_DATA_DIR",
    "SWARM_LISTEN",
    "SWARM_CONFIG",
    "XDG_DATA_HOME",
    ...Object.keys(vars),
  ];
  const saved = new Map(names.map((n) => [n, Deno.env.get(n)]));
  try {
    for (const n of names) Deno.env.delete(n);
    for (const [n, v] of Object.entries(vars)) Deno.env.set(n, v);
    await fn();
  } finally {
    for (const [n, v] of saved) v === undefined ? Deno.env.delete(n) : Deno.env.set(n, v);
  }
}

Deno.test("swarm trust --help prints the help and exits 0, also as swarm help trust", async () => {
  const out = await run("--help");
  assert.equal(out.code, 0);
  assert.equal(out.stdout, TRUST_HELP);
  for (const command of ["add PUBFILE", "list", "remove NAME"]) {
    assert.ok(TRUST_HELP.includes(`\n  ${command}`), command);
  }
  assert.equal((await capture(() => runCli(["help", "trust"]))).stdout, TRUST_HELP);
});

Deno.test("swarm trust: add, list, remove end to end", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "node");
    const d = ["--data-dir", data];
    const path = trustStorePath(data);
    const acme = await newKey(dir, "acme");
    const other = await newKey(dir, "other");

    const empty = await run("list", ...d);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, `No trusted publishers in ${path}`);

    const added = await run("add", acme.pub, "--name", "acme", "--skills", "calc*", ...d);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(
      added.stdout,
      `Trusted publisher 'acme' (key ${acme.kid}) for skills calc* in ${path}`,
    );
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await run("add", other.pub, "--name", "other", ...d)).code, 0);

    const text = await run("list", ...d);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Trusted publishers in ${path}:\n`));
    assert.match(
      text.stdout,
      new RegExp(`\n  acme  key ${acme.kid}  skills calc\\*  added \\S+\n`),
    );
    assert.match(text.stdout, new RegExp(`\n  other  key ${other.kid}  skills \\*  added \\S+$`));

    const json = JSON.parse((await run("list", "--json", ...d)).stdout);
    assert.equal(json.file, path);
    assert.deepEqual(json.publishers, await readTrustStore(path));
    assert.deepEqual(json.publishers.map((p: { skills: string[] }) => p.skills), [["calc*"], [
      "*",
    ]]);

    const sameName = await run("add", other.pub, "--name", "acme", ...d);
    assert.equal(sameName.code, 1);
    assert.equal(sameName.stdout, "");
    assert.equal(sameName.stderr.split("\n").length, 1);
    assert.match(sameName.stderr, /^swarm trust: invalid_argument: A publisher named 'acme'/);
    const sameKey = await run("add", acme.pub, "--name", "acme-again", ...d);
    assert.equal(sameKey.code, 1);
    assert.match(
      sameKey.stderr,
      /^swarm trust: invalid_argument: Key \S+ is trusted already as 'acme'/,
    );

    const removed = await run("remove", "acme", ...d);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `Removed publisher 'acme' from ${path}`);
    const again = await run("remove", "acme", ...d);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `swarm trust: invalid_argument: No publisher named 'acme' in ${path}`,
    );
    assert.deepEqual((await readTrustStore(path)).map((p) => p.name), ["other"]);
  });
});

Deno.test("swarm trust add accepts the private key file but stores only the public key", async () => {
  await withTempDir(async (dir) => {
    const acme = await newKey(dir, "acme");
    const data = join(dir, "node");
    const added = await run("add", join(dir, "acme.key"), "--name", "acme", "--data-dir", data);
    assert.equal(added.code, 0, added.stderr);
    const text = await Deno.readTextFile(trustStorePath(data));
    assert.ok(!text.includes('"d"'), "no private key in the trust store");
    assert.equal((await readTrustStore(trustStorePath(data)))[0].keyId, acme.kid);
  });
});

Deno.test("swarm trust: bad input is one line `code: message` and a non-zero exit", async () => {
  await withTempDir(async (dir) => {
    const d = ["--data-dir", join(dir, "node")];
    const cases: Array<[argv: string[], code: number, line: RegExp]> = [
      [
        ["add", join(dir, "none.pub"), "--name", "x", ...d],
        1,
        /^swarm trust: invalid_argument: No publisher key at /,
      ],
      [
        ["add", "x.pub", ...d],
        2,
        /^swarm trust: invalid_argument: .*--name.*\(see 'swarm trust --help'\)$/,
      ],
      [["list", "--bogus", ...d], 2, /^swarm trust: invalid_argument: .*--bogus/],
      [["list", "--data-dir", ":memory:"], 1, /^swarm trust: config_invalid: .*':memory:'/],
      [
        ["list", "--listen", "99999", "--config", join(dir, "none.json")],
        1,
        /^swarm trust: config_invalid: /,
      ],
    ];
    await Deno.writeTextFile(join(dir, "garbage.pub"), "{}");
    cases.push([
      ["add", join(dir, "garbage.pub"), "--name", "x", ...d],
      1,
      /^swarm trust: invalid_argument: .*not an Ed25519 key/,
    ]);
    for (const [argv, code, line] of cases) {
      const out = await run(...argv);
      assert.equal(out.code, code, JSON.stringify(argv));
      assert.equal(out.stdout, "");
      assert.equal(out.stderr.split("\n").length, 1, out.stderr);
      assert.match(out.stderr, line);
    }

    const store = trustStorePath(join(dir, "node"));
    await Deno.mkdir(join(dir, "node", "sync"), { recursive: true });
    await Deno.writeTextFile(store, "{ not json");
    const broken = await run("list", ...d);
    assert.equal(broken.code, 1);
    assert.equal(broken.stderr.split("\n").length, 1);
    assert.match(broken.stderr, new RegExp(`^swarm trust: config_invalid: ${store}: not JSON`));
  });
});

Deno.test("swarm trust picks the data directory as the node does", async () => {
  await withTempDir(async (dir) => {
    const xdg = join(dir, "xdg");
    const where = async (...argv: string[]) => {
      const out = await run("list", "--json", ...argv);
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(out.stdout).file;
    };
    await withEnv({ XDG_DATA_HOME: xdg }, async () => {
      assert.equal(await where(), join(xdg, "swarm", "7700", "sync", "trust.json"));
      assert.equal(
        await where("--listen", "7709"),
        join(xdg, "swarm", "7709", "sync", "trust.json"),
      );
      assert.equal(
        await where("--listen", "127.0.0.1:7711"),
        join(xdg, "swarm/7711/sync/trust.json"),
      );
      assert.equal(await where("--data-dir", join(dir, "d")), join(dir, "d", "sync", "trust.json"));
    });
    await withEnv({ XDG_DATA_HOME: xdg, SWARM_LISTEN: "7712" }, async () => {
      assert.equal(await where(), join(xdg, "swarm", "7712", "sync", "trust.json"));
      assert.equal(
        await where("--listen", "7713"),
        join(xdg, "swarm", "7713", "sync", "trust.json"),
      );
    });
    await withEnv({ XDG_DATA_HOME: xdg, SWARM_DATA_DIR: join(dir, "env") }, async () => {
      assert.equal(await where("--listen", "7714"), join(dir, "env", "sync", "trust.json"));
      assert.equal(await where("--data-dir", join(dir, "flag")), join(dir, "flag/sync/trust.json"));
    });
    const config = join(dir, "node.json");
    await Deno.writeTextFile(config, JSON.stringify({ listen: "127.0.0.1:7715" }));
    await withEnv({ XDG_DATA_HOME: xdg }, async () => {
      assert.equal(await where("--config", config), join(xdg, "swarm/7715/sync/trust.json"));
    });
    await Deno.writeTextFile(config, JSON.stringify({ dataDir: join(dir, "file") }));
    await withEnv({ XDG_DATA_HOME: xdg, SWARM_CONFIG: config }, async () => {
      assert.equal(await where(), join(dir, "file", "sync", "trust.json"));
    });

    // The node itself, given the same settings, uses the same directory.
    const loaded = loadConfig({ args: ["--listen", "7716"], env: { XDG_DATA_HOME: xdg } });
    assert.ok(!loaded.help);
    await withEnv({ XDG_DATA_HOME: xdg }, async () => {
      assert.equal(await where("--listen", "7716"), trustStorePath(loaded.config.dataDir));
    });
  });
});
