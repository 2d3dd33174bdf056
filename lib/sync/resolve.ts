/**
 * The conflict rules of skill sync, as one pure function over plain data.
 *
 * Each node keeps a grow-only set of verified releases; gossip and anti-entropy make
 * every node's set converge to the union. {@linkcode resolveSkills} is a deterministic
 * function of that set and of the node's local pins, independent of the order releases
 * arrived in and of duplicates, so nodes holding the same set install the same releases.
 *
 * @module
 */
import type { Pin, VerifiedRelease } from "./types.ts";
import { compareReleases, compareVersions, isSemVer, versionKey } from "./version_order.ts";

/** Why a release can never be chosen. */
export type FlagReason =
  /** Its publisher released the same version (SemVer precedence) with other content. */
  | "equivocation"
  /** Its version is not a SemVer 2.0 version. */
  | "malformed";

/** A release left out of the choice, and why. */
export interface FlaggedRelease {
  /** The release's digest. */
  digest: string;
  /** Why it is left out. */
  reason: FlagReason;
}

/** What became of the node's pin of a name. */
export interface PinOutcome {
  /** The pin, as given. */
  pin: Pin;
  /**
   * `pinned`: a known, unflagged release matches it and is installed;
   * `pin_unmatched`: none does, and the installed release is kept.
   */
  status: "pinned" | "pin_unmatched";
}

/** What the rules decide for one skill name. */
export interface SkillResolution {
  /** The skill's name. */
  name: string;
  /**
   * The release to install, or null when the rules choose none: every release of the
   * name is flagged, or a pin matches nothing and no unflagged release is installed.
   */
  install: VerifiedRelease | null;
  /**
   * With a pin: the unflagged releases of a strictly higher version than `install`
   * (all unflagged releases when `install` is null), best first. Empty without a pin.
   */
  available: VerifiedRelease[];
  /** Releases that can never be chosen, sorted by digest. */
  flagged: FlaggedRelease[];
  /** Set when the node pins the name. */
  pin?: PinOutcome;
}

/** The node's local inputs to {@linkcode resolveSkills}; neither is gossiped. */
export interface ResolveOptions {
  /** The node's pins, at most one per name. */
  pins?: readonly Pin[];
  /** The releases the node runs now, at most one per name (the first of a name counts). */
  installed?: readonly VerifiedRelease[];
}

/** Of releases sharing one digest, the same one on every node (smallest envelope text). */
function dedupe(releases: Iterable<VerifiedRelease>): VerifiedRelease[] {
  const byDigest = new Map<string, { release: VerifiedRelease; key: string }>();
  for (const release of releases) {
    const key = JSON.stringify([release.publisherName, release.envelope]);
    const seen = byDigest.get(release.digest);
    if (seen === undefined || key < seen.key) byDigest.set(release.digest, { release, key });
  }
  return [...byDigest.values()].map((entry) => entry.release);
}

/** The releases of one name (deduplicated): the choosable ones best first, the flagged. */
function split(
  releases: readonly VerifiedRelease[],
): { clean: VerifiedRelease[]; flagged: FlaggedRelease[] } {
  const flagged: FlaggedRelease[] = [];
  const valid: VerifiedRelease[] = [];
  for (const r of releases) {
    if (isSemVer(r.release.version)) valid.push(r);
    else flagged.push({ digest: r.digest, reason: "malformed" });
  }
  const groupKey = (r: VerifiedRelease) =>
    JSON.stringify([r.release.publisher, versionKey(r.release.version)]);
  const fingerprints = new Map<string, Set<string>>();
  for (const r of valid) {
    const key = groupKey(r);
    fingerprints.set(key, (fingerprints.get(key) ?? new Set()).add(r.release.fingerprint));
  }
  const clean: VerifiedRelease[] = [];
  for (const r of valid) {
    if (fingerprints.get(groupKey(r))!.size > 1) {
      flagged.push({ digest: r.digest, reason: "equivocation" });
    } else {
      clean.push(r);
    }
  }
  clean.sort(compareReleases);
  flagged.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  return { clean, flagged };
}

/** Whether `release` is what `pin` names. */
function matchesPin(release: VerifiedRelease, pin: Pin): boolean {
  if ("fingerprint" in pin) return release.release.fingerprint === pin.fingerprint;
  return isSemVer(pin.version) && compareVersions(release.release.version, pin.version) === 0;
}

/** Releases of `clean` (best first) of a strictly higher version than `base`. */
function newerThan(clean: VerifiedRelease[], base: VerifiedRelease | null): VerifiedRelease[] {
  if (base === null || !isSemVer(base.release.version)) return [...clean];
  return clean.filter((r) => compareVersions(r.release.version, base.release.version) > 0);
}

/**
 * Decides, for every skill name, which release the node installs.
 *
 * Rules, per name:
 * - Releases with the same digest are one release (duplicates).
 * - A release whose version is not SemVer 2.0 is flagged `malformed`.
 * - Equivocation: releases of one publisher with the same version (equal SemVer
 *   precedence) and different fingerprints are all flagged `equivocation`.
 * - Flagged releases are never installed.
 * - Without a pin, the node installs the unflagged release with the highest SemVer 2.0
 *   version, then the later `created`, then the smaller digest.
 * - A pin (by version or fingerprint) installs the best unflagged release it matches and
 *   reports strictly newer ones as `available` (`pinned`). A pin matching none keeps the
 *   installed release unless it is flagged (`pin_unmatched`).
 *
 * The result depends only on the set of releases and on the options, never on order.
 *
 * @param releases The node's verified releases, in any order, duplicates allowed.
 * @param options The node's pins and installed releases.
 * @returns One resolution per name found in `releases` or in a pin, sorted by name.
 * @throws {RangeError} When `options.pins` holds two pins of one name.
 *
 * @example
 * ```ts
 * import { resolveSkills } from "./resolve.ts";
 * import type { VerifiedRelease } from "./types.ts";
 * const make = (version: string, digest: string): VerifiedRelease => ({
 *   release: {
 *     name: "calc", version, fingerprint: `fp-${digest}`, files: [], publisher: "kid",
 *     created: "2026-12-02T00:00:00.000Z", previous: null,
 *   },
 *   envelope: { payloadType: "application/vnd.in-toto+json", payload: "", signatures: [] },
 *   digest,
 *   publisherName: "acme",
 * });
 * const releases = [make("1.0.0", "a"), make("1.1.0", "b")];
 * const [calc] = resolveSkills(releases);
 * console.assert(calc.install?.digest === "b");
 * const [pinned] = resolveSkills(releases, { pins: [{ name: "calc", version: "1.0.0" }] });
 * console.assert(pinned.install?.digest === "a" && pinned.available[0].digest === "b");
 * console.assert(pinned.pin?.status === "pinned");
 * ```
 */
export function resolveSkills(
  releases: Iterable<VerifiedRelease>,
  options: ResolveOptions = {},
): SkillResolution[] {
  const byName = new Map<string, VerifiedRelease[]>();
  for (const r of dedupe(releases)) {
    const list = byName.get(r.release.name) ?? [];
    list.push(r);
    byName.set(r.release.name, list);
  }
  const pins = new Map<string, Pin>();
  for (const pin of options.pins ?? []) {
    if (pins.has(pin.name)) {
      throw new RangeError(`Cannot resolve skills as 'pins' holds two entries for '${pin.name}'`);
    }
    pins.set(pin.name, pin);
  }
  const installed = new Map<string, VerifiedRelease>();
  for (const r of options.installed ?? []) {
    if (!installed.has(r.release.name)) installed.set(r.release.name, r);
  }
  const names = [...new Set([...byName.keys(), ...pins.keys()])].sort();
  return names.map((name): SkillResolution => {
    const { clean, flagged } = split(byName.get(name) ?? []);
    const pin = pins.get(name);
    if (pin === undefined) return { name, install: clean[0] ?? null, available: [], flagged };
    const pinned = clean.find((r) => matchesPin(r, pin));
    if (pinned !== undefined) {
      const outcome: PinOutcome = { pin, status: "pinned" };
      return { name, install: pinned, available: newerThan(clean, pinned), flagged, pin: outcome };
    }
    const current = installed.get(name);
    const kept = current !== undefined && isSemVer(current.release.version) &&
        !flagged.some((f) => f.digest === current.digest)
      ? current
      : null;
    const outcome: PinOutcome = { pin, status: "pin_unmatched" };
    return { name, install: kept, available: newerThan(clean, kept), flagged, pin: outcome };
  });
}
