/**
 * The conflict table of docs/skill-sync.md, one row per case: what is installed, what
 * is reported (available, flagged, pin), and the verdict on the last release to arrive.
 */
import assert from "node:assert/strict";
import {
  classifyRelease,
  type Pin,
  type ReleaseVerdict,
  resolveSkills,
  rollbackPin,
  type VerifiedRelease,
} from "../../lib/sync/mod.ts";
import { rel } from "./_resolve_fixture.ts";

/** The releases of the table, by label. */
const R: Record<string, VerifiedRelease> = {
  v100: rel({ version: "1.0.0", fingerprint: "f100" }),
  v110: rel({ version: "1.1.0", fingerprint: "f110" }),
  v110x: rel({ version: "1.1.0", fingerprint: "f110x" }), // pa equivocates on 1.1.0
  v120: rel({ version: "1.2.0", fingerprint: "f120" }),
  v110pbLate: rel({
    version: "1.1.0",
    fingerprint: "f110pb",
    publisher: "pb",
    created: "2026-12-03T00:00:00.000Z",
    digest: "zz", // the larger digest: only `created` makes it win
  }),
  v110pbSame: rel({ version: "1.1.0", fingerprint: "f110pb", publisher: "pb", digest: "0" }),
  v110resigned: rel({
    version: "1.1.0",
    fingerprint: "f110",
    created: "2026-12-04T00:00:00.000Z",
  }),
  v110build: rel({ version: "1.1.0+build.2", fingerprint: "f110b" }), // same precedence
  bad: rel({ version: "v2.0.0", fingerprint: "fbad" }),
};
const label = (r: VerifiedRelease | null) =>
  r === null ? null : Object.keys(R).find((k) => R[k].digest === r.digest);

interface Row {
  case: string;
  /** Labels, in arrival order; the verdict is on the last. */
  arrive: string[];
  pins?: Pin[];
  installed?: string;
  install: string | null;
  available?: string[];
  flagged?: [string, "equivocation" | "malformed"][];
  pin?: "pinned" | "pin_unmatched";
  verdict: ReleaseVerdict;
}

const ROWS: Row[] = [
  { case: "single release", arrive: ["v100"], install: "v100", verdict: "installed" },
  { case: "newer version", arrive: ["v100", "v110"], install: "v110", verdict: "installed" },
  {
    case: "older version arriving late is a rollback",
    arrive: ["v110", "v100"],
    install: "v110",
    verdict: "rollback",
  },
  {
    case: "same version, same content from two routes is a duplicate",
    arrive: ["v100", "v100"],
    install: "v100",
    verdict: "duplicate",
  },
  {
    case: "equivocation by one publisher flags both, installs neither",
    arrive: ["v110", "v110x"],
    install: null,
    flagged: [["v110", "equivocation"], ["v110x", "equivocation"]],
    verdict: "equivocation",
  },
  {
    case: "same version from two publishers: the later created wins",
    arrive: ["v110pbLate", "v110"],
    install: "v110pbLate",
    verdict: "accepted",
  },
  {
    case: "same version from two publishers, same created: the smaller digest wins",
    arrive: ["v110", "v110pbSame"],
    install: "v110pbSame",
    verdict: "installed",
  },
  {
    case: "same content re-signed by its publisher is not equivocation",
    arrive: ["v110", "v110resigned"],
    install: "v110resigned",
    verdict: "installed",
  },
  {
    case: "pinned by version keeps it, reports newer as available",
    arrive: ["v100", "v110", "v120"],
    pins: [{ name: "calc", version: "1.0.0" }],
    install: "v100",
    available: ["v120", "v110"],
    pin: "pinned",
    verdict: "accepted",
  },
  {
    case: "pinned by fingerprint keeps it, reports newer as available",
    arrive: ["v120", "v100", "v110"],
    pins: [{ name: "calc", fingerprint: "f110" }],
    install: "v110",
    available: ["v120"],
    pin: "pinned",
    verdict: "installed",
  },
  {
    case: "pin matching nothing keeps the installed release",
    arrive: ["v110", "v120"],
    pins: [{ name: "calc", version: "3.0.0" }],
    installed: "v110",
    install: "v110",
    available: ["v120"],
    pin: "pin_unmatched",
    verdict: "accepted",
  },
  {
    case: "pin matching only equivocated releases is unmatched",
    arrive: ["v100", "v110", "v110x"],
    pins: [{ name: "calc", fingerprint: "f110x" }],
    installed: "v100",
    install: "v100",
    available: [],
    flagged: [["v110", "equivocation"], ["v110x", "equivocation"]],
    pin: "pin_unmatched",
    verdict: "equivocation",
  },
  {
    case: "equivocation of the winner falls back to the older clean release",
    arrive: ["v100", "v110", "v110x"],
    install: "v100",
    flagged: [["v110", "equivocation"], ["v110x", "equivocation"]],
    verdict: "equivocation",
  },
  {
    case: "equivocation counts build metadata as the same version",
    arrive: ["v100", "v110", "v110build"],
    install: "v100",
    flagged: [["v110", "equivocation"], ["v110build", "equivocation"]],
    verdict: "equivocation",
  },
  {
    case: "a version that is not SemVer 2.0 is malformed",
    arrive: ["v100", "bad"],
    install: "v100",
    flagged: [["bad", "malformed"]],
    verdict: "malformed",
  },
];

for (const row of ROWS) {
  Deno.test(`resolveSkills() table: ${row.case}`, () => {
    const releases = row.arrive.map((l) => R[l]);
    const options = {
      pins: row.pins ?? [],
      installed: row.installed === undefined ? [] : [R[row.installed]],
    };
    const [got, ...rest] = resolveSkills(releases, options);
    assert.deepEqual(rest, []);
    assert.deepEqual(got.name, "calc");
    assert.deepEqual(label(got.install), row.install);
    assert.deepEqual(got.available.map(label), row.available ?? []);
    assert.deepEqual(
      got.flagged,
      (row.flagged ?? []).map(([l, reason]) => ({ digest: R[l].digest, reason }))
        .sort((a, b) => (a.digest < b.digest ? -1 : 1)),
    );
    assert.deepEqual(got.pin?.status ?? null, row.pin ?? null);
    // The same set in reverse order decides the same.
    assert.deepEqual(resolveSkills(releases.toReversed(), options), [got]);
    const known = releases.slice(0, -1);
    assert.deepEqual(classifyRelease(releases.at(-1)!, { known, ...options }), row.verdict);
  });
}

Deno.test("resolveSkills() table: operator rollback pins the release installed before", () => {
  const history = [
    { fingerprint: "f100", version: "1.0.0", activated: "2026-12-01T00:00:00.000Z" },
    { fingerprint: "f110", version: "1.1.0", activated: "2026-12-02T00:00:00.000Z" },
    { fingerprint: "f110", version: "1.1.0", activated: "2026-12-02T01:00:00.000Z" },
  ];
  const pin = rollbackPin("calc", history);
  assert.deepEqual(pin, { name: "calc", fingerprint: "f100" });
  const [got] = resolveSkills([R.v100, R.v110], { pins: [pin!], installed: [R.v110] });
  assert.deepEqual(label(got.install), "v100");
  assert.deepEqual(got.available.map(label), ["v110"]);
  assert.deepEqual(got.pin?.status, "pinned");
  // A second rollback returns to where the first started.
  const again = [...history, {
    fingerprint: "f100",
    version: "1.0.0",
    activated: "2026-12-03T00:00:00.000Z",
  }];
  assert.deepEqual(rollbackPin("calc", again), { name: "calc", fingerprint: "f110" });
});

Deno.test("rollbackPin() returns null without an earlier other release", () => {
  assert.deepEqual(rollbackPin("calc", []), null);
  assert.deepEqual(
    rollbackPin("calc", [{ fingerprint: "f1", activated: "2026-12-01T00:00:00.000Z" }]),
    null,
  );
});

Deno.test("resolveSkills() resolves each name apart, sorted by name", () => {
  const other = rel({ name: "alpha", version: "0.1.0", fingerprint: "fa" });
  const got = resolveSkills([R.v100, other], { pins: [{ name: "zeta", version: "1.0.0" }] });
  assert.deepEqual(got.map((s) => s.name), ["alpha", "calc", "zeta"]);
  assert.deepEqual(got[2], {
    name: "zeta",
    install: null,
    available: [],
    flagged: [],
    pin: { pin: { name: "zeta", version: "1.0.0" }, status: "pin_unmatched" },
  });
});

Deno.test("resolveSkills() throws on two pins for one name", () => {
  assert.throws(
    () =>
      resolveSkills([], {
        pins: [{ name: "calc", version: "1.0.0" }, { name: "calc", fingerprint: "f" }],
      }),
    { name: "RangeError", message: /'pins' holds two entries/ },
  );
});

Deno.test("rollbackPin() picks the release right before the current one, not the first", () => {
  const history = [
    { fingerprint: "f100", version: "1.0.0", activated: "2026-12-01T00:00:00.000Z" },
    { fingerprint: "f110", version: "1.1.0", activated: "2026-12-02T00:00:00.000Z" },
    { fingerprint: "f120", version: "1.2.0", activated: "2026-12-03T00:00:00.000Z" },
  ];
  assert.deepEqual(rollbackPin("calc", history), { name: "calc", fingerprint: "f110" });
});

Deno.test("resolveSkills() picks one copy of a digest whatever the order of its envelopes", () => {
  const a = rel({ version: "1.0.0", fingerprint: "f100" });
  const b: VerifiedRelease = {
    ...a,
    envelope: { ...a.envelope, signatures: [...a.envelope.signatures, { keyid: "pz", sig: "" }] },
  };
  const [first] = resolveSkills([a, b]);
  assert.deepEqual(resolveSkills([b, a]), [first]);
  assert.ok(first.install === a || first.install === b);
});
