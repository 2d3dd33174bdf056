/**
 * The signed form of a skill release: a DSSE v1 envelope
 * (https://github.com/secure-systems-lab/dsse) of payload type
 * `application/vnd.in-toto+json` whose payload is an in-toto Statement v1
 * (https://github.com/in-toto/attestation):
 *
 * ```json
 * { "_type": "https://in-toto.io/Statement/v1",
 *   "subject": [{ "name": "SKILL.md", "digest": { "sha256": "…" } }, …],
 *   "predicateType": "https://swarm.dev/skill-release/v1",
 *   "predicate": { "name": "calculator", "version": "1.0.0", "fingerprint": "…",
 *                  "files": [{ "path": "SKILL.md", "size": 512, "sha256": "…" }, …],
 *                  "publisher": "KEY-ID", "created": "…", "previous": null } }
 * ```
 *
 * The subjects are the release's files (path and SHA-256), so in-toto tools see what the
 * statement covers; the predicate is the {@link SkillRelease}. The signature is Ed25519
 * over DSSE's pre-authentication encoding (PAE), which binds the payload type.
 *
 * @module
 */
import { compareUtf8 } from "../skills/mod.ts";
import { SHA256_HEX } from "./_store_fs.ts";
import { releasePathProblem } from "./release_path.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import { skillNameAllowed } from "./trust_store.ts";
import type {
  Envelope,
  EnvelopeSignature,
  SkillRelease,
  TrustedPublisher,
  VerifiedRelease,
} from "./types.ts";

/** The DSSE payload type of a release: the payload is an in-toto Statement (JSON). */
export const PAYLOAD_TYPE = "application/vnd.in-toto+json";
/** The `_type` of an in-toto Statement v1. */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/**
 * The `predicateType` of swarm's skill releases: the predicate is a
 * {@link SkillRelease} (version 1 of its shape). A URI of swarm's own; it names the
 * format and is never fetched.
 */
export const SKILL_RELEASE_PREDICATE = "https://swarm.dev/skill-release/v1";
/** Largest envelope accepted by default, in bytes of its JSON: 1 MiB. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 1024 * 1024;
/** Most signatures an envelope may carry. */
export const MAX_SIGNATURES = 8;
/** Most files a release may state. */
export const MAX_RELEASE_FILES = 4096;
/** Longest skill name, in UTF-16 code units (it becomes a file name). */
export const MAX_SKILL_NAME_LENGTH = 128;
/** Longest version string, in UTF-16 code units. */
export const MAX_VERSION_LENGTH = 64;
/** Longest publisher key id, in UTF-16 code units. */
export const MAX_PUBLISHER_LENGTH = 64;
/** Longest signature key id, in UTF-16 code units. */
const MAX_KEYID_LENGTH = 256;

/** Options of {@link openEnvelope}. */
export interface OpenEnvelopeLimits {
  /**
   * Largest envelope accepted, in bytes of its compact JSON; a larger one is refused as
   * `malformed` before its payload is decoded.
   *
   * @default {1048576} (1 MiB)
   */
  maxEnvelopeBytes?: number;
}

const encoder = new TextEncoder();
const RELEASE_KEYS = [
  "name",
  "version",
  "fingerprint",
  "files",
  "publisher",
  "created",
  "previous",
];
const FILE_KEYS = ["path", "size", "sha256"];
const STATEMENT_KEYS = ["_type", "subject", "predicateType", "predicate"];
const ENVELOPE_KEYS = ["payloadType", "payload", "signatures"];
const SIGNATURE_KEYS = ["keyid", "sig"];
/** ISO 8601 in UTC, as `Date.prototype.toISOString` writes it (fraction optional). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
/** Standard base64 with padding (RFC 4648 §4), nothing else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`,
 * lengths in ASCII decimal counting bytes. What the signature covers.
 *
 * @param payloadType The envelope's payload type.
 * @param payload The payload's bytes.
 * @returns The bytes to sign or verify.
 * @example
 * ```ts
 * import { preAuthEncoding } from "./envelope.ts";
 * const pae = preAuthEncoding("text/plain", new TextEncoder().encode("hi"));
 * console.assert(new TextDecoder().decode(pae) === "DSSEv1 10 text/plain 2 hi");
 * ```
 */
export function preAuthEncoding(
  payloadType: string,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} `);
  const middle = encoder.encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + middle.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(middle, head.length + type.length);
  out.set(payload, head.length + type.length + middle.length);
  return out;
}

/**
 * Why `value` is not a valid {@link SkillRelease}, or undefined when it is: exactly its
 * fields, each typed and bounded — `name` 1 to 128 characters, not starting with `.`,
 * without `/`, `\` or control characters; `version` 1 to 64 characters (SemVer is not
 * required here: the conflict rules flag other versions); `fingerprint` 64 lowercase hex;
 * at most 4096 `files`, each exactly `{path, size, sha256}` with a path that passes
 * `releasePathProblem`, a non-negative safe-integer size and a 64-hex SHA-256, sorted by
 * path in UTF-8 byte order without repeats; `publisher` 1 to 64 characters; `created` an
 * ISO 8601 UTC time; `previous` null or 64 lowercase hex.
 *
 * @param value Anything, typically a statement's predicate.
 * @returns A reason for a person, or undefined.
 * @example
 * ```ts
 * import { skillReleaseProblem } from "./envelope.ts";
 * const release = {
 *   name: "calc", version: "1.0.0", fingerprint: "0".repeat(64), files: [],
 *   publisher: "kid", created: "2026-12-02T00:00:00.000Z", previous: null,
 * };
 * console.assert(skillReleaseProblem(release) === undefined);
 * console.assert(skillReleaseProblem({ ...release, name: "../x" }) !== undefined);
 * ```
 */
export function skillReleaseProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "the release is not an object";
  const unknown = unknownKey(value, RELEASE_KEYS);
  if (unknown !== undefined) return `the release has an unknown field '${unknown}'`;
  const { name, version, fingerprint, files, publisher, created, previous } = value;
  if (!boundedString(name, MAX_SKILL_NAME_LENGTH)) {
    return `'name' must be a string of 1 to ${MAX_SKILL_NAME_LENGTH} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (name.startsWith(".") || /[/\\\u0000-\u001f\u007f]/.test(name)) {
    return `'name' ${
      JSON.stringify(name)
    } must not start with '.' nor hold '/', '\\' or control characters`;
  }
  if (!boundedString(version, MAX_VERSION_LENGTH)) {
    return `'version' must be a string of 1 to ${MAX_VERSION_LENGTH} characters`;
  }
  if (typeof fingerprint !== "string" || !SHA256_HEX.test(fingerprint)) {
    return "'fingerprint' must be 64 lowercase hex digits";
  }
  if (!Array.isArray(files)) return "'files' must be a list";
  if (files.length > MAX_RELEASE_FILES) {
    return `'files' lists ${files.length} files, more than ${MAX_RELEASE_FILES}`;
  }
  let previousPath: string | undefined;
  for (const [i, file] of files.entries()) {
    const problem = fileProblem(file);
    if (problem !== undefined) return `files[${i}]: ${problem}`;
    const path = (file as { path: string }).path;
    if (previousPath !== undefined) {
      const order = compareUtf8(previousPath, path);
      if (order === 0) return `files[${i}]: path '${path}' is listed twice`;
      if (order > 0) return `files[${i}]: '${path}' is out of order (files are sorted by path)`;
    }
    previousPath = path;
  }
  if (!boundedString(publisher, MAX_PUBLISHER_LENGTH)) {
    return `'publisher' must be a string of 1 to ${MAX_PUBLISHER_LENGTH} characters`;
  }
  if (typeof created !== "string" || !ISO_UTC.test(created) || Number.isNaN(Date.parse(created))) {
    return "'created' must be an ISO 8601 UTC time (2026-12-02T10:00:00.000Z)";
  }
  if (previous !== null && (typeof previous !== "string" || !SHA256_HEX.test(previous))) {
    return "'previous' must be null or 64 lowercase hex digits";
  }
  return undefined;
}

function fileProblem(file: unknown): string | undefined {
  if (!isRecord(file)) return "not an object";
  const unknown = unknownKey(file, FILE_KEYS);
  if (unknown !== undefined) return `unknown field '${unknown}'`;
  if (typeof file.path !== "string") return "'path' must be a string";
  const pathProblem = releasePathProblem(file.path);
  if (pathProblem !== undefined) return `'path' ${JSON.stringify(file.path)}: ${pathProblem}`;
  if (typeof file.size !== "number" || !Number.isSafeInteger(file.size) || file.size < 0) {
    return `'size' of '${file.path}' must be a non-negative integer`;
  }
  if (typeof file.sha256 !== "string" || !SHA256_HEX.test(file.sha256)) {
    return `'sha256' of '${file.path}' must be 64 lowercase hex digits`;
  }
  return undefined;
}

/**
 * Signs `release` as its publisher: builds the in-toto Statement (subjects = the files),
 * serializes it as the payload, and signs DSSE's PAE of it with Ed25519.
 *
 * @param release The release; `publisher` must be the signing key's id.
 * @param key The publisher's key id and private key (`readPublisherKey`).
 * @returns An envelope with one signature, `keyid` = the key id.
 * @throws {TypeError} When `release.publisher` is not `key.keyId`, or the release is
 * not valid ({@link skillReleaseProblem}).
 * @throws {RangeError} When the envelope would be larger than nodes accept by default
 * ({@link DEFAULT_MAX_ENVELOPE_BYTES}).
 * @example
 * ```ts
 * import { generatePublisherKey, readPublisherKey } from "./publisher_key.ts";
 * import { PAYLOAD_TYPE, signRelease } from "./envelope.ts";
 * const dir = await Deno.makeTempDir();
 * await generatePublisherKey(`${dir}/acme.key`);
 * const key = await readPublisherKey(`${dir}/acme.key`);
 * const envelope = await signRelease({
 *   name: "calc", version: "1.0.0", fingerprint: "0".repeat(64), files: [],
 *   publisher: key.keyId, created: "2026-12-02T00:00:00.000Z", previous: null,
 * }, key);
 * console.assert(envelope.payloadType === PAYLOAD_TYPE && envelope.signatures.length === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function signRelease(
  release: SkillRelease,
  key: { keyId: string; privateKey: CryptoKey },
): Promise<Envelope> {
  if (release.publisher !== key.keyId) {
    throw new TypeError(
      `Cannot sign the release as its publisher '${release.publisher}' is not the signing key '${key.keyId}'`,
    );
  }
  const problem = skillReleaseProblem(release);
  if (problem !== undefined) throw new TypeError(`Cannot sign the release: ${problem}`);
  const payload = encoder.encode(JSON.stringify(statementOf(copyRelease(release))));
  const sig = await crypto.subtle.sign(
    "Ed25519",
    key.privateKey,
    preAuthEncoding(PAYLOAD_TYPE, payload),
  );
  const envelope: Envelope = {
    payloadType: PAYLOAD_TYPE,
    payload: payload.toBase64(),
    signatures: [{ keyid: key.keyId, sig: new Uint8Array(sig).toBase64() }],
  };
  const size = encoder.encode(JSON.stringify(envelope)).length;
  if (size > DEFAULT_MAX_ENVELOPE_BYTES) {
    throw new RangeError(
      `Cannot sign the release as its envelope would be ${size} bytes: nodes accept at most ${DEFAULT_MAX_ENVELOPE_BYTES}`,
    );
  }
  return envelope;
}

/**
 * The release's digest: SHA-256 of the envelope's decoded payload bytes, its identity on
 * every node (signatures are not part of it).
 *
 * @param envelope A release envelope.
 * @returns 64 lowercase hex digits.
 * @throws {SyncRefusalError} `malformed` when the payload is not valid base64.
 * @example
 * ```ts
 * import { releaseDigest } from "./envelope.ts";
 * const digest = await releaseDigest({
 *   payloadType: "application/vnd.in-toto+json", payload: "", signatures: [],
 * });
 * console.assert(digest === "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
 * ```
 */
export async function releaseDigest(envelope: Envelope): Promise<string> {
  return await sha256Hex(decodeBase64(envelope.payload, "payload"));
}

/**
 * Verifies a received envelope against the node's trust store and returns its release.
 * Refusals, checked in this order:
 * - `malformed`: not exactly `{payloadType, payload, signatures: [{keyid, sig}]}`; its
 *   compact JSON over `maxEnvelopeBytes`; more than {@link MAX_SIGNATURES} signatures or
 *   two with one key id; another payload type; payload or a signature not canonical
 *   base64; the payload not UTF-8 JSON of exactly an in-toto Statement v1 with
 *   predicate type {@link SKILL_RELEASE_PREDICATE}; the predicate not a valid release
 *   ({@link skillReleaseProblem}); subjects other than the files, in order;
 * - `unsigned`: no signature;
 * - `untrusted_publisher`: no signature by a trusted key, or the release's `publisher`
 *   is not a trusted key that signed it;
 * - `bad_signature`: the publisher's signature does not verify over the PAE;
 * - `publisher_not_allowed`: the publisher's `skills` patterns do not match the name.
 *
 * @param envelope The envelope as parsed from JSON (anything).
 * @param trust The node's trusted publishers.
 * @param limits The size limit.
 * @returns The release, the envelope rebuilt from its known fields only, the digest and
 * the publisher's trust-store name.
 * @throws {SyncRefusalError} With the reason above.
 * @example
 * ```ts
 * import { openEnvelope } from "./envelope.ts";
 * import { SyncRefusalError } from "./sync_refusal_error.ts";
 * const err = await openEnvelope({ payloadType: "x" }, []).catch((e) => e);
 * console.assert(err instanceof SyncRefusalError && err.reason === "malformed");
 * ```
 */
export async function openEnvelope(
  envelope: unknown,
  trust: readonly TrustedPublisher[],
  limits: OpenEnvelopeLimits = {},
): Promise<VerifiedRelease> {
  const { received, payload, sigs } = decodeEnvelope(envelope, PAYLOAD_TYPE, limits);
  const release = statementRelease(payload);

  if (sigs.size === 0) throw new SyncRefusalError("unsigned", "The envelope has no signature");
  const signers = trust.filter((p) => sigs.has(p.keyId));
  if (signers.length === 0) {
    throw new SyncRefusalError(
      "untrusted_publisher",
      `No trusted publisher signed release ${release.name} ${release.version} (signed by ${
        [...sigs.keys()].map((k) => `'${k}'`).join(", ")
      })`,
    );
  }
  const publisher = signers.find((p) => p.keyId === release.publisher);
  if (publisher === undefined) {
    throw new SyncRefusalError(
      "untrusted_publisher",
      `Release ${release.name} ${release.version} names publisher '${release.publisher}', which is not a trusted key that signed it`,
    );
  }
  if (!await verifies(publisher, sigs.get(publisher.keyId)!, payload)) {
    throw new SyncRefusalError(
      "bad_signature",
      `The signature of '${publisher.name}' (${publisher.keyId}) on release ${release.name} ${release.version} does not verify`,
    );
  }
  if (!skillNameAllowed(publisher.skills, release.name)) {
    throw new SyncRefusalError(
      "publisher_not_allowed",
      `Publisher '${publisher.name}' may not publish skill '${release.name}' (allowed: ${
        publisher.skills.join(", ")
      })`,
    );
  }
  return {
    release,
    envelope: received,
    digest: await sha256Hex(payload),
    publisherName: publisher.name,
  };
}

/** A DSSE envelope taken apart: its known fields, the payload, the signatures by key id. */
export interface DecodedEnvelope {
  /** The envelope rebuilt from its known fields only. */
  received: Envelope;
  /** The payload's bytes. */
  payload: Uint8Array<ArrayBuffer>;
  /** Each signature's bytes, by key id. */
  sigs: Map<string, Uint8Array<ArrayBuffer>>;
}

/**
 * Checks that `envelope` is exactly a DSSE envelope of `payloadType` within the size
 * limit, with canonical base64 and at most one signature per key id, and takes it apart.
 * Every signed statement of skill sync (releases, token revocations) starts here.
 *
 * @throws {SyncRefusalError} `malformed`, naming what is wrong.
 * @example
 * ```ts
 * import { decodeEnvelope } from "./envelope.ts";
 * const { payload, sigs } = decodeEnvelope(
 *   { payloadType: "text/plain", payload: "aGk=", signatures: [] },
 *   "text/plain",
 * );
 * console.assert(new TextDecoder().decode(payload) === "hi" && sigs.size === 0);
 * ```
 */
export function decodeEnvelope(
  envelope: unknown,
  payloadType: string,
  limits: OpenEnvelopeLimits = {},
): DecodedEnvelope {
  const { maxEnvelopeBytes = DEFAULT_MAX_ENVELOPE_BYTES } = limits;
  const received = envelopeShape(envelope);
  const size = encoder.encode(JSON.stringify(received)).length;
  if (size > maxEnvelopeBytes) {
    throw malformed(`The envelope is ${size} bytes, more than ${maxEnvelopeBytes}`);
  }
  if (received.payloadType !== payloadType) {
    throw malformed(
      `The payload type is ${JSON.stringify(received.payloadType)}, not '${payloadType}'`,
    );
  }
  const payload = decodeBase64(received.payload, "payload");
  const sigs = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const { keyid, sig } of received.signatures) {
    if (sigs.has(keyid)) throw malformed(`Two signatures name key '${keyid}'`);
    sigs.set(keyid, decodeBase64(sig, `signature of '${keyid}'`));
  }
  return { received, payload, sigs };
}

/** The envelope's known fields, checked to be exactly the DSSE shape, copied. */
function envelopeShape(value: unknown): Envelope {
  if (!isRecord(value)) throw malformed("The envelope is not a JSON object");
  const unknown = unknownKey(value, ENVELOPE_KEYS);
  if (unknown !== undefined) throw malformed(`The envelope has an unknown field '${unknown}'`);
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== "string") throw malformed("'payloadType' must be a string");
  if (typeof payload !== "string") throw malformed("'payload' must be a string");
  if (!Array.isArray(signatures)) throw malformed("'signatures' must be a list");
  // Bounded before anything is copied: each signature is checked as it is read.
  if (signatures.length > MAX_SIGNATURES) {
    throw malformed(
      `The envelope has ${signatures.length} signatures, more than ${MAX_SIGNATURES}`,
    );
  }
  const copied: EnvelopeSignature[] = signatures.map((s, i) => {
    if (!isRecord(s) || unknownKey(s, SIGNATURE_KEYS) !== undefined) {
      throw malformed(`signatures[${i}] must be exactly {keyid, sig}`);
    }
    if (typeof s.keyid !== "string" || s.keyid.length > MAX_KEYID_LENGTH) {
      throw malformed(`signatures[${i}].keyid must be a string of at most ${MAX_KEYID_LENGTH}`);
    }
    if (typeof s.sig !== "string") throw malformed(`signatures[${i}].sig must be a string`);
    return { keyid: s.keyid, sig: s.sig };
  });
  return { payloadType, payload, signatures: copied };
}

/** The release a payload's statement carries, checked. */
function statementRelease(payload: Uint8Array): SkillRelease {
  let statement: unknown;
  try {
    statement = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (err) {
    throw malformed(`The payload is not UTF-8 JSON: ${(err as Error).message}`, err);
  }
  if (!isRecord(statement)) throw malformed("The payload is not a JSON object");
  const unknown = unknownKey(statement, STATEMENT_KEYS);
  if (unknown !== undefined) throw malformed(`The statement has an unknown field '${unknown}'`);
  if (statement._type !== STATEMENT_TYPE) {
    throw malformed(
      `The payload is not an in-toto Statement v1 ('_type' is not ${STATEMENT_TYPE})`,
    );
  }
  if (statement.predicateType !== SKILL_RELEASE_PREDICATE) {
    throw malformed(
      `The statement's predicateType is ${
        JSON.stringify(statement.predicateType)
      }, not '${SKILL_RELEASE_PREDICATE}'`,
    );
  }
  const problem = skillReleaseProblem(statement.predicate);
  if (problem !== undefined) throw malformed(`The release is invalid: ${problem}`);
  const release = copyRelease(statement.predicate as SkillRelease);
  const subject = statement.subject;
  if (!Array.isArray(subject) || subject.length !== release.files.length) {
    throw malformed("The statement's subjects are not the release's files");
  }
  for (const [i, file] of release.files.entries()) {
    const s = subject[i];
    const digest = isRecord(s) ? s.digest : undefined;
    const same = isRecord(s) && unknownKey(s, ["name", "digest"]) === undefined &&
      s.name === file.path && isRecord(digest) && unknownKey(digest, ["sha256"]) === undefined &&
      digest.sha256 === file.sha256;
    if (!same) {
      throw malformed(`The statement's subject[${i}] is not the file '${file.path}'`);
    }
  }
  return release;
}

/** The in-toto Statement of `release`. */
function statementOf(release: SkillRelease): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE,
    subject: release.files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })),
    predicateType: SKILL_RELEASE_PREDICATE,
    predicate: release,
  };
}

/** A copy of a valid release with its fields in one order, nothing else kept. */
function copyRelease(r: SkillRelease): SkillRelease {
  return {
    name: r.name,
    version: r.version,
    fingerprint: r.fingerprint,
    files: r.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
    publisher: r.publisher,
    created: r.created,
    previous: r.previous,
  };
}

async function verifies(
  publisher: TrustedPublisher,
  sig: Uint8Array<ArrayBuffer>,
  payload: Uint8Array,
): Promise<boolean> {
  return await verifiesWith(publisher.key, PAYLOAD_TYPE, sig, payload);
}

/**
 * Whether `sig` is an Ed25519 signature by `jwk` over the DSSE pre-authentication
 * encoding of `payloadType` and `payload` (false for a key Web Crypto refuses too).
 *
 * @example
 * ```ts ignore
 * const ok = await verifiesWith(publicJwk, PAYLOAD_TYPE, sig, payload);
 * ```
 */
export async function verifiesWith(
  jwk: { kty: "OKP"; crv: "Ed25519"; x: string },
  payloadType: string,
  sig: Uint8Array<ArrayBuffer>,
  payload: Uint8Array,
): Promise<boolean> {
  try {
    const { kty, crv, x } = jwk;
    const key = await crypto.subtle.importKey("jwk", { kty, crv, x }, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify("Ed25519", key, sig, preAuthEncoding(payloadType, payload));
  } catch {
    return false;
  }
}

/** Canonical standard base64 decoded; `malformed` otherwise. */
function decodeBase64(text: string, what: string): Uint8Array<ArrayBuffer> {
  if (BASE64.test(text)) {
    try {
      return Uint8Array.fromBase64(text, { lastChunkHandling: "strict" });
    } catch {
      // Non-zero bits after the last byte: not canonical.
    }
  }
  throw malformed(`The ${what} is not standard base64`);
}

/** SHA-256 of `bytes`, 64 lowercase hex digits. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

function boundedString(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= max;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unknownKey(value: Record<string, unknown>, known: readonly string[]): string | undefined {
  return Object.keys(value).find((k) => !known.includes(k));
}

function malformed(message: string, cause?: unknown): SyncRefusalError {
  return new SyncRefusalError("malformed", message, cause === undefined ? undefined : { cause });
}
