/**
 * Skill sync: signed, content-addressed skill releases (publisher keys, DSSE envelopes
 * of in-toto statements), the trust store that says which publisher may publish which
 * skill, the pure rules that pick the installed
 * version, and the release store that installs them atomically.
 *
 * @example
 * ```ts
 * import type { SkillRelease } from "./mod.ts";
 * const release: SkillRelease = {
 *   name: "calculator", version: "1.0.0", fingerprint: "0".repeat(64), files: [],
 *   publisher: "kid", created: "2026-12-02T00:00:00.000Z", previous: null,
 * };
 * console.assert(release.previous === null);
 * ```
 *
 * @module
 */
export type * from "./types.ts";
export * from "./release_path.ts";
export * from "./sync_refusal_error.ts";
export * from "./blob_store.ts";
export * from "./release_store.ts";
export * from "./anti_entropy.ts";
export * from "./release_log.ts";
/** Publisher signing keys: generated and read as Ed25519 JWK files. */
export * from "./publisher_key.ts";
/** The signed form of a release: DSSE envelope, in-toto statement, verification. */
export * from "./envelope.ts";
/** The node's trust store: which publisher may publish which skill. */
export * from "./trust_store.ts";
/** A skill directory's release statement, as its publisher makes it. */
export * from "./make_release.ts";
/** SemVer 2.0 precedence and the total order of releases the conflict rules use. */
export * from "./version_order.ts";
/** The conflict rules: which release each node installs (equivocation, ties, pins). */
export * from "./resolve.ts";
/** The verdict reported for an arriving release (duplicate, rollback, ...). */
export * from "./classify_release.ts";
/** The pin that `swarm skill rollback` sets. */
export * from "./rollback_pin.ts";
/** A node's skill sync at work: receive, gossip, anti-entropy, fetch, install. */
export * from "./skill_sync.ts";
/** The node's pins file (`swarm skill pin`). */
export * from "./pin_file.ts";
/** Token revocations signed by the keyring and carried by the same gossip. */
export * from "./revocation.ts";
