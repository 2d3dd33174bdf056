/**
 * The data of skill sync: a release (one signed version of one skill), the envelope it
 * travels in, the trust store's entries and the node's local choices (pins).
 *
 * @module
 */

/** One file of a released skill. */
export interface ReleaseFile {
  /** Path inside the skill directory, `/`-separated, relative, never `..` or absolute. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the content, 64 lowercase hex digits: the file's content address. */
  sha256: string;
}

/**
 * What a publisher states about one version of one skill: the predicate of the in-toto
 * Statement carried in the DSSE envelope.
 */
export interface SkillRelease {
  /** The skill's name (its SKILL.md `name`). */
  name: string;
  /** The version, SemVer 2.0 (`1.4.0`, `2.0.0-rc.1`). */
  version: string;
  /** SkillLite's fingerprint of the skill directory (`computeSkillFingerprint`). */
  fingerprint: string;
  /** Every file of the skill, sorted by path (UTF-8 byte order). */
  files: ReleaseFile[];
  /** Key id of the publisher's Ed25519 key (RFC 7638 thumbprint prefix, as `swarm token`). */
  publisher: string;
  /** When it was published, ISO 8601 UTC. */
  created: string;
  /** Fingerprint of the release it follows, or null for a first release. */
  previous: string | null;
}

/** A DSSE signature. */
export interface EnvelopeSignature {
  /** Key id of the signing key. */
  keyid: string;
  /** Base64 of the Ed25519 signature over the DSSE pre-authentication encoding. */
  sig: string;
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse). */
export interface Envelope {
  /** `application/vnd.in-toto+json`: the payload is an in-toto Statement v1. */
  payloadType: string;
  /** Base64 of the payload's bytes. */
  payload: string;
  /** The signatures over the payload, at least one for a signed release. */
  signatures: EnvelopeSignature[];
}

/** A release whose envelope verified against a trusted publisher allowed for its name. */
export interface VerifiedRelease {
  /** The release the envelope's statement carries. */
  release: SkillRelease;
  /** The envelope as received, passed on unchanged to peers. */
  envelope: Envelope;
  /**
   * SHA-256 of the envelope's payload bytes, 64 lowercase hex: the release's identity,
   * the same on every node (duplicates are recognised by it).
   */
  digest: string;
  /** The trust-store name of the publisher that signed it. */
  publisherName: string;
}

/** One publisher in a node's trust store. */
export interface TrustedPublisher {
  /** Operator's name for the publisher (`swarm trust add --name`), unique in the store. */
  name: string;
  /** Key id of its public key. */
  keyId: string;
  /** Its Ed25519 public key as a JWK. */
  key: { kty: "OKP"; crv: "Ed25519"; x: string };
  /**
   * Skill names it may publish: exact names or patterns where `*` matches any run of
   * characters (`calc*`, `*`).
   */
  skills: string[];
  /** When it was added, ISO 8601 UTC. */
  added: string;
}

/** A node's pin of one skill: by version or by fingerprint. */
export type Pin =
  | { name: string; version: string }
  | { name: string; fingerprint: string };

/**
 * Why a release was refused. The same words appear in events, metrics and log lines.
 * - `malformed`: not a DSSE envelope of an in-toto statement of a skill release, or a
 *   field out of its bounds
 * - `unsigned`: no signature
 * - `untrusted_publisher`: no key in the trust store made any of its signatures
 * - `publisher_not_allowed`: the publisher is trusted, but not for this skill name
 * - `bad_signature`: a signature by a trusted key does not verify
 * - `hash_mismatch`: a file's content, size, or the skill's fingerprint differs from
 *   the release
 * - `unsafe_path`: a path that is absolute, climbs out (`..`), or names a symlink, device
 *   or other non-regular file
 * - `oversize`: a file or the whole skill is larger than allowed
 * - `rollback`: a lower version than the one this node runs
 * - `equivocation`: the same publisher released the same version with other content
 */
export type SyncRefusal =
  | "malformed"
  | "unsigned"
  | "untrusted_publisher"
  | "publisher_not_allowed"
  | "bad_signature"
  | "hash_mismatch"
  | "unsafe_path"
  | "oversize"
  | "rollback"
  | "equivocation";
