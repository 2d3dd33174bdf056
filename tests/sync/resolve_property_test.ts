/**
 * Convergence of the conflict rules: generated histories of releases delivered to
 * simulated nodes in random orders, with duplicates and losses healed by a final
 * anti-entropy union, must leave every node deciding what resolving the union decides.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  classifyRelease,
  compareVersions,
  isSemVer,
  type Pin,
  resolveSkills,
  type VerifiedRelease,
  versionKey,
} from "../../lib/sync/mod.ts";
import { rel } from "./_resolve_fixture.ts";

const NAMES = ["alpha", "calc", "zeta"];
const PUBLISHERS = ["pa", "pb", "pc"];
// Build metadata and a prerelease, so equal precedence with other spellings occurs.
const VERSIONS = ["1.0.0", "1.0.1", "1.1.0-rc.1", "1.1.0", "1.1.0+b", "2.0.0", "v2"];
const FINGERPRINTS = ["f1", "f2", "f3"];
const CREATED = ["2026-12-01T00:00:00.000Z", "2026-12-02T00:00:00.000Z"];

const pick = <T>(pool: T[]) => fc.constantFrom(...pool);

/** A release; equal fields give the equal digest, so duplicates arise as well. */
const releaseArb = fc.record({
  name: pick(NAMES),
  publisher: pick(PUBLISHERS),
  version: pick(VERSIONS),
  fingerprint: pick(FINGERPRINTS),
  created: pick(CREATED),
}).map(rel);

const pinArb: fc.Arbitrary<Pin> = fc.oneof(
  fc.record({ name: pick(NAMES), version: pick(VERSIONS) }),
  fc.record({ name: pick(NAMES), fingerprint: pick(FINGERPRINTS) }),
);

/** Per node: the order of deliveries (indexes, repeats are duplicates, gaps are losses). */
const deliveryArb = fc.record({
  sends: fc.array(fc.nat(), { maxLength: 24 }),
  healOrder: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
});

const scenarioArb = fc.record({
  history: fc.array(releaseArb, { minLength: 1, maxLength: 16 }),
  nodes: fc.array(deliveryArb, { minLength: 2, maxLength: 5 }),
  pins: fc.uniqueArray(pinArb, { selector: (p) => p.name, maxLength: 2 }),
  installedPick: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
});

/** A node as the caller runs it: classify each arrival, keep every new digest. */
function simulateNode(
  history: VerifiedRelease[],
  delivery: { sends: number[]; healOrder: number[] },
): VerifiedRelease[] {
  const known: VerifiedRelease[] = [];
  const receive = (r: VerifiedRelease) => {
    const verdict = classifyRelease(r, { known });
    if (verdict !== "duplicate") known.push(r); // Refused ones are kept too: see the docs.
  };
  for (const i of delivery.sends) receive(history[i % history.length]);
  // Anti-entropy: whatever was lost arrives at last, in an order of its own.
  const missing = history.map((r, i) => ({ r, key: delivery.healOrder[i % 16] * 100 + i }))
    .sort((a, b) => a.key - b.key);
  for (const { r } of missing) {
    if (!known.some((k) => k.digest === r.digest)) receive(r);
  }
  return known;
}

/** Whether `r` is flagged, computed apart from the rules' code. */
function isFlagged(r: VerifiedRelease, all: VerifiedRelease[]): boolean {
  if (!isSemVer(r.release.version)) return true;
  return all.some((o) =>
    o.release.name === r.release.name && o.release.publisher === r.release.publisher &&
    isSemVer(o.release.version) &&
    versionKey(o.release.version) === versionKey(r.release.version) &&
    o.release.fingerprint !== r.release.fingerprint
  );
}

function pinMatches(pin: Pin, r: VerifiedRelease): boolean {
  return "fingerprint" in pin
    ? r.release.fingerprint === pin.fingerprint
    : isSemVer(pin.version) && versionKey(pin.version) === versionKey(r.release.version);
}

Deno.test("resolveSkills() converges: every node decides what the union decides", () => {
  fc.assert(
    fc.property(scenarioArb, ({ history, nodes, pins, installedPick }) => {
      // What each node runs now, alike on all (pins and installs are local state).
      const installed = NAMES.map((name, i) => {
        const own = history.filter((r) => r.release.name === name);
        return own.length === 0 ? undefined : own[installedPick[i] % own.length];
      }).filter((r) => r !== undefined);
      const options = { pins, installed };
      const expected = resolveSkills(history, options);
      for (const delivery of nodes) {
        assert.deepEqual(resolveSkills(simulateNode(history, delivery), options), expected);
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("resolveSkills() never installs a flagged release; unpinned installs the newest", () => {
  fc.assert(
    fc.property(
      fc.array(releaseArb, { maxLength: 16 }),
      fc.uniqueArray(pinArb, { selector: (p) => p.name, maxLength: 3 }),
      (releases, pins) => {
        const installed = releases.filter((r, i) =>
          releases.findIndex((o) => o.release.name === r.release.name) === i
        );
        for (const s of resolveSkills(releases, { pins, installed })) {
          const own = releases.filter((r) => r.release.name === s.name);
          const clean = own.filter((r) => !isFlagged(r, releases));
          assert.deepEqual(
            s.flagged.map((f) => f.digest),
            [...new Set(own.filter((r) => isFlagged(r, releases)).map((r) => r.digest))].sort(),
          );
          if (s.install !== null) assert.ok(!isFlagged(s.install, releases));
          const pin = pins.find((p) => p.name === s.name);
          if (pin === undefined) {
            assert.deepEqual(s.available, []);
            assert.equal(s.install === null, clean.length === 0);
            for (const r of clean) {
              assert.ok(compareVersions(s.install!.release.version, r.release.version) >= 0);
            }
          } else if (clean.some((r) => pinMatches(pin, r))) {
            // The pin holds, and everything newer is reported.
            assert.equal(s.pin?.status, "pinned");
            assert.ok(pinMatches(pin, s.install!));
            const newer = clean.filter((r) =>
              compareVersions(r.release.version, s.install!.release.version) > 0
            );
            assert.deepEqual(
              new Set(s.available.map((r) => versionKey(r.release.version))),
              new Set(newer.map((r) => versionKey(r.release.version))),
            );
          } else {
            assert.equal(s.pin?.status, "pin_unmatched");
            const before = installed.find((r) => r.release.name === s.name);
            assert.equal(
              s.install,
              before !== undefined && !isFlagged(before, releases) ? before : null,
            );
          }
        }
      },
    ),
    { numRuns: 2000 },
  );
});
