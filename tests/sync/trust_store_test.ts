import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair } from "../../lib/security/mod.ts";
import {
  addTrustedPublisher,
  readTrustStore,
  removeTrustedPublisher,
  skillNameAllowed,
  trustStorePath,
} from "../../lib/sync/mod.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";

const PATTERNS: Array<[patterns: string[], name: string, allowed: boolean]> = [
  [["*"], "calculator", true],
  [["*"], "", true],
  [["calculator"], "calculator", true],
  [["calculator"], "calculator2", false],
  [["calculator"], "calc", false],
  [["calc*"], "calc", true],
  [["calc*"], "calculator", true],
  [["calc*"], "xcalc", false],
  [["*tor"], "calculator", true],
  [["*tor"], "tornado", false],
  [["c*r"], "calculator", true],
  [["c*r"], "cr", true],
  [["c*r"], "c", false],
  [["a*b*c"], "abc", true],
  [["a*b*c"], "axxbyyc", true],
  [["a*b*c"], "acb", false],
  [["ab*ba"], "aba", false],
  [["ab*ba"], "abba", true],
  [["**"], "x", true],
  [["*a*"], "banana", true],
  [["*z*"], "banana", false],
  // Only `*` is special: regex and other glob characters match themselves.
  [["calc.*"], "calculator", false],
  [["calc.*"], "calc.v2", true],
  [["[a-z]*"], "calc", false],
  [["[a-z]*"], "[a-z]calc", true],
  [["calc?"], "calcs", false],
  [["a+"], "aa", false],
  [["(.*)"], "x", false],
  [["weather", "calc*"], "calculator", true],
  [["weather", "maps"], "calculator", false],
  [[], "calculator", false],
];

for (const [patterns, name, allowed] of PATTERNS) {
  Deno.test(`skillNameAllowed(${JSON.stringify(patterns)}, "${name}") is ${allowed}`, () => {
    assert.equal(skillNameAllowed(patterns, name), allowed);
  });
}

Deno.test("trustStorePath() is <dataDir>/sync/trust.json", () => {
  assert.equal(trustStorePath("/var/lib/swarm/7700"), "/var/lib/swarm/7700/sync/trust.json");
});

Deno.test("readTrustStore() of a missing file is empty", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readTrustStore(join(dir, "sync", "trust.json")), []);
  });
});

Deno.test("addTrustedPublisher(), readTrustStore() and removeTrustedPublisher() edit the store", async () => {
  await withTempDir(async (dir) => {
    const path = trustStorePath(dir);
    const acme = await generateKeyPair();
    const other = await generateKeyPair();
    const now = new Date("2026-12-02T10:00:00.000Z");

    const added = await addTrustedPublisher(path, {
      name: "acme",
      publicJwk: acme.publicJwk,
      skills: ["calc*"],
    }, now);
    assert.deepEqual(added, {
      name: "acme",
      keyId: acme.kid,
      key: acme.publicJwk,
      skills: ["calc*"],
      added: "2026-12-02T10:00:00.000Z",
    });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "sync"))).mode! & 0o777, 0o700);
    const file = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(file, { version: 1, publishers: [added] });

    await addTrustedPublisher(path, { name: "other", publicJwk: other.publicJwk, skills: ["*"] });
    assert.deepEqual((await readTrustStore(path)).map((p) => [p.name, p.keyId]), [
      ["acme", acme.kid],
      ["other", other.kid],
    ]);

    assert.equal(await removeTrustedPublisher(path, "acme"), true);
    assert.equal(await removeTrustedPublisher(path, "acme"), false);
    assert.deepEqual((await readTrustStore(path)).map((p) => p.name), ["other"]);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(await removeTrustedPublisher(join(dir, "none", "trust.json"), "x"), false);
  });
});

Deno.test("addTrustedPublisher() refuses a duplicate name or a key trusted under another name", async () => {
  await withTempDir(async (dir) => {
    const path = trustStorePath(dir);
    const acme = await generateKeyPair();
    const other = await generateKeyPair();
    await addTrustedPublisher(path, { name: "acme", publicJwk: acme.publicJwk, skills: ["*"] });
    const before = await Deno.readTextFile(path);

    const sameName = await rejectsWith(
      addTrustedPublisher(path, { name: "acme", publicJwk: other.publicJwk, skills: ["*"] }),
      "invalid_argument",
    );
    assert.match(sameName.message, /named 'acme' is trusted already/);
    const sameKey = await rejectsWith(
      addTrustedPublisher(path, { name: "acme2", publicJwk: acme.publicJwk, skills: ["x"] }),
      "invalid_argument",
    );
    assert.match(sameKey.message, new RegExp(`Key ${acme.kid} is trusted already as 'acme'`));
    assert.equal(await Deno.readTextFile(path), before, "nothing written");
  });
});

const BAD_ENTRIES: Array<[what: string, entry: Record<string, unknown>]> = [
  ["an empty name", { name: "" }],
  ["a blank name", { name: "  " }],
  ["a name with a newline", { name: "a\nb" }],
  ["a name of 129 characters", { name: "n".repeat(129) }],
  ["no skills", { skills: [] }],
  ["an empty pattern", { skills: [""] }],
  ["a pattern with a space", { skills: ["calc *"] }],
  ["a key that is not Ed25519", { publicJwk: { kty: "EC", crv: "P-256", x: "A".repeat(43) } }],
];

for (const [what, change] of BAD_ENTRIES) {
  Deno.test(`addTrustedPublisher() refuses ${what}`, async () => {
    await withTempDir(async (dir) => {
      const { publicJwk } = await generateKeyPair();
      const entry = { name: "acme", publicJwk, skills: ["*"], ...change };
      await rejectsWith(
        addTrustedPublisher(
          trustStorePath(dir),
          entry as Parameters<typeof addTrustedPublisher>[1],
        ),
        "invalid_argument",
      );
      assert.deepEqual(await readTrustStore(trustStorePath(dir)), []);
    });
  });
}

Deno.test("addTrustedPublisher() loses no edit when many run at once", async () => {
  await withTempDir(async (dir) => {
    const path = trustStorePath(dir);
    const keys = await Promise.all(Array.from({ length: 6 }, () => generateKeyPair()));
    await Promise.all(
      keys.map((k, i) =>
        addTrustedPublisher(path, { name: `p${i}`, publicJwk: k.publicJwk, skills: ["*"] })
      ),
    );
    assert.deepEqual((await readTrustStore(path)).map((p) => p.name).sort(), [
      "p0",
      "p1",
      "p2",
      "p3",
      "p4",
      "p5",
    ]);
  });
});

const GOOD_ENTRY = async () => {
  const { kid, publicJwk } = await generateKeyPair();
  return { name: "acme", keyId: kid, key: publicJwk, skills: ["*"], added: "2026-12-02T10:00:00Z" };
};

const BAD_STORES: Array<[what: string, text: (e: Record<string, unknown>) => string, RegExp]> = [
  ["not JSON", () => "{", /not JSON/],
  ["another version", (e) => JSON.stringify({ version: 2, publishers: [e] }), /not a trust store/],
  ["publishers not a list", () => JSON.stringify({ version: 1, publishers: {} }), /a list/],
  [
    "an unknown entry field",
    (e) => JSON.stringify({ version: 1, publishers: [{ ...e, admin: true }] }),
    /publishers\[0\]: unknown field 'admin'/,
  ],
  [
    "a keyId that is not its key's",
    (e) => JSON.stringify({ version: 1, publishers: [{ ...e, keyId: "forged-id-000000" }] }),
    /keyId 'forged-id-000000' is not its key's id/,
  ],
  [
    "a key that is not Ed25519",
    (e) => JSON.stringify({ version: 1, publishers: [{ ...e, key: { kty: "RSA" } }] }),
    /'key' must be an Ed25519 public JWK/,
  ],
  [
    "a name twice",
    (e) => JSON.stringify({ version: 1, publishers: [e, e] }),
    /publishers\[1\]: 'acme' repeats/,
  ],
  [
    "an added that is not a date",
    (e) => JSON.stringify({ version: 1, publishers: [{ ...e, added: "then" }] }),
    /'added'/,
  ],
];

for (const [what, text, message] of BAD_STORES) {
  Deno.test(`readTrustStore() refuses a store with ${what}, naming the file`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "trust.json");
      await Deno.writeTextFile(path, text(await GOOD_ENTRY()));
      const err = await rejectsWith(readTrustStore(path), "config_invalid");
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.match(err.message, message);
    });
  });
}

Deno.test("readTrustStore() reads a store written by hand, keeping only known fields", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "trust.json");
    const entry = await GOOD_ENTRY();
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        version: 1,
        publishers: [{ ...entry, key: { ...entry.key, kid: "ignored", use: "sig" } }],
      }),
    );
    const [read] = await readTrustStore(path);
    assert.deepEqual(read, entry);
  });
});
