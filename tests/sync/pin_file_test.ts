import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatPin,
  parsePinSpec,
  pinFilePath,
  readPins,
  removePin,
  setPin,
} from "../../lib/sync/pin_file.ts";
import type { Pin } from "../../lib/sync/types.ts";
import { SwarmError } from "../../lib/protocol/mod.ts";
import { rejectsWith } from "../_helpers/swarm_error.ts";
import { entries, withTempDir } from "../_helpers/temp_dir.ts";

const FP = "ab".repeat(32);

const PARSED: Array<[spec: string, pin: Pin]> = [
  ["calc@1.2.0", { name: "calc", version: "1.2.0" }],
  ["calc@2.0.0-rc.1+build.5", { name: "calc", version: "2.0.0-rc.1+build.5" }],
  [`calc@${FP}`, { name: "calc", fingerprint: FP }],
  ["web search@0.1.0", { name: "web search", version: "0.1.0" }],
  [`${"n".repeat(128)}@1.0.0`, { name: "n".repeat(128), version: "1.0.0" }],
];

/** A spec short enough for a test name. */
const shown = (spec: string) => JSON.stringify(spec.length > 40 ? `${spec.slice(0, 20)}…` : spec);

for (const [spec, pin] of PARSED) {
  Deno.test(`parsePinSpec() parses ${shown(spec)}, formatPin() writes it back`, () => {
    assert.deepEqual(parsePinSpec(spec), pin);
    assert.equal(formatPin(pin), spec);
  });
}

const REFUSED: Array<[spec: string, message: RegExp]> = [
  ["calc", /expected NAME@VERSION or NAME@FINGERPRINT/],
  ["", /expected NAME@VERSION or NAME@FINGERPRINT/],
  ["@1.0.0", /the name before '@' is empty/],
  ["calc@", /nothing after '@'/],
  ["calc@v1.0.0", /'v1.0.0' is neither a SemVer 2.0 version .* nor a fingerprint/],
  ["calc@1.0", /neither a SemVer 2.0 version/],
  ["calc@1.0.0@2.0.0", /neither a SemVer 2.0 version/],
  [`calc@${FP.toUpperCase()}`, /neither a SemVer 2.0 version/],
  [`calc@${FP.slice(1)}`, /neither a SemVer 2.0 version/],
  ["../etc@1.0.0", /"..\/etc" is not a skill name: it holds a '\/'/],
  ["a/b@1.0.0", /it holds a '\/'/],
  [".hidden@1.0.0", /it starts with '.'/],
  ["..@1.0.0", /it starts with '.'/],
  ["a\\b@1.0.0", /backslash or a control character/],
  ["a\nb@1.0.0", /backslash or a control character/],
  [`${"n".repeat(129)}@1.0.0`, /longer than 128 characters/],
];

for (const [spec, message] of REFUSED) {
  Deno.test(`parsePinSpec() refuses ${shown(spec)} as invalid_argument`, () => {
    assert.throws(() => parsePinSpec(spec), (err: unknown) => {
      assert.ok(err instanceof SwarmError);
      assert.equal(err.code, "invalid_argument");
      assert.match(err.message, /^Cannot parse pin '/);
      assert.match(err.message, message);
      assert.ok(!err.message.includes("\n") || spec.includes("\n"));
      return true;
    });
  });
}

Deno.test("pinFilePath() is <dataDir>/sync/pins.json", () => {
  assert.equal(pinFilePath("/var/lib/swarm/7700"), "/var/lib/swarm/7700/sync/pins.json");
});

Deno.test("readPins() of a missing file is empty and creates nothing", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readPins(pinFilePath(dir)), []);
    assert.deepEqual(await entries(dir), []);
  });
});

Deno.test("setPin() adds, replaces the name's pin, keeps the others; removePin() removes", async () => {
  await withTempDir(async (dir) => {
    const path = pinFilePath(dir);
    assert.equal(await setPin(path, { name: "calc", version: "1.0.0" }), null);
    assert.equal(await setPin(path, { name: "notes", fingerprint: FP }), null);
    assert.deepEqual(await setPin(path, { name: "calc", fingerprint: FP }), {
      name: "calc",
      version: "1.0.0",
    });
    assert.deepEqual(await readPins(path), [
      { name: "calc", fingerprint: FP },
      { name: "notes", fingerprint: FP },
    ]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
      version: 1,
      pins: [{ name: "calc", fingerprint: FP }, { name: "notes", fingerprint: FP }],
    });
    assert.equal(await removePin(path, "calc"), true);
    assert.equal(await removePin(path, "calc"), false);
    assert.deepEqual(await readPins(path), [{ name: "notes", fingerprint: FP }]);
    assert.equal(await removePin(path, "notes"), true);
    assert.deepEqual(await readPins(path), []);
  });
});

Deno.test("setPin() writes the file with mode 0600 in a directory created with mode 0700", async () => {
  await withTempDir(async (dir) => {
    const path = pinFilePath(dir);
    const umask = Deno.umask(0o022);
    try {
      await setPin(path, { name: "calc", version: "1.0.0" });
    } finally {
      Deno.umask(umask);
    }
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "sync"))).mode! & 0o777, 0o700);
    // Only the file, its lock, nothing temporary left behind.
    assert.deepEqual(await entries(join(dir, "sync")), [".pins.json.lock", "pins.json"]);
    assert.equal((await Deno.stat(join(dir, "sync", ".pins.json.lock"))).mode! & 0o777, 0o600);
  });
});

Deno.test("setPin() refuses an invalid pin and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const path = pinFilePath(dir);
    await rejectsWith(setPin(path, { name: "../x", version: "1.0.0" }), "invalid_argument");
    await rejectsWith(setPin(path, { name: "calc", version: "latest" }), "invalid_argument");
    assert.deepEqual(await entries(dir), []);
  });
});

Deno.test("removePin() of a missing file is false and creates nothing", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await removePin(pinFilePath(dir), "calc"), false);
    assert.deepEqual(await entries(dir), []);
  });
});

Deno.test("setPin() loses no edit when many run at once", async () => {
  await withTempDir(async (dir) => {
    const path = pinFilePath(dir);
    const names = Array.from({ length: 12 }, (_, i) => `skill-${i}`);
    await Promise.all(names.map((name) => setPin(path, { name, version: "1.0.0" })));
    assert.deepEqual((await readPins(path)).map((p) => p.name).sort(), names.sort());
  });
});

const MALFORMED: Array<[what: string, text: string, message: RegExp]> = [
  ["not JSON", "{", /not JSON/],
  ["an array", "[]", /expected an object/],
  ["no version", `{"pins": []}`, /unsupported version undefined: expected 1/],
  ["version 2", `{"version": 2, "pins": []}`, /unsupported version 2/],
  ["pins not an array", `{"version": 1, "pins": {}}`, /'pins' must be an array/],
  [
    "a pin not an object",
    `{"version": 1, "pins": ["calc@1.0.0"]}`,
    /pins\[0\]: expected an object/,
  ],
  [
    "both version and fingerprint",
    `{"version": 1, "pins": [{"name": "calc", "version": "1.0.0", "fingerprint": "${FP}"}]}`,
    /pins\[0\]: expected exactly one of 'version' and 'fingerprint'/,
  ],
  [
    "neither",
    `{"version": 1, "pins": [{"name": "calc"}]}`,
    /expected exactly one of/,
  ],
  [
    "an unknown field",
    `{"version": 1, "pins": [{"name": "calc", "version": "1.0.0", "why": "x"}]}`,
    /unknown field 'why'/,
  ],
  [
    "a bad name",
    `{"version": 1, "pins": [{"name": "../calc", "version": "1.0.0"}]}`,
    /pins\[0\]: .*not a skill name/,
  ],
  [
    "a version that is not SemVer",
    `{"version": 1, "pins": [{"name": "calc", "version": "latest"}]}`,
    /neither a SemVer 2.0 version/,
  ],
  [
    "a fingerprint that is a version",
    `{"version": 1, "pins": [{"name": "calc", "fingerprint": "1.0.0"}]}`,
    /'fingerprint' must be 64 lowercase hex digits/,
  ],
  [
    "a version that is a fingerprint",
    `{"version": 1, "pins": [{"name": "calc", "version": "${FP}"}]}`,
    /'version' must be a SemVer 2.0 version/,
  ],
  [
    "two pins of one name",
    `{"version": 1, "pins": [{"name": "calc", "version": "1.0.0"}, {"name": "calc", "version": "2.0.0"}]}`,
    /pins\[1\]: a second pin of 'calc'/,
  ],
];

for (const [what, text, message] of MALFORMED) {
  Deno.test(`readPins() and setPin() refuse a pin file with ${what}, naming the file`, async () => {
    await withTempDir(async (dir) => {
      const path = pinFilePath(dir);
      await Deno.mkdir(join(dir, "sync"));
      await Deno.writeTextFile(path, text);
      const err = await rejectsWith(readPins(path), "config_invalid");
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.match(err.message, message);
      await rejectsWith(setPin(path, { name: "other", version: "1.0.0" }), "config_invalid");
      await rejectsWith(removePin(path, "calc"), "config_invalid");
      assert.equal(await Deno.readTextFile(path), text, "the file is left as it was");
    });
  });
}
