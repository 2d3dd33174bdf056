/**
 * What a node reports when a verified release arrives: the event or refusal word,
 * decided from the rules ({@link resolveSkills}) before and after adding it.
 *
 * @module
 */
import { type ResolveOptions, resolveSkills } from "./resolve.ts";
import { compareVersions } from "./version_order.ts";
import type { VerifiedRelease } from "./types.ts";

/**
 * The verdict on an arriving release. Whatever it is, the caller keeps the release in
 * its set (a duplicate is already there): a set that dropped refused releases would
 * depend on arrival order, and nodes would diverge.
 * - `installed`: the rules now install it (a new winner, or the release a pin asks for)
 * - `accepted`: kept, not installed (a tie it lost, or newer than a pin: `available`)
 * - `rollback`: refused: its version is lower than the highest unflagged version known
 * - `duplicate`: its digest is already known
 * - `equivocation`: refused: its publisher released that version with other content
 * - `malformed`: refused: its version is not SemVer 2.0
 */
export type ReleaseVerdict =
  | "installed"
  | "accepted"
  | "rollback"
  | "duplicate"
  | "equivocation"
  | "malformed";

/** The node's state an arriving release is judged against. */
export interface ReleaseState extends ResolveOptions {
  /** The releases the node holds already. */
  known: readonly VerifiedRelease[];
}

/**
 * Classifies a release that arrives at a node holding `state.known`.
 *
 * The verdict depends on arrival order (a release refused as `rollback` on one node may
 * have been installed, then superseded, on another); the installed set does not.
 *
 * @param incoming The release that arrived, verified.
 * @param state What the node holds, its pins and what it runs.
 * @returns The verdict to report as an event or a refusal.
 *
 * @example
 * ```ts
 * import { classifyRelease } from "./classify_release.ts";
 * import type { VerifiedRelease } from "./types.ts";
 * const make = (version: string, fingerprint: string): VerifiedRelease => ({
 *   release: {
 *     name: "calc", version, fingerprint, files: [], publisher: "kid",
 *     created: "2026-12-02T00:00:00.000Z", previous: null,
 *   },
 *   envelope: { payloadType: "application/vnd.in-toto+json", payload: "", signatures: [] },
 *   digest: `d-${version}-${fingerprint}`,
 *   publisherName: "acme",
 * });
 * const known = [make("1.1.0", "f2")];
 * console.assert(classifyRelease(make("1.0.0", "f1"), { known }) === "rollback");
 * console.assert(classifyRelease(make("1.2.0", "f3"), { known }) === "installed");
 * console.assert(classifyRelease(make("1.1.0", "f9"), { known }) === "equivocation");
 * ```
 */
export function classifyRelease(incoming: VerifiedRelease, state: ReleaseState): ReleaseVerdict {
  const { known, ...options } = state;
  if (known.some((r) => r.digest === incoming.digest)) return "duplicate";
  const name = incoming.release.name;
  const sameName = known.filter((r) => r.release.name === name);
  const after = resolveSkills([...sameName, incoming], options)
    .find((s) => s.name === name)!;
  const flag = after.flagged.find((f) => f.digest === incoming.digest);
  if (flag !== undefined) return flag.reason;
  if (after.install?.digest === incoming.digest) return "installed";
  // The highest unflagged release known before, pins aside: what gossip had reached.
  const before = resolveSkills(sameName).find((s) => s.name === name)?.install ?? null;
  if (
    before !== null && compareVersions(incoming.release.version, before.release.version) < 0
  ) {
    return "rollback";
  }
  return "accepted";
}
