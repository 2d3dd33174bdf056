import assert from "node:assert/strict";
import { join } from "node:path";
import { calculateJwkThumbprint, decodeProtectedHeader } from "jose";
import {
  createKeyring,
  type Keyring,
  KeyringError,
  parseKeyring,
  serializeKeyring,
} from "../../lib/security/keyring.ts";
import {
  readKeyring,
  readKeyringIfExists,
  updateKeyring,
  writeKeyring,
} from "../../lib/security/keyring_file.ts";
import { generateKeyPair, keyId, randomAudience } from "../../lib/security/keyring_keygen.ts";
import {
  activateKey,
  addKey,
  keyState,
  publicView,
  recordToken,
  retireKey,
  REVOCATION_GRACE_MS,
  revokeToken,
} from "../../lib/security/keyring_ops.ts";
import { issueToken } from "../../lib/security/token_issue.ts";
import { createVerifier, verifyToken } from "../../lib/security/token_verify.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const DAY = 86_400_000;

async function sampleKeyring(): Promise<Keyring> {
  let kr = addKey(createKeyring("mesh-0a1b2c3d"), await generateKeyPair(), { now: NOW });
  kr = addKey(kr, await generateKeyPair(), { now: NOW, activate: false });
  const { record } = await issueToken(kr, {
    subject: "ci",
    actions: ["task"],
    capabilities: ["*"],
    skills: ["calculator"],
    ttlMs: DAY,
    now: NOW,
  });
  return revokeToken(recordToken(kr, record), record.jti, NOW);
}

const SAMPLE = await sampleKeyring();
const SAMPLE_DOC = () => JSON.parse(serializeKeyring(SAMPLE));

async function tokenFor(kr: Keyring): Promise<string> {
  const { token } = await issueToken(kr, {
    subject: "ci",
    actions: ["task", "read"],
    capabilities: ["*"],
    skills: ["*"],
    ttlMs: DAY,
    now: NOW,
  });
  return token;
}

async function reason(token: string, kr: Keyring): Promise<string> {
  try {
    await verifyToken(token, await createVerifier(kr), NOW);
    return "accepted";
  } catch (err) {
    return (err as { reason: string }).reason;
  }
}

function kidOf(token: string): string {
  return decodeProtectedHeader(token).kid!;
}

Deno.test("parseKeyring() reads back what serializeKeyring() wrote", () => {
  const text = serializeKeyring(SAMPLE);
  assert.deepEqual(parseKeyring(text), SAMPLE);
  assert.equal(serializeKeyring(parseKeyring(text)), text);
  const doc = JSON.parse(text);
  assert.equal(doc.format, "swarm-keyring/1");
  assert.deepEqual(Object.keys(doc.keys[0]), [
    "kid",
    "created_at",
    "public_jwk",
    "private_jwk",
  ]);
  assert.deepEqual(Object.keys(doc.revoked[0]), ["jti", "revoked_at", "exp"]);
});

// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;

const BROKEN: Array<[name: string, edit: (doc: Doc) => unknown, message: RegExp]> = [
  [
    "an unknown format",
    (d) => ({ ...d, format: "swarm-keyring/2" }),
    /Unsupported keyring format: "swarm-keyring\/2"/,
  ],
  ["no format", ({ format: _, ...d }) => d, /Unsupported keyring format: undefined/],
  ["an array document", () => [], /the document must be a JSON object/],
  ["a missing audience", ({ audience: _, ...d }) => d, /'audience' is missing/],
  [
    "an audience with a space",
    (d) => ({ ...d, audience: "my mesh" }),
    /'audience' must be 1 to 128/,
  ],
  ["an unknown top-level field", (d) => ({ ...d, extra: 1 }), /unknown field 'extra'/],
  ["keys not an array", (d) => ({ ...d, keys: {} }), /'keys' must be an array/],
  ["a key that is not an object", (d) => ({ ...d, keys: [1] }), /'keys\[0\]' must be an object/],
  ["an unknown key field", (d) => {
    d.keys[1].extra = true;
    return d;
  }, /unknown field 'keys\[1\]\.extra'/],
  ["a bad kid", (d) => {
    d.keys[0].kid = "has space";
    return d;
  }, /'keys\[0\]\.kid' must be 1 to 64 base64url/],
  ["a bad created_at", (d) => {
    d.keys[0].created_at = "yesterday";
    return d;
  }, /'keys\[0\]\.created_at' must be an ISO 8601 date/],
  ["a wrong kty", (d) => {
    d.keys[0].public_jwk.kty = "EC";
    return d;
  }, /'keys\[0\]\.public_jwk\.kty' must be "OKP"/],
  ["a wrong curve", (d) => {
    d.keys[1].public_jwk.crv = "X25519";
    return d;
  }, /'keys\[1\]\.public_jwk\.crv' must be "Ed25519": got "X25519"/],
  ["a short public key", (d) => {
    d.keys[0].public_jwk.x = "AAAA";
    return d;
  }, /'keys\[0\]\.public_jwk\.x' must be 32 bytes/],
  ["a private member in the public key", (d) => {
    d.keys[0].public_jwk.d = d.keys[0].private_jwk.d;
    return d;
  }, /unknown field 'keys\[0\]\.public_jwk\.d'/],
  ["a private key without d", (d) => {
    delete d.keys[0].private_jwk.d;
    return d;
  }, /'keys\[0\]\.private_jwk\.d' is missing/],
  ["a private key of another public key", (d) => {
    d.keys[0].private_jwk = d.keys[1].private_jwk;
    return d;
  }, /'keys\[0\]\.private_jwk\.x' does not match/],
  ["a duplicate kid", (d) => {
    d.keys[1].kid = d.keys[0].kid;
    return d;
  }, /'keys\[1\]\.kid' duplicates an earlier entry/],
  [
    "an active kid naming no key",
    (d) => ({ ...d, active_kid: "nope" }),
    /'active_kid' names no key/,
  ],
  ["an active kid naming a retired key", (d) => {
    d.keys[0].retired_at = "2030-01-02T00:00:00.000Z";
    delete d.keys[0].private_jwk;
    return d;
  }, /'active_kid' names a retired key/],
  ["a numeric active kid", (d) => ({ ...d, active_kid: 1 }), /'active_kid' must be a string/],
  ["an unknown action", (d) => {
    d.tokens[0].scope = ["task", "root"];
    return d;
  }, /'tokens\[0\]\.scope\[1\]' must be one of task, read, publish, admin: got root/],
  ["a fractional exp", (d) => {
    d.tokens[0].exp = 1.5;
    return d;
  }, /'tokens\[0\]\.exp' must be a whole number of seconds/],
  ["a missing sub", (d) => {
    delete d.tokens[0].sub;
    return d;
  }, /'tokens\[0\]\.sub' is missing/],
  ["an empty skill", (d) => {
    d.tokens[0].skills = [""];
    return d;
  }, /'tokens\[0\]\.skills\[0\]' must not be empty/],
  ["a duplicate token", (d) => {
    d.tokens.push(d.tokens[0]);
    return d;
  }, /'tokens\[1\]\.jti' duplicates/],
  ["a bad revoked_at", (d) => {
    d.revoked[0].revoked_at = 5;
    return d;
  }, /'revoked\[0\]\.revoked_at' must be a string/],
  ["a revocation with an unknown field", (d) => {
    d.revoked[0].why = "lost";
    return d;
  }, /unknown field 'revoked\[0\]\.why'/],
];

for (const [name, edit, message] of BROKEN) {
  Deno.test(`parseKeyring() refuses ${name}, naming the field`, () => {
    const text = JSON.stringify(edit(SAMPLE_DOC()));
    assert.throws(() => parseKeyring(text), (err: unknown) => {
      assert.ok(err instanceof KeyringError);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("parseKeyring() refuses text that is not JSON", () => {
  assert.throws(() => parseKeyring("{"), /Invalid keyring: not JSON/);
  // A token file given as the keyring: the message must not quote it.
  assert.throws(
    () => parseKeyring("SECRETSECRETSECRET"),
    (err: Error) => !err.message.includes("SECRET"),
  );
});

Deno.test("generateKeyPair() makes Ed25519 keys whose kid is the truncated RFC 7638 thumbprint", async () => {
  const pair = await generateKeyPair();
  assert.equal(pair.publicJwk.crv, "Ed25519");
  assert.equal(pair.privateJwk.x, pair.publicJwk.x);
  const thumbprint = await calculateJwkThumbprint(pair.publicJwk, "sha256");
  assert.equal(pair.kid, thumbprint.slice(0, 16));
  assert.equal(await keyId(pair.publicJwk), pair.kid);
  assert.notEqual((await generateKeyPair()).kid, pair.kid);
  assert.match(randomAudience(), /^mesh-[0-9a-f]{8}$/);
});

Deno.test("rotation: a new key signs new tokens, old tokens verify until the old key retires", async () => {
  const kr1 = addKey(createKeyring("mesh-rot"), await generateKeyPair(), { now: NOW });
  const oldKid = kr1.activeKid!;
  const oldToken = await tokenFor(kr1);
  assert.equal(kidOf(oldToken), oldKid);

  const kr2 = addKey(kr1, await generateKeyPair(), { now: NOW });
  const newKid = kr2.activeKid!;
  assert.notEqual(newKid, oldKid);
  assert.equal(keyState(kr2, oldKid), "verify-only");
  const newToken = await tokenFor(kr2);
  assert.equal(kidOf(newToken), newKid);
  assert.equal(await reason(oldToken, kr2), "accepted");
  assert.equal(await reason(newToken, kr2), "accepted");
  assert.equal(await reason(newToken, kr1), "unknown_key", "nodes with the old keyring");

  const kr3 = retireKey(kr2, oldKid, NOW);
  assert.equal(keyState(kr3, oldKid), "retired");
  assert.equal(kr3.keys.find((k) => k.kid === oldKid)?.privateJwk, undefined);
  assert.equal(await reason(oldToken, kr3), "unknown_key");
  assert.equal(await reason(newToken, kr3), "accepted");
  assert.equal(retireKey(kr3, oldKid, NOW + DAY), kr3, "retiring twice changes nothing");
});

Deno.test("addKey() with activate false keeps the active key", async () => {
  const kr = addKey(createKeyring("mesh-1"), await generateKeyPair());
  const pair = await generateKeyPair();
  const next = addKey(kr, pair, { activate: false });
  assert.equal(next.activeKid, kr.activeKid);
  assert.equal(keyState(next, pair.kid), "verify-only");
  assert.equal(kr.keys.length, 1, "the input is unchanged");
  assert.throws(() => addKey(next, pair), /Key '.*' is already in the keyring/);
  assert.equal(activateKey(next, pair.kid).activeKid, pair.kid);
});

Deno.test("retireKey() refuses the active key until another is activated", () => {
  const active = SAMPLE.activeKid!;
  const other = SAMPLE.keys.find((k) => k.kid !== active)!.kid;
  assert.throws(
    () => retireKey(SAMPLE, active),
    (err: unknown) =>
      err instanceof KeyringError &&
      /Cannot retire the active key '.*': activate another key first/.test(err.message),
  );
  const swapped = activateKey(SAMPLE, other);
  assert.equal(keyState(retireKey(swapped, active), active), "retired");
  assert.throws(() => retireKey(SAMPLE, "nope"), /No key 'nope'/);
});

Deno.test("activateKey() refuses unknown, retired and verify-only keys", () => {
  const active = SAMPLE.activeKid!;
  const other = SAMPLE.keys.find((k) => k.kid !== active)!.kid;
  assert.throws(() => activateKey(SAMPLE, "nope"), /No key 'nope'/);
  const retired = retireKey(SAMPLE, other);
  assert.throws(() => activateKey(retired, other), /is retired/);
  assert.throws(() => activateKey(publicView(SAMPLE), other), /has no private key/);
});

Deno.test("revokeToken() is idempotent and records the expiry when the token is known", async () => {
  const kr = addKey(createKeyring("mesh-1"), await generateKeyPair());
  const { record, token } = await issueToken(kr, {
    subject: "s",
    actions: ["read"],
    capabilities: [],
    skills: [],
    ttlMs: DAY,
    now: NOW,
  });
  const recorded = recordToken(kr, record);
  assert.throws(() => recordToken(recorded, record), /already recorded/);
  const once = revokeToken(recorded, record.jti, NOW);
  assert.deepEqual(once.revoked, [{
    jti: record.jti,
    revokedAt: new Date(NOW).toISOString(),
    exp: record.exp,
  }]);
  assert.deepEqual(revokeToken(once, record.jti, NOW + 1000), once);
  assert.equal(await reason(token, once), "revoked");
  const unknown = revokeToken(once, "issued-elsewhere", NOW);
  assert.deepEqual(unknown.revoked[1], {
    jti: "issued-elsewhere",
    revokedAt: new Date(NOW).toISOString(),
  });
  assert.throws(() => revokeToken(once, ""), /empty token id/);
});

Deno.test("revokeToken() prunes revocations whose token expired more than a day ago", async () => {
  const kr = addKey(createKeyring("mesh-1"), await generateKeyPair());
  const issued = await issueToken(kr, {
    subject: "s",
    actions: ["read"],
    capabilities: [],
    skills: [],
    ttlMs: 60_000,
    now: NOW,
  });
  const revoked = revokeToken(recordToken(kr, issued.record), issued.record.jti, NOW);
  const expMs = issued.record.exp * 1000;
  const kept = revokeToken(revoked, "other", expMs + REVOCATION_GRACE_MS);
  assert.deepEqual(kept.revoked.map((r) => r.jti), [issued.record.jti, "other"]);
  const pruned = revokeToken(revoked, "other", expMs + REVOCATION_GRACE_MS + 1000);
  assert.deepEqual(pruned.revoked.map((r) => r.jti), ["other"], "the one without exp stays");
});

Deno.test("publicView() has no private parts and still verifies tokens", async () => {
  const view = publicView(SAMPLE);
  const text = serializeKeyring(view);
  assert.ok(!text.includes("private_jwk"));
  assert.ok(!text.includes('"d"'));
  for (const key of SAMPLE.keys) assert.ok(!text.includes(key.privateJwk!.d));
  assert.ok(SAMPLE.keys.every((k) => k.privateJwk !== undefined), "the input is unchanged");
  assert.deepEqual(parseKeyring(text), view);
  const token = await tokenFor(SAMPLE);
  assert.equal(await reason(token, view), "accepted");
  await assert.rejects(tokenFor(view), /no active signing key/);
});

Deno.test("createKeyring() refuses a bad audience", () => {
  assert.throws(() => createKeyring(""), KeyringError);
  assert.throws(() => createKeyring("a b"), KeyringError);
  assert.throws(() => createKeyring("x".repeat(129)), KeyringError);
});

Deno.test("writeKeyring() writes mode 0600 atomically and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "keyring.json");
    await writeKeyring(path, SAMPLE);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await entries(dir), ["keyring.json"]);
    assert.deepEqual(await readKeyring(path), SAMPLE);
    // An existing file with looser permissions is replaced, not rewritten in place.
    await Deno.chmod(path, 0o644);
    const before = (await Deno.stat(path)).ino;
    await writeKeyring(path, publicView(SAMPLE));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.notEqual((await Deno.stat(path)).ino, before, "renamed over, not rewritten");
    assert.deepEqual(await entries(dir), ["keyring.json"]);
  });
});

Deno.test("writeKeyring() removes its temporary file when the rename fails", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "busy");
    await Deno.mkdir(join(target, "child"), { recursive: true });
    await assert.rejects(writeKeyring(target, SAMPLE), Deno.errors.IsADirectory);
    assert.deepEqual(await entries(dir), ["busy"]);
  });
});

Deno.test("updateKeyring() creates, edits and rejects edits without writing", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "kr.json");
    assert.equal(await readKeyringIfExists(path), null);
    await assert.rejects(readKeyring(path), /No keyring at/);
    const created = await updateKeyring(path, (kr) => {
      assert.equal(kr, null);
      return createKeyring("mesh-new");
    });
    assert.deepEqual(await readKeyring(path), created);
    const text = await Deno.readTextFile(path);
    await assert.rejects(
      updateKeyring(path, () => {
        throw new KeyringError("no");
      }),
      /no/,
    );
    assert.equal(await Deno.readTextFile(path), text, "a failed edit writes nothing");
    await Deno.writeTextFile(path, '{"format":"swarm-keyring/1"}');
    await assert.rejects(readKeyring(path), (err: Error) => {
      assert.ok(err instanceof KeyringError);
      assert.ok(err.message.startsWith(`${path}: Invalid keyring: 'audience'`), err.message);
      return true;
    });
  });
});

Deno.test("updateKeyring() serializes concurrent editors: no edit is lost", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/keyring.json`;
    await writeKeyring(path, createKeyring("mesh-0a1b2c3d"));
    // Twenty editors at once, each slow between its read and its write.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateKeyring(path, async (current) => {
          await new Promise((r) => setTimeout(r, 5));
          return revokeToken(current!, `jti-${i}`);
        })),
    );
    const final = await readKeyring(path);
    assert.equal(final.revoked.length, 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeKeyring() and updateKeyring() through a symlink replace the target and keep the link", async () => {
  const dir = await Deno.makeTempDir({ prefix: "swarm-kr-link-" });
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/keyring.json`, "old");
    await Deno.symlink("real/keyring.json", `${dir}/link.json`);
    await Deno.symlink("link.json", `${dir}/link2.json`); // Two hops.
    await writeKeyring(`${dir}/link2.json`, SAMPLE);
    assert.ok((await Deno.lstat(`${dir}/link.json`)).isSymlink);
    assert.ok((await Deno.lstat(`${dir}/link2.json`)).isSymlink);
    assert.deepEqual(await readKeyring(`${dir}/real/keyring.json`), SAMPLE);
    assert.equal((await Deno.stat(`${dir}/real/keyring.json`)).mode! & 0o777, 0o600);
    await updateKeyring(`${dir}/link.json`, (kr) => revokeToken(kr!, "jti-1"));
    assert.ok((await Deno.lstat(`${dir}/link.json`)).isSymlink);
    assert.equal(
      (await readKeyring(`${dir}/real/keyring.json`)).revoked.length,
      SAMPLE.revoked.length + 1,
    );
    // The lock sits beside the real file, so editors through different links meet.
    assert.deepEqual(await entries(`${dir}/real`), [".keyring.json.lock", "keyring.json"]);
    await Deno.symlink("loop-b", `${dir}/loop-a`);
    await Deno.symlink("loop-a", `${dir}/loop-b`);
    await assert.rejects(writeKeyring(`${dir}/loop-a`, SAMPLE), /more than 16 symlinks/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
