import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/cli/_usage.ts";
import { KEY_HELP, parseKeyArgs, runKey } from "../../lib/cli/key.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { readPublicKey, readPublisherKey } from "../../lib/sync/mod.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";
import { capture } from "./_capture.ts";

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseKeyArgs>]> = [
  [["--help"], { help: true, out: "", force: false }],
  [["gen", "-h"], { help: true, out: "", force: false }],
  [["help"], { help: true, out: "", force: false }],
  [["gen", "--out", "a.key"], { help: false, out: "a.key", force: false }],
  [["gen", "--out=a.key", "--force"], { help: false, out: "a.key", force: true }],
  [["--out", "a.key", "gen"], { help: false, out: "a.key", force: false }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseKeyArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseKeyArgs(argv), expected);
  });
}

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing command: gen$/],
  [["make", "--out", "a"], /^Unknown command 'make'/],
  [["gen"], /'--out FILE' is required/],
  [["gen", "--out="], /'--out FILE' is required/],
  [["gen", "--out", "a", "b"], /^Unexpected argument 'b'$/],
  [["gen", "--out", "a", "--bits", "256"], /Unknown option '--bits'/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseKeyArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseKeyArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

function run(...argv: string[]) {
  return capture(() => runKey(argv));
}

Deno.test("swarm key --help prints the help and exits 0, also as swarm help key", async () => {
  const out = await run("--help");
  assert.equal(out.code, 0);
  assert.equal(out.stdout, KEY_HELP);
  assert.match(KEY_HELP, /^Usage: swarm key gen --out FILE \[--force\]/);
  const viaMain = await capture(() => runCli(["help", "key"]));
  assert.equal(viaMain.stdout, KEY_HELP);
});

Deno.test("swarm key gen prints the key id on stdout and the files on stderr", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    const gen = await run("gen", "--out", out);
    assert.equal(gen.code, 0, gen.stderr);
    assert.match(gen.stdout, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(gen.stderr.split("\n").length, 1);
    assert.ok(gen.stderr.includes(out) && gen.stderr.includes(`${out}.pub`), gen.stderr);
    assert.equal((await readPublisherKey(out)).keyId, gen.stdout);
    assert.equal((await readPublicKey(`${out}.pub`)).keyId, gen.stdout);
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${out}.pub`)).mode! & 0o777, 0o644);

    const again = await run("gen", "--out", out);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, "");
    assert.equal(again.stderr.split("\n").length, 1);
    assert.match(again.stderr, /^swarm key: invalid_argument: .*exists: pass --force/);
    assert.equal((await readPublisherKey(out)).keyId, gen.stdout, "the key is kept");

    const forced = await run("gen", "--out", out, "--force");
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(forced.stdout, gen.stdout);
    assert.deepEqual(await entries(dir), ["acme.key", "acme.key.pub"]);
  });
});

Deno.test("swarm key: a usage mistake or an unwritable place is one line and non-zero", async () => {
  const usage = await run("gen");
  assert.equal(usage.code, 2);
  assert.equal(usage.stdout, "");
  assert.match(
    usage.stderr,
    /^swarm key: invalid_argument: Option '--out FILE' is required \(see 'swarm key --help'\)$/,
  );
  await withTempDir(async (dir) => {
    const nowhere = await run("gen", "--out", join(dir, "missing", "acme.key"));
    assert.equal(nowhere.code, 1);
    assert.equal(nowhere.stderr.split("\n").length, 1);
    assert.match(nowhere.stderr, /^swarm key: invalid_argument: Cannot write the publisher key/);
  });
});
