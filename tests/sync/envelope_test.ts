import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { generateKeyPair } from "../../lib/security/mod.ts";
import {
  DEFAULT_MAX_ENVELOPE_BYTES,
  type Envelope,
  openEnvelope,
  PAYLOAD_TYPE,
  preAuthEncoding,
  releaseDigest,
  signRelease,
  SKILL_RELEASE_PREDICATE,
  type SkillRelease,
  skillReleaseProblem,
  STATEMENT_TYPE,
  type SyncRefusal,
  type TrustedPublisher,
} from "../../lib/sync/mod.ts";
import { refusal } from "./_release_fixture.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const hex = (c: string) => c.repeat(64);

/** A publisher's key pair in the forms the tests need. */
interface TestKey {
  keyId: string;
  privateKey: CryptoKey;
  trusted: (skills?: string[], name?: string) => TrustedPublisher;
}

async function testKey(): Promise<TestKey> {
  const pair = await generateKeyPair();
  const privateKey = await crypto.subtle.importKey("jwk", pair.privateJwk, "Ed25519", false, [
    "sign",
  ]);
  return {
    keyId: pair.kid,
    privateKey,
    trusted: (skills = ["*"], name = `pub-${pair.kid}`) => ({
      name,
      keyId: pair.kid,
      key: pair.publicJwk,
      skills,
      added: "2026-12-01T00:00:00.000Z",
    }),
  };
}

const alice = await testKey();
const bob = await testKey();
const mallory = await testKey();

function release(publisher = alice.keyId): SkillRelease {
  return {
    name: "calculator",
    version: "1.2.0",
    fingerprint: hex("f"),
    files: [
      { path: "SKILL.md", size: 120, sha256: hex("a") },
      { path: "scripts/main.py", size: 2048, sha256: hex("b") },
    ],
    publisher,
    created: "2026-12-02T10:00:00.000Z",
    previous: null,
  };
}

/** The subjects of `r`: its files by SHA-256. */
const subjects = (r: SkillRelease) =>
  r.files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } }));

function statement(predicate: unknown, subject?: unknown): Record<string, unknown> {
  const files = (predicate as SkillRelease).files;
  return {
    _type: STATEMENT_TYPE,
    subject: subject ?? (Array.isArray(files) ? subjects(predicate as SkillRelease) : []),
    predicateType: SKILL_RELEASE_PREDICATE,
    predicate,
  };
}

/** Signs any payload as DSSE does, bypassing signRelease's own checks. */
async function signPayload(
  payload: Uint8Array<ArrayBuffer> | unknown,
  key: TestKey = alice,
  payloadType = PAYLOAD_TYPE,
): Promise<Envelope> {
  const bytes = payload instanceof Uint8Array ? payload : encoder.encode(JSON.stringify(payload));
  const sig = await crypto.subtle.sign(
    "Ed25519",
    key.privateKey,
    preAuthEncoding(payloadType, bytes),
  );
  return {
    payloadType,
    payload: bytes.toBase64(),
    signatures: [{ keyid: key.keyId, sig: new Uint8Array(sig).toBase64() }],
  };
}

function decodedStatement(envelope: Envelope): Record<string, unknown> {
  return JSON.parse(decoder.decode(Uint8Array.fromBase64(envelope.payload)));
}

Deno.test("preAuthEncoding() matches DSSE's known answer", () => {
  const pae = preAuthEncoding("http://example.com/HelloWorld", encoder.encode("hello world"));
  assert.equal(decoder.decode(pae), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  assert.equal(decoder.decode(preAuthEncoding("", new Uint8Array())), "DSSEv1 0  0 ");
  // Lengths count bytes, not characters.
  assert.equal(decoder.decode(preAuthEncoding("t", encoder.encode("é"))), "DSSEv1 1 t 2 é");
});

Deno.test("signRelease() and openEnvelope() round-trip a release", async () => {
  const envelope = await signRelease(release(), alice);
  assert.equal(envelope.payloadType, PAYLOAD_TYPE);
  assert.deepEqual(envelope.signatures.map((s) => s.keyid), [alice.keyId]);
  assert.deepEqual(decodedStatement(envelope), statement(release()));

  const trust = [bob.trusted(), alice.trusted(["calc*"], "alice")];
  const verified = await openEnvelope(structuredClone(envelope), trust);
  assert.deepEqual(verified.release, release());
  assert.deepEqual(verified.envelope, envelope);
  assert.equal(verified.publisherName, "alice");
  assert.equal(verified.digest, await releaseDigest(envelope));
});

Deno.test("releaseDigest() is the SHA-256 of the payload bytes and stable across signings", async () => {
  const first = await signRelease(release(), alice);
  const again = await signRelease(structuredClone(release()), alice);
  const expected = createHash("sha256").update(Uint8Array.fromBase64(first.payload)).digest(
    "hex",
  );
  assert.equal(await releaseDigest(first), expected);
  assert.equal(await releaseDigest(again), expected);
  // Signatures are not part of the identity.
  const extraSig = { ...first, signatures: [...first.signatures, { keyid: "x", sig: "AAAA" }] };
  assert.equal(await releaseDigest(extraSig), expected);
  const other = await signRelease({ ...release(), version: "1.2.1" }, alice);
  assert.notEqual(await releaseDigest(other), expected);
  assert.equal((await refusal(releaseDigest({ ...first, payload: "%%" }))).reason, "malformed");
});

Deno.test("signRelease() refuses a release whose publisher is not the signing key", async () => {
  await assert.rejects(
    signRelease(release(bob.keyId), alice),
    (err: unknown) => err instanceof TypeError && /is not the signing key/.test(err.message),
  );
  await assert.rejects(signRelease({ ...release(), name: "../etc" }, alice), TypeError);
});

Deno.test("openEnvelope() returns a new envelope of the known fields only", async () => {
  const envelope = await signRelease(release(), alice);
  const verified = await openEnvelope(envelope, [alice.trusted()]);
  assert.notEqual(verified.envelope, envelope);
  assert.notEqual(verified.envelope.signatures[0], envelope.signatures[0]);
  assert.deepEqual(Object.keys(verified.envelope), ["payloadType", "payload", "signatures"]);
  assert.deepEqual(Object.keys(verified.envelope.signatures[0]), ["keyid", "sig"]);
});

/** One refused envelope: how it is made, the trust store, the expected reason. */
interface Refused {
  what: string;
  envelope: () => Promise<unknown> | unknown;
  trust?: () => TrustedPublisher[];
  limits?: { maxEnvelopeBytes?: number };
  reason: SyncRefusal;
  message?: RegExp;
}

const signed = () => signRelease(release(), alice);
/** The signed release with `change` applied to its predicate, signed again by alice. */
const resigned = (change: (r: Record<string, unknown>) => void) => {
  const r = release() as unknown as Record<string, unknown>;
  change(r);
  return signPayload(statement(r));
};
const withEnvelope = (change: (e: Record<string, unknown>) => void) => async () => {
  const e = await signed() as unknown as Record<string, unknown>;
  change(e);
  return e;
};
const flipped = (text: string) => {
  const bytes = Uint8Array.fromBase64(text);
  bytes[0] ^= 1;
  return bytes.toBase64();
};
const manyFiles = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    path: `f${String(i).padStart(5, "0")}`,
    size: 1,
    sha256: hex("c"),
  }));

const REFUSED: Refused[] = [
  // malformed: the envelope's shape
  { what: "null", envelope: () => null, reason: "malformed" },
  { what: "a list", envelope: () => [], reason: "malformed" },
  { what: "a string", envelope: () => "envelope", reason: "malformed" },
  {
    what: "an unknown envelope field",
    envelope: withEnvelope((e) => e.extra = 1),
    reason: "malformed",
    message: /unknown field 'extra'/,
  },
  {
    what: "a missing payload",
    envelope: withEnvelope((e) => delete e.payload),
    reason: "malformed",
  },
  {
    what: "signatures not a list",
    envelope: withEnvelope((e) => e.signatures = {}),
    reason: "malformed",
  },
  {
    what: "a signature with an extra field",
    envelope: withEnvelope((e) => (e.signatures as Record<string, unknown>[])[0].x = 1),
    reason: "malformed",
  },
  {
    what: "a signature without keyid",
    envelope: withEnvelope((e) => delete (e.signatures as Record<string, unknown>[])[0].keyid),
    reason: "malformed",
  },
  {
    what: "more than 8 signatures",
    envelope: withEnvelope((e) => {
      const sig = (e.signatures as { sig: string }[])[0].sig;
      e.signatures = Array.from({ length: 9 }, (_, i) => ({ keyid: `k${i}`, sig }));
    }),
    reason: "malformed",
    message: /9 signatures, more than 8/,
  },
  {
    what: "two signatures with one key id",
    envelope: withEnvelope((e) => {
      const [sig] = e.signatures as unknown[];
      e.signatures = [sig, sig];
    }),
    reason: "malformed",
  },
  {
    what: "an envelope over maxEnvelopeBytes",
    envelope: signed,
    limits: { maxEnvelopeBytes: 200 },
    reason: "malformed",
    message: /bytes, more than 200$/,
  },
  {
    what: "an envelope over the default 1 MiB",
    envelope: withEnvelope((e) => e.payload = "A".repeat(DEFAULT_MAX_ENVELOPE_BYTES)),
    reason: "malformed",
    message: /more than 1048576$/,
  },
  // malformed: payload type and encoding
  {
    what: "a wrong payloadType",
    envelope: () => signPayload(statement(release()), alice, "application/json"),
    reason: "malformed",
    message: /payload type/,
  },
  {
    what: "a payload that is not base64",
    envelope: withEnvelope((e) => e.payload = "not base64!"),
    reason: "malformed",
  },
  {
    what: "a payload in base64url",
    envelope: () =>
      signPayload(encoder.encode('{"a":"~~~~"}')).then((e) => ({
        ...e,
        payload: e.payload.replaceAll("+", "-").replaceAll("/", "_"),
      })),
    reason: "malformed",
  },
  {
    what: "a payload in non-canonical base64",
    envelope: withEnvelope((e) => e.payload = "AB=="),
    reason: "malformed",
  },
  {
    what: "a signature that is not base64",
    envelope: withEnvelope((e) => (e.signatures as { sig: string }[])[0].sig = "***"),
    reason: "malformed",
  },
  // malformed: the statement
  {
    what: "a payload that is not JSON",
    envelope: () => signPayload(encoder.encode("hello")),
    reason: "malformed",
  },
  {
    what: "a payload that is not UTF-8",
    envelope: () => signPayload(new Uint8Array([0x22, 0xff, 0x22])),
    reason: "malformed",
  },
  {
    what: "another statement _type",
    envelope: () =>
      signPayload({ ...statement(release()), _type: "https://in-toto.io/Statement/v0.1" }),
    reason: "malformed",
  },
  {
    what: "another predicateType",
    envelope: () => signPayload({ ...statement(release()), predicateType: "https://slsa.dev/x" }),
    reason: "malformed",
    message: /predicateType/,
  },
  {
    what: "an unknown statement field",
    envelope: () => signPayload({ ...statement(release()), extra: true }),
    reason: "malformed",
  },
  {
    what: "a subject missing",
    envelope: () => signPayload(statement(release(), subjects(release()).slice(1))),
    reason: "malformed",
    message: /subjects are not the release's files/,
  },
  {
    what: "a subject with another digest",
    envelope: () =>
      signPayload(
        statement(release(), [
          { name: "SKILL.md", digest: { sha256: hex("a") } },
          { name: "scripts/main.py", digest: { sha256: hex("d") } },
        ]),
      ),
    reason: "malformed",
    message: /subject\[1\]/,
  },
  {
    what: "subjects out of the files' order",
    envelope: () => signPayload(statement(release(), subjects(release()).reverse())),
    reason: "malformed",
  },
  {
    what: "a subject with a second digest",
    envelope: () =>
      signPayload(
        statement(release(), [
          { name: "SKILL.md", digest: { sha256: hex("a"), sha512: hex("a") } },
          { name: "scripts/main.py", digest: { sha256: hex("b") } },
        ]),
      ),
    reason: "malformed",
  },
  // malformed: the predicate
  ...([
    ["a name with '/'", (r) => r.name = "a/b"],
    ["a name with '\\'", (r) => r.name = "a\\b"],
    ["a name starting with '.'", (r) => r.name = ".hidden"],
    ["an empty name", (r) => r.name = ""],
    ["a name of 129 characters", (r) => r.name = "n".repeat(129)],
    ["a version of 65 characters", (r) => r.version = "1".repeat(65)],
    ["a numeric version", (r) => r.version = 1],
    ["an uppercase fingerprint", (r) => r.fingerprint = hex("F")],
    ["a short fingerprint", (r) => r.fingerprint = "abc"],
    ["files not a list", (r) => r.files = {}],
    ["4097 files", (r) => r.files = manyFiles(4097)],
    ["files out of order", (r) => r.files = [...(r.files as unknown[])].reverse()],
    ["a path twice", (r) => r.files = [(r.files as unknown[])[0], (r.files as unknown[])[0]]],
    ["a path climbing out", (r) => (r.files as { path: string }[])[1].path = "../x"],
    ["an absolute path", (r) => (r.files as { path: string }[])[1].path = "/etc/passwd"],
    ["a path of 513 characters", (r) => (r.files as { path: string }[])[1].path = "p".repeat(513)],
    ["a negative size", (r) => (r.files as { size: number }[])[0].size = -1],
    ["a fractional size", (r) => (r.files as { size: number }[])[0].size = 1.5],
    ["an unsafe size", (r) => (r.files as { size: number }[])[0].size = 2 ** 53],
    ["a bad file sha256", (r) => (r.files as { sha256: string }[])[0].sha256 = "x"],
    ["an unknown file field", (r) => (r.files as Record<string, unknown>[])[0].mode = 0o755],
    ["a publisher of 65 characters", (r) => r.publisher = "p".repeat(65)],
    ["no publisher", (r) => delete r.publisher],
    ["a created that is not a date", (r) => r.created = "yesterday"],
    ["a created with an offset", (r) => r.created = "2026-12-02T10:00:00+02:00"],
    ["a previous that is not a SHA-256", (r) => r.previous = "abc"],
    ["an unknown release field", (r) => r.signedBy = "me"],
  ] as Array<[string, (r: Record<string, unknown>) => void]>).map(([what, change]): Refused => ({
    what,
    envelope: () => resigned(change),
    // Large enough for 4097 files: the predicate's own bound is what is tested.
    limits: { maxEnvelopeBytes: 8 * DEFAULT_MAX_ENVELOPE_BYTES },
    reason: "malformed",
    message: /The release is invalid/,
  })),
  // unsigned
  {
    what: "no signature",
    envelope: withEnvelope((e) => e.signatures = []),
    reason: "unsigned",
  },
  {
    what: "no signature and a bad payload (malformed comes first)",
    envelope: withEnvelope((e) => {
      e.signatures = [];
      e.payload = "%";
    }),
    reason: "malformed",
  },
  // untrusted_publisher
  {
    what: "a signature by an untrusted key",
    envelope: () => signPayload(statement(release(mallory.keyId)), mallory),
    reason: "untrusted_publisher",
  },
  {
    what: "an untrusted key claiming a trusted publisher's id",
    envelope: () =>
      signPayload(statement(release())).then(async (e) => ({
        ...e,
        signatures: (await signPayload(statement(release()), mallory)).signatures,
      })),
    reason: "untrusted_publisher",
  },
  {
    what: "a release naming another publisher than its trusted signer",
    envelope: () => signPayload(statement(release(bob.keyId)), alice),
    trust: () => [alice.trusted(), bob.trusted()],
    reason: "untrusted_publisher",
    message: /names publisher/,
  },
  {
    what: "an empty trust store",
    envelope: signed,
    trust: () => [],
    reason: "untrusted_publisher",
  },
  {
    what: "an untrusted signer and a bad signature (untrusted comes first)",
    envelope: withEnvelope((e) => {
      const sigs = e.signatures as { keyid: string; sig: string }[];
      sigs[0].sig = flipped(sigs[0].sig);
    }),
    trust: () => [bob.trusted()],
    reason: "untrusted_publisher",
  },
  // bad_signature
  {
    what: "a tampered payload",
    envelope: async () => {
      const good = await signed();
      const tampered = await signRelease({ ...release(), version: "9.9.9" }, alice);
      return { ...good, payload: tampered.payload };
    },
    reason: "bad_signature",
  },
  {
    what: "a tampered signature",
    envelope: withEnvelope((e) => {
      const sigs = e.signatures as { sig: string }[];
      sigs[0].sig = flipped(sigs[0].sig);
    }),
    reason: "bad_signature",
  },
  {
    what: "a truncated signature",
    envelope: withEnvelope((e) => (e.signatures as { sig: string }[])[0].sig = "AAAA"),
    reason: "bad_signature",
  },
  {
    what: "a signature over another payload type",
    envelope: async () => ({
      ...(await signed()),
      signatures: (await signPayload(statement(release()), alice, "text/plain")).signatures,
    }),
    reason: "bad_signature",
  },
  {
    what: "a bad signature by a publisher not allowed the name (bad_signature comes first)",
    envelope: withEnvelope((e) => {
      const sigs = e.signatures as { sig: string }[];
      sigs[0].sig = flipped(sigs[0].sig);
    }),
    trust: () => [alice.trusted(["weather"])],
    reason: "bad_signature",
  },
  // publisher_not_allowed
  {
    what: "a trusted key for another skill name",
    envelope: signed,
    trust: () => [alice.trusted(["weather", "calc"])],
    reason: "publisher_not_allowed",
    message: /may not publish skill 'calculator'/,
  },
];

for (const c of REFUSED) {
  Deno.test(`openEnvelope() refuses ${c.what}: ${c.reason}`, async () => {
    const envelope = await c.envelope();
    const trust = c.trust?.() ?? [alice.trusted(), bob.trusted()];
    const err = await refusal(openEnvelope(envelope, trust, c.limits));
    assert.equal(err.reason, c.reason, err.message);
    if (c.message) assert.match(err.message, c.message);
  });
}

Deno.test("openEnvelope() accepts a release signed by several keys, one of them trusted", async () => {
  const bySelf = await signRelease(release(), alice);
  const byMallory = await signPayload(statement(release()), mallory);
  const envelope = { ...bySelf, signatures: [...byMallory.signatures, ...bySelf.signatures] };
  const verified = await openEnvelope(envelope, [alice.trusted(["calculator"], "alice")]);
  assert.equal(verified.publisherName, "alice");
  assert.equal(verified.envelope.signatures.length, 2);
});

Deno.test("openEnvelope() accepts a release that is not SemVer: the conflict rules flag it", async () => {
  const envelope = await signRelease({ ...release(), version: "v2" }, alice);
  assert.equal((await openEnvelope(envelope, [alice.trusted()])).release.version, "v2");
});

Deno.test("skillReleaseProblem() accepts the bounds themselves", () => {
  const atBounds: SkillRelease = {
    ...release(),
    name: "n".repeat(128),
    version: "1".repeat(64),
    files: manyFiles(4096),
    publisher: "p".repeat(64),
    previous: hex("0"),
    created: "2026-12-02T10:00:00Z",
  };
  assert.equal(skillReleaseProblem(atBounds), undefined);
  assert.equal(skillReleaseProblem({ ...release(), files: [] }), undefined);
});
