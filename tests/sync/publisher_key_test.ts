import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPair, keyId } from "../../lib/security/mod.ts";
import {
  generatePublisherKey,
  isEd25519PublicJwk,
  readPublicKey,
  readPublisherKey,
} from "../../lib/sync/mod.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(path));

Deno.test("generatePublisherKey() writes the private key 0600 and the public key 0644", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    const key = await generatePublisherKey(out);
    assert.deepEqual(key, { keyId: key.keyId, privateFile: out, publicFile: `${out}.pub` });
    assert.match(key.keyId, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(await mode(out), 0o600);
    assert.equal(await mode(`${out}.pub`), 0o644);

    const priv = await readJson(out);
    assert.deepEqual(Object.keys(priv).sort(), ["crv", "d", "kid", "kty", "x"]);
    const pub = await readJson(`${out}.pub`);
    assert.deepEqual(pub, { kty: "OKP", crv: "Ed25519", x: priv.x, kid: key.keyId });
    assert.equal(await keyId({ kty: "OKP", crv: "Ed25519", x: pub.x }), key.keyId);
    assert.deepEqual(await entries(dir), ["acme.key", "acme.key.pub"], "no temporary files");
  });
});

Deno.test("generatePublisherKey() refuses to overwrite either file unless forced", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    const first = await generatePublisherKey(out);
    const before = await Deno.readTextFile(out);
    await assert.rejects(generatePublisherKey(out), Deno.errors.AlreadyExists);
    assert.equal(await Deno.readTextFile(out), before, "the private key is kept");

    // Only the public file in the way: nothing is written, no private key left alone.
    const lone = join(dir, "lone.key");
    await Deno.writeTextFile(`${lone}.pub`, "keep me");
    await assert.rejects(generatePublisherKey(lone), Deno.errors.AlreadyExists);
    assert.equal(await Deno.readTextFile(`${lone}.pub`), "keep me");
    assert.ok(!(await entries(dir)).includes("lone.key"));

    const second = await generatePublisherKey(out, { force: true });
    assert.notEqual(second.keyId, first.keyId);
    assert.equal((await readPublicKey(`${out}.pub`)).keyId, second.keyId);
  });
});

Deno.test("readPublisherKey() reads a key that signs, and readPublicKey() the same id", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    const { keyId: id } = await generatePublisherKey(out);
    const key = await readPublisherKey(out);
    assert.equal(key.keyId, id);
    assert.deepEqual(Object.keys(key.publicJwk).sort(), ["crv", "kty", "x"]);
    const data = new TextEncoder().encode("release");
    const sig = await crypto.subtle.sign("Ed25519", key.privateKey, data);
    const pub = await crypto.subtle.importKey("jwk", key.publicJwk, "Ed25519", false, ["verify"]);
    assert.ok(await crypto.subtle.verify("Ed25519", pub, sig, data));

    for (const file of [`${out}.pub`, out]) {
      const read = await readPublicKey(file);
      assert.equal(read.keyId, id);
      assert.deepEqual(read.publicJwk, key.publicJwk, `${file}: never keeps d`);
    }
  });
});

Deno.test("readPublicKey() and readPublisherKey() accept a file without kid", async () => {
  await withTempDir(async (dir) => {
    const pair = await generateKeyPair();
    const file = join(dir, "k.json");
    await Deno.writeTextFile(file, JSON.stringify(pair.privateJwk));
    assert.equal((await readPublisherKey(file)).keyId, pair.kid);
    assert.equal((await readPublicKey(file)).keyId, pair.kid);
  });
});

/** Key files refused by both readers: content → message. */
const BAD_FILES: Array<[what: string, content: string | null, message: RegExp]> = [
  ["a missing file", null, /^No publisher key at /],
  ["not JSON", "not json", /not JSON/],
  ["a JSON list", "[]", /not a JSON object/],
  ["an EC key", JSON.stringify({ kty: "EC", crv: "P-256", x: "A".repeat(43) }), /not an Ed25519/],
  ["a short x", JSON.stringify({ kty: "OKP", crv: "Ed25519", x: "AAAA" }), /not an Ed25519/],
];

for (const [what, content, message] of BAD_FILES) {
  Deno.test(`readPublisherKey() and readPublicKey() refuse ${what}`, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "k.json");
      if (content !== null) await Deno.writeTextFile(file, content);
      for (const read of [readPublisherKey, readPublicKey]) {
        const err = await rejectsWith(read(file), "invalid_argument");
        assert.match(err.message, message);
        assert.ok(err.message.includes(file), "names the file");
      }
    });
  });
}

Deno.test("readPublisherKey() and readPublicKey() refuse a kid that is not the key's", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    await generatePublisherKey(out);
    for (const file of [out, `${out}.pub`]) {
      const jwk = await readJson(file);
      await Deno.writeTextFile(file, JSON.stringify({ ...jwk, kid: "someone-else0000" }));
    }
    for (const [read, file] of [[readPublisherKey, out], [readPublicKey, `${out}.pub`]] as const) {
      const err = await rejectsWith(read(file), "invalid_argument");
      assert.match(err.message, /its kid "someone-else0000" is not the key's id/);
    }
  });
});

Deno.test("readPublisherKey() refuses a public-only file and mismatched halves", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "acme.key");
    await generatePublisherKey(out);
    const publicOnly = await rejectsWith(readPublisherKey(`${out}.pub`), "invalid_argument");
    assert.match(publicOnly.message, /holds only a public key: pass the private key file/);

    const other = await generateKeyPair();
    const mixed = { ...(await readJson(out)), d: other.privateJwk.d, kid: undefined };
    await Deno.writeTextFile(out, JSON.stringify(mixed));
    const err = await rejectsWith(readPublisherKey(out), "invalid_argument");
    assert.match(err.message, /does not belong to its public key/);

    await Deno.writeTextFile(out, JSON.stringify({ ...mixed, d: "short" }));
    assert.match((await rejectsWith(readPublisherKey(out), "invalid_argument")).message, /'d'/);
  });
});

const JWKS: Array<[unknown, boolean]> = [
  [{ kty: "OKP", crv: "Ed25519", x: "A".repeat(43) }, true],
  [{ kty: "OKP", crv: "Ed25519", x: "A".repeat(43), kid: "k", d: "x" }, true],
  [{ kty: "OKP", crv: "X25519", x: "A".repeat(43) }, false],
  [{ kty: "OKP", crv: "Ed25519", x: "A".repeat(42) + "=" }, false],
  [{ kty: "OKP", crv: "Ed25519" }, false],
  [null, false],
  ["OKP", false],
];

for (const [value, expected] of JWKS) {
  Deno.test(`isEd25519PublicJwk(${JSON.stringify(value)}) is ${expected}`, () => {
    assert.equal(isEd25519PublicJwk(value), expected);
  });
}
