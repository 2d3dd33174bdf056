/**
 * Plain verified releases for the conflict-rule tests: no keys, no files, just the
 * fields the rules read.
 *
 * @module
 */
import type { VerifiedRelease } from "../../lib/sync/mod.ts";

/** The fields of a test release; the digest defaults to one made of all of them. */
export interface ReleaseSpec {
  name?: string;
  version: string;
  fingerprint: string;
  publisher?: string;
  created?: string;
  digest?: string;
}

/** A verified release with the given fields (publisher `pa`, name `calc` by default). */
export function rel(spec: ReleaseSpec): VerifiedRelease {
  const {
    name = "calc",
    version,
    fingerprint,
    publisher = "pa",
    created = "2026-12-02T00:00:00.000Z",
  } = spec;
  const digest = spec.digest ?? `${name}|${version}|${fingerprint}|${publisher}|${created}`;
  return {
    release: { name, version, fingerprint, files: [], publisher, created, previous: null },
    envelope: {
      payloadType: "application/vnd.in-toto+json",
      payload: btoa(digest),
      signatures: [{ keyid: publisher, sig: "" }],
    },
    digest,
    publisherName: publisher,
  };
}
