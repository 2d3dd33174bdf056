import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeProtectedHeader } from "jose";
import { UsageError } from "../../lib/cli/_usage.ts";
import { parseDuration, parseTokenArgs, runToken, TOKEN_HELP } from "../../lib/cli/token.ts";
import { readKeyring } from "../../lib/security/keyring_file.ts";
import { looksLikeJwt } from "../../lib/security/token_verify.ts";
import { capture } from "./_capture.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const KR = { SWARM_KEYRING: "/k.json" };

const PARSED: Array<[argv: string[], expected: ReturnType<typeof parseTokenArgs>]> = [
  [["--help"], { command: "help" }],
  [["issue", "-h"], { command: "help" }],
  [["keygen"], { command: "keygen", keyring: "/k.json", audience: undefined, activate: true }],
  [["keygen", "--keyring", "/o.json", "--audience", "mesh-1", "--no-activate"], {
    command: "keygen",
    keyring: "/o.json",
    audience: "mesh-1",
    activate: false,
  }],
  [["activate", "K1"], { command: "activate", keyring: "/k.json", kid: "K1" }],
  [["retire", "--keyring=/r.json", "K1"], { command: "retire", keyring: "/r.json", kid: "K1" }],
  [["issue", "--subject", "ci"], {
    command: "issue",
    keyring: "/k.json",
    subject: "ci",
    actions: ["task", "read"],
    capabilities: ["*"],
    skills: ["*"],
    ttlMs: 30 * 86_400_000,
  }],
  [[
    "issue",
    "--subject=ci",
    "--scope",
    "read,publish",
    "--scope",
    "read",
    "--capability",
    "gpu",
    "--capability",
    "calc",
    "--skill",
    "calculator",
    "--ttl",
    "90s",
    "--not-before",
    "2030-01-01T00:00:00Z",
  ], {
    command: "issue",
    keyring: "/k.json",
    subject: "ci",
    actions: ["read", "publish"],
    capabilities: ["gpu", "calc"],
    skills: ["calculator"],
    ttlMs: 90_000,
    notBefore: Date.parse("2030-01-01T00:00:00Z"),
  }],
  [["list"], { command: "list", keyring: "/k.json", json: false }],
  [["list", "--json"], { command: "list", keyring: "/k.json", json: true }],
  [["revoke", "J1"], { command: "revoke", keyring: "/k.json", jti: "J1" }],
  [["export", "--out", "/p.json"], { command: "export", keyring: "/k.json", out: "/p.json" }],
  [["verify", "a.b.c"], { command: "verify", keyring: "/k.json", token: "a.b.c" }],
  [["verify", "-"], { command: "verify", keyring: "/k.json", token: "-" }],
  [["retire", "-G3xq_"], { command: "retire", keyring: "/k.json", kid: "-G3xq_" }],
  [["activate", "--keyring", "/a.json", "-k"], {
    command: "activate",
    keyring: "/a.json",
    kid: "-k",
  }],
  [["revoke", "--", "--odd"], { command: "revoke", keyring: "/k.json", jti: "--odd" }],
];

for (const [argv, expected] of PARSED) {
  Deno.test(`parseTokenArgs() parses ${JSON.stringify(argv)}`, () => {
    assert.deepEqual(parseTokenArgs(argv, KR), expected);
  });
}

const REFUSED: Array<[argv: string[], env: { SWARM_KEYRING?: string }, message: RegExp]> = [
  [[], KR, /^Missing command: one of keygen, activate/],
  [["mint"], KR, /^Unknown command 'mint'/],
  [["list"], {}, /^No keyring: pass --keyring FILE or set SWARM_KEYRING$/],
  [["list", "--keyring="], {}, /^No keyring/],
  [["list", "extra"], KR, /^Unexpected argument 'extra'$/],
  [["list", "--out", "x"], KR, /Unknown option '--out'/],
  [["list", "-x"], KR, /^Unexpected argument '-x'$/],
  [["activate", "--kid", "x"], KR, /Unknown option '--kid'/],
  [["keygen", "--audience", "my mesh"], KR, /'--audience' must be 1 to 128/],
  [["activate"], KR, /^Missing argument KID$/],
  [["retire", "a", "b"], KR, /^Unexpected argument 'b'$/],
  [["revoke"], KR, /^Missing argument JTI$/],
  [["verify"], KR, /^Missing argument TOKEN$/],
  [["export"], KR, /'--out FILE' is required/],
  [["issue"], KR, /'--subject NAME' is required/],
  [["issue", "--subject", " "], KR, /'--subject NAME' is required/],
  [["issue", "--subject", "a", "--scope", "task,root"], KR, /^Unknown scope 'root'/],
  [["issue", "--subject", "a", "--ttl", "30"], KR, /^Invalid duration '30'/],
  [["issue", "--subject", "a", "--ttl", "367d"], KR, /'--ttl' is at most 366d/],
  [["issue", "--subject", "a", "--not-before", "soon"], KR, /'--not-before' needs an ISO 8601/],
  [["issue", "--subject", "a", "--skill", "two words"], KR, /'--skill' needs a name/],
  [["issue", "--subject", "a", "--capability="], KR, /'--capability' needs a name/],
];

for (const [argv, env, message] of REFUSED) {
  Deno.test(`parseTokenArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseTokenArgs(argv, env), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

const DURATIONS: Array<[string, number | null]> = [
  ["90s", 90_000],
  ["15m", 900_000],
  ["12h", 43_200_000],
  ["30d", 2_592_000_000],
  ["0s", null],
  ["1w", null],
  ["1.5h", null],
  ["-1d", null],
  ["d", null],
  ["", null],
  ["10 m", null],
];

for (const [text, ms] of DURATIONS) {
  Deno.test(`parseDuration(${JSON.stringify(text)}) is ${ms ?? "refused"}`, () => {
    if (ms === null) assert.throws(() => parseDuration(text), UsageError);
    else assert.equal(parseDuration(text), ms);
  });
}

function run(...argv: string[]) {
  return capture(() => runToken(argv));
}

Deno.test("swarm token --help prints the help and exits 0", async () => {
  const out = await run("--help");
  assert.equal(out.code, 0);
  assert.equal(out.stdout, TOKEN_HELP);
  for (const command of ["keygen", "activate", "retire", "issue", "list", "revoke", "export"]) {
    assert.ok(TOKEN_HELP.includes(`\n  ${command} `), command);
  }
});

Deno.test("swarm token: a usage mistake is one line on stderr and exit 2", async () => {
  const out = await run("issue", "--keyring", "/nowhere.json", "--bogus");
  assert.equal(out.code, 2);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr.split("\n").length, 1);
  assert.match(
    out.stderr,
    /^swarm token: invalid_argument: .*--bogus.*\(see 'swarm token --help'\)$/,
  );
});

Deno.test("swarm token: keygen, issue, list, verify, revoke, retire, export end to end", async () => {
  await withTempDir(async (dir) => {
    const keyring = join(dir, "keyring.json");
    const k = ["--keyring", keyring];

    const missing = await run("issue", ...k, "--subject", "ci");
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^swarm token: keyring_invalid: No keyring at .*swarm token keygen/,
    );

    const gen1 = await run("keygen", ...k, "--audience", "mesh-cafe0001");
    assert.equal(gen1.code, 0, gen1.stderr);
    const kid1 = gen1.stdout;
    assert.match(kid1, /^[A-Za-z0-9_-]{16}$/);
    assert.equal((await Deno.stat(keyring)).mode! & 0o777, 0o600);

    const issued = await run("issue", ...k, "--subject", "ci", "--skill", "calculator");
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(issued.stderr, "");
    assert.ok(looksLikeJwt(issued.stdout), "stdout is only the token");
    assert.ok(!issued.stdout.includes("\n"));
    const oldToken = issued.stdout;

    const verified = await run("verify", ...k, oldToken);
    assert.equal(verified.code, 0, verified.stderr);
    const grant = JSON.parse(verified.stdout);
    assert.equal(grant.subject, "ci");
    assert.deepEqual(grant.actions, ["task", "read"]);
    assert.deepEqual(grant.capabilities, ["*"]);
    assert.deepEqual(grant.skills, ["calculator"]);
    assert.equal(grant.token, undefined, "verify does not echo the token");

    const wrongAudience = await run("keygen", ...k, "--audience", "mesh-other");
    assert.equal(wrongAudience.code, 1);
    assert.match(wrongAudience.stderr, /already has audience 'mesh-cafe0001'/);

    const gen2 = await run("keygen", ...k);
    assert.equal(gen2.code, 0, gen2.stderr);
    const kid2 = gen2.stdout;
    assert.notEqual(kid2, kid1);
    const newToken = (await run("issue", ...k, "--subject", "ops", "--scope", "admin")).stdout;
    assert.equal(decodeProtectedHeader(newToken).kid, kid2);
    assert.equal((await run("verify", ...k, oldToken)).code, 0, "old tokens still verify");

    const listed = await run("list", ...k, "--json");
    assert.equal(listed.code, 0, listed.stderr);
    const report = JSON.parse(listed.stdout);
    assert.equal(report.audience, "mesh-cafe0001");
    assert.deepEqual(
      report.keys.map((key: { kid: string; state: string }) => [key.kid, key.state]),
      [[kid1, "verify-only"], [kid2, "active"]],
    );
    assert.deepEqual(
      report.tokens.map((t: { sub: string; state: string }) => [t.sub, t.state]),
      [["ci", "valid"], ["ops", "valid"]],
    );
    const jti = report.tokens[0].jti;
    for (const text of [listed.stdout, (await run("list", ...k)).stdout]) {
      assert.ok(!text.includes(oldToken.split(".")[2]), "no token in the listing");
      assert.ok(!text.includes('"d"') && !text.includes("private_jwk"), "no private key");
    }

    const revoked = await run("revoke", ...k, jti);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await run("revoke", ...k, jti)).code, 0, "revoking twice is fine");
    const refused = await run("verify", ...k, oldToken);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.equal(refused.stderr, "swarm token: unauthorized: revoked: Token was revoked");

    const retireActive = await run("retire", ...k, kid2);
    assert.equal(retireActive.code, 1);
    assert.match(
      retireActive.stderr,
      /^swarm token: keyring_invalid: Cannot retire the active key/,
    );
    assert.equal((await run("retire", ...k, kid1)).code, 0);
    const afterRetire = await run("verify", ...k, oldToken);
    assert.match(afterRetire.stderr, /^swarm token: unauthorized: unknown_key: /);
    assert.equal((await run("verify", ...k, newToken)).code, 0);

    const text = await run("list", ...k);
    assert.match(text.stdout, new RegExp(`${kid1}  retired `));
    assert.match(text.stdout, new RegExp(`${jti}  revoked `));
    assert.match(text.stdout, /\nrevoked:\n {2}\S+ {2}at /);

    const publicFile = join(dir, "public.json");
    const exported = await run("export", ...k, "--out", publicFile);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal((await Deno.stat(publicFile)).mode! & 0o777, 0o600);
    const publicText = await Deno.readTextFile(publicFile);
    assert.ok(!publicText.includes("private_jwk"));
    const pub = ["--keyring", publicFile];
    assert.equal((await run("verify", ...pub, newToken)).code, 0, "the export verifies");
    const noSigning = await run("issue", ...pub, "--subject", "x");
    assert.equal(noSigning.code, 1);
    assert.match(noSigning.stderr, /no active signing key/);
    assert.equal((await run("export", ...k, "--out", keyring)).code, 2, "never over itself");

    const garbage = await run("verify", ...k, "not-a-token");
    assert.equal(garbage.code, 1);
    assert.equal(garbage.stderr.split("\n").length, 1);
    assert.match(garbage.stderr, /^swarm token: unauthorized: malformed: /);

    assert.equal((await readKeyring(keyring)).keys.length, 2);
    const files = [];
    // Editors' lock files (`.NAME.lock`) stay by design; temporary files must not.
    for await (const e of Deno.readDir(dir)) if (!e.name.endsWith(".lock")) files.push(e.name);
    assert.deepEqual(files.sort(), ["keyring.json", "public.json"], "no temporary files left");
  });
});

Deno.test("swarm token: keygen --no-activate, activate, and SWARM_KEYRING", async () => {
  await withTempDir(async (dir) => {
    const keyring = join(dir, "kr.json");
    const previous = Deno.env.get("SWARM_KEYRING");
    Deno.env.set("SWARM_KEYRING", keyring);
    try {
      const kid = (await run("keygen", "--no-activate")).stdout;
      const kr = await readKeyring(keyring);
      assert.match(kr.audience, /^mesh-[0-9a-f]{8}$/);
      assert.equal(kr.activeKid, null);
      const none = await run("issue", "--subject", "x");
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no active signing key/);
      const activated = await run("activate", kid);
      assert.equal(activated.code, 0, activated.stderr);
      assert.equal((await readKeyring(keyring)).activeKid, kid);
      assert.equal((await run("activate", "nope")).code, 1);
      // A start far ahead would push expiry past the lifetime cap nodes enforce.
      const tooLate = await run("issue", "--subject", "x", "--not-before", "2999-01-01T00:00:00Z");
      assert.equal(tooLate.code, 1);
      assert.match(tooLate.stderr, /more than 366d after its issue time/);
      const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
      const issued = await run("issue", "--subject", "x", "--not-before", inAnHour);
      assert.equal(issued.code, 0, issued.stderr);
      const early = await run("verify", issued.stdout);
      assert.match(early.stderr, /^swarm token: unauthorized: not_yet_valid: /);
      const listed = JSON.parse((await run("list", "--json")).stdout);
      assert.equal(listed.tokens[0].state, "not-yet-valid");
    } finally {
      if (previous === undefined) Deno.env.delete("SWARM_KEYRING");
      else Deno.env.set("SWARM_KEYRING", previous);
    }
  });
});
