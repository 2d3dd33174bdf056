/**
 * The order of skill releases that the conflict rules use: SemVer 2.0 precedence
 * (npm `semver`), then the later `created`, then the smaller release digest. It is a
 * total order over distinct digests, so every node sorts the same releases the same way.
 *
 * @module
 */
import semver from "semver";
import type { VerifiedRelease } from "./types.ts";

/**
 * SemVer 2.0's own grammar (https://semver.org, "Is there a suggested regular
 * expression"): no leading `v`, no spaces, no leading zeros. npm `semver` alone would
 * accept `v1.0.0` and ` =1.0.0`, and two spellings of one version must not exist.
 */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** npm `semver` has no types of its own; the one function used, typed. */
const semverCompare: (a: string, b: string) => -1 | 0 | 1 = semver.compare;

/**
 * Whether `version` is a SemVer 2.0 version, spelled strictly.
 *
 * @param version The version string of a release.
 * @returns True for `1.0.0`, `2.0.0-rc.1`, `1.0.0+build.5`; false for `v1.0.0`, `1.0`,
 * `01.0.0`.
 *
 * @example
 * ```ts
 * import { isSemVer } from "./version_order.ts";
 * console.assert(isSemVer("2.0.0-rc.1") && !isSemVer("v2.0.0"));
 * ```
 */
export function isSemVer(version: string): boolean {
  return SEMVER.test(version);
}

/**
 * The version with its build metadata removed: two versions have equal SemVer
 * precedence exactly when their keys are equal (the grammar forbids leading zeros, so
 * each precedence has one spelling left).
 *
 * @param version A SemVer 2.0 version.
 * @returns The version without `+build`.
 *
 * @example
 * ```ts
 * import { versionKey } from "./version_order.ts";
 * console.assert(versionKey("1.0.0+linux") === "1.0.0");
 * ```
 */
export function versionKey(version: string): string {
  const plus = version.indexOf("+");
  return plus === -1 ? version : version.slice(0, plus);
}

/**
 * Compares two versions by SemVer 2.0 precedence (build metadata ignored).
 *
 * @param a A SemVer 2.0 version.
 * @param b A SemVer 2.0 version.
 * @returns A negative number when `a` precedes `b`, 0 when equal, positive otherwise.
 * @throws {TypeError} When either is not a SemVer 2.0 version.
 *
 * @example
 * ```ts
 * import { compareVersions } from "./version_order.ts";
 * console.assert(compareVersions("1.0.0-rc.1", "1.0.0") < 0);
 * console.assert(compareVersions("1.10.0", "1.9.0") > 0);
 * ```
 */
export function compareVersions(a: string, b: string): number {
  for (const v of [a, b]) {
    if (!isSemVer(v)) {
      throw new TypeError(`Cannot compare versions as '${v}' is not a SemVer 2.0 version`);
    }
  }
  return semverCompare(a, b);
}

/** Milliseconds of an ISO 8601 time; an unparsable time sorts as the earliest. */
function createdMs(created: string): number {
  const ms = Date.parse(created);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/**
 * The rules' preference between two releases of one name: the higher version first,
 * then the later `created`, then the smaller digest. Sorting with it puts the release
 * the rules would choose first; only equal digests compare equal.
 *
 * @param a A release with a SemVer 2.0 version.
 * @param b A release with a SemVer 2.0 version.
 * @returns A negative number when `a` is preferred, positive when `b` is, 0 when they
 * have the same digest.
 * @throws {TypeError} When a version is not SemVer 2.0.
 *
 * @example
 * ```ts
 * import { compareReleases } from "./version_order.ts";
 * import type { VerifiedRelease } from "./types.ts";
 * const make = (version: string, digest: string): VerifiedRelease => ({
 *   release: {
 *     name: "calc", version, fingerprint: digest, files: [], publisher: "kid",
 *     created: "2026-12-02T00:00:00.000Z", previous: null,
 *   },
 *   envelope: { payloadType: "application/vnd.in-toto+json", payload: "", signatures: [] },
 *   digest,
 *   publisherName: "acme",
 * });
 * const sorted = [make("1.0.0", "a"), make("1.1.0", "b")].sort(compareReleases);
 * console.assert(sorted[0].release.version === "1.1.0");
 * ```
 */
export function compareReleases(a: VerifiedRelease, b: VerifiedRelease): number {
  const byVersion = compareVersions(b.release.version, a.release.version);
  if (byVersion !== 0) return byVersion;
  const byCreated = createdMs(b.release.created) - createdMs(a.release.created);
  if (byCreated !== 0 && !Number.isNaN(byCreated)) return byCreated;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}
