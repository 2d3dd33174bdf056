/**
 * A node's pins on disk: `<dataDir>/sync/pins.json`, `{ "version": 1, "pins": Pin[] }`
 * with at most one pin per skill name. `swarm skill pin|unpin|rollback` edit it; the
 * node reads it. Writes are atomic (a reader sees the old file or the new one) with mode
 * 0600, and edits are serialized by an OS file lock, so two commands at once lose no
 * edit.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { SwarmError } from "../protocol/mod.ts";
import { withFileLock, writeFileAtomic } from "../store/mod.ts";
import { SHA256_HEX } from "./_store_fs.ts";
import { releasePathProblem } from "./release_path.ts";
import type { Pin } from "./types.ts";
import { isSemVer } from "./version_order.ts";

/** The format version of the pin file. */
const PIN_FILE_VERSION = 1;
/** Longest skill name (the release store's limit: a name becomes a file name). */
const MAX_NAME_LENGTH = 128;

/**
 * Where a node keeps its pins: `<dataDir>/sync/pins.json`.
 *
 * @param dataDir The node's data directory.
 * @returns The pin file's path.
 * @example
 * ```ts
 * import { pinFilePath } from "./pin_file.ts";
 * console.assert(pinFilePath("/var/lib/swarm") === "/var/lib/swarm/sync/pins.json");
 * ```
 */
export function pinFilePath(dataDir: string): string {
  return join(dataDir, "sync", "pins.json");
}

/**
 * Parses a pin as the operator writes it: `NAME@VERSION` (a SemVer 2.0 version) or
 * `NAME@FINGERPRINT` (64 lowercase hex digits, SkillLite's fingerprint of the skill).
 *
 * @param spec The pin, e.g. `calc@1.2.0`.
 * @returns The pin.
 * @throws {SwarmError} `invalid_argument` when the `@` is missing, a part is empty, the
 * name cannot be a skill name (longer than 128 characters, starting with `.`, holding
 * `/`, `\`, `@`, control characters), or the part after `@` is neither a SemVer 2.0
 * version nor a fingerprint.
 * @example
 * ```ts
 * import { parsePinSpec } from "./pin_file.ts";
 * const pin = parsePinSpec("calc@1.2.0");
 * console.assert("version" in pin && pin.name === "calc" && pin.version === "1.2.0");
 * ```
 */
export function parsePinSpec(spec: string): Pin {
  const at = spec.indexOf("@");
  if (at === -1) {
    throw invalid(
      `Cannot parse pin '${spec}': expected NAME@VERSION or NAME@FINGERPRINT`,
    );
  }
  const name = spec.slice(0, at);
  const target = spec.slice(at + 1);
  const problem = skillNameProblem(name);
  if (problem !== undefined) throw invalid(`Cannot parse pin '${spec}': ${problem}`);
  if (target === "") {
    throw invalid(`Cannot parse pin '${spec}': nothing after '@' (a version or a fingerprint)`);
  }
  if (SHA256_HEX.test(target)) return { name, fingerprint: target };
  if (isSemVer(target)) return { name, version: target };
  throw invalid(
    `Cannot parse pin '${spec}': '${target}' is neither a SemVer 2.0 version (1.2.0) ` +
      `nor a fingerprint (64 lowercase hex digits)`,
  );
}

/**
 * Writes a pin as {@link parsePinSpec} reads it: `NAME@VERSION` or `NAME@FINGERPRINT`.
 *
 * @param pin The pin.
 * @returns Its spec.
 * @example
 * ```ts
 * import { formatPin } from "./pin_file.ts";
 * console.assert(formatPin({ name: "calc", version: "1.2.0" }) === "calc@1.2.0");
 * ```
 */
export function formatPin(pin: Pin): string {
  return `${pin.name}@${"fingerprint" in pin ? pin.fingerprint : pin.version}`;
}

/**
 * Reads the pins in the file at `path`, in file order.
 *
 * @param path The pin file (see {@link pinFilePath}).
 * @returns The pins; none when there is no file.
 * @throws {SwarmError} `config_invalid`, the message starting with the path, when the
 * file cannot be read, is not JSON, is not `{ "version": 1, "pins": [...] }`, or holds
 * a pin that {@link parsePinSpec} would refuse or two pins of one name.
 * @example
 * ```ts
 * import { readPins, setPin } from "./pin_file.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert((await readPins(`${dir}/sync/pins.json`)).length === 0);
 * await setPin(`${dir}/sync/pins.json`, { name: "calc", version: "1.0.0" });
 * console.assert((await readPins(`${dir}/sync/pins.json`))[0].name === "calc");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readPins(path: string): Promise<Pin[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new SwarmError("config_invalid", `${path}: ${(err as Error).message}`, {}, {
      cause: err,
    });
  }
  return parsePinFile(text, path);
}

/**
 * Pins `pin.name` to `pin`, replacing any pin the name had, and writes the file
 * atomically with mode 0600 (its directory created with mode 0700 when missing).
 *
 * @param path The pin file (see {@link pinFilePath}).
 * @param pin The new pin.
 * @returns The name's previous pin, or null.
 * @throws {SwarmError} `config_invalid` when the file is there but malformed (it is left
 * as it was); `invalid_argument` when `pin` is not a valid pin.
 * @example
 * ```ts
 * import { readPins, setPin } from "./pin_file.ts";
 * const dir = await Deno.makeTempDir();
 * await setPin(`${dir}/pins.json`, { name: "calc", version: "1.0.0" });
 * const old = await setPin(`${dir}/pins.json`, { name: "calc", version: "1.1.0" });
 * console.assert(old !== null && "version" in old && old.version === "1.0.0");
 * console.assert((await readPins(`${dir}/pins.json`)).length === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function setPin(path: string, pin: Pin): Promise<Pin | null> {
  const checked = parsePinSpec(formatPin(pin));
  let replaced: Pin | null = null;
  await editPins(path, (pins) => {
    const at = pins.findIndex((p) => p.name === checked.name);
    if (at === -1) return [...pins, checked];
    replaced = pins[at];
    return pins.with(at, checked);
  });
  return replaced;
}

/**
 * Removes the pin of `name`, if it has one.
 *
 * @param path The pin file (see {@link pinFilePath}).
 * @param name The skill's name.
 * @returns Whether there was a pin to remove (the file is written only then).
 * @throws {SwarmError} `config_invalid` when the file is malformed (it is left as it
 * was).
 * @example
 * ```ts
 * import { removePin, setPin } from "./pin_file.ts";
 * const dir = await Deno.makeTempDir();
 * await setPin(`${dir}/pins.json`, { name: "calc", version: "1.0.0" });
 * console.assert(await removePin(`${dir}/pins.json`, "calc"));
 * console.assert(!(await removePin(`${dir}/pins.json`, "calc")));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removePin(path: string, name: string): Promise<boolean> {
  // Nothing to remove: leave the directories uncreated too.
  if ((await Deno.lstat(path).catch(() => null)) === null) return false;
  let removed = false;
  await editPins(path, (pins) => {
    const kept = pins.filter((p) => p.name !== name);
    removed = kept.length < pins.length;
    return removed ? kept : undefined;
  });
  return removed;
}

/**
 * Why `name` cannot be a skill name in a pin, or undefined when it can: the release
 * store's rule (a name becomes a file name) and no `@`, which separates a pin's parts.
 */
function skillNameProblem(name: string): string | undefined {
  if (name === "") return "the name before '@' is empty";
  const problem = name.length > MAX_NAME_LENGTH
    ? `it is longer than ${MAX_NAME_LENGTH} characters`
    : name.includes("/")
    ? "it holds a '/'"
    : name.includes("@")
    ? "it holds an '@'"
    : name.startsWith(".")
    ? "it starts with '.'"
    : releasePathProblem(name);
  return problem === undefined
    ? undefined
    : `${JSON.stringify(name)} is not a skill name: ${problem}`;
}

function invalid(message: string): SwarmError {
  return new SwarmError("invalid_argument", message);
}

/** The pins of a pin file's text; `path` names the file in errors. */
function parsePinFile(text: string, path: string): Pin[] {
  const bad = (why: string, cause?: unknown) =>
    new SwarmError("config_invalid", `${path}: ${why}`, {}, { cause });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message}`, err);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw bad(`expected an object { "version": ${PIN_FILE_VERSION}, "pins": [...] }`);
  }
  const { version, pins } = data as Record<string, unknown>;
  if (version !== PIN_FILE_VERSION) {
    throw bad(`unsupported version ${JSON.stringify(version)}: expected ${PIN_FILE_VERSION}`);
  }
  if (!Array.isArray(pins)) throw bad("'pins' must be an array");
  const out: Pin[] = [];
  const names = new Set<string>();
  pins.forEach((entry: unknown, i) => {
    const pin = pinOfEntry(entry);
    if (typeof pin === "string") throw bad(`pins[${i}]: ${pin}`);
    if (names.has(pin.name)) throw bad(`pins[${i}]: a second pin of '${pin.name}'`);
    names.add(pin.name);
    out.push(pin);
  });
  return out;
}

/** One entry of the file as a pin, or what is wrong with it. */
function pinOfEntry(entry: unknown): Pin | string {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return "expected an object with 'name' and 'version' or 'fingerprint'";
  }
  const { name, version, fingerprint, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return `unknown field '${extra[0]}'`;
  if (typeof name !== "string") return "'name' must be a string";
  if ((version === undefined) === (fingerprint === undefined)) {
    return "expected exactly one of 'version' and 'fingerprint'";
  }
  const target = version ?? fingerprint;
  if (typeof target !== "string") {
    return `'${version === undefined ? "fingerprint" : "version"}' must be a string`;
  }
  let pin: Pin;
  try {
    pin = parsePinSpec(`${name}@${target}`);
  } catch (err) {
    return (err as Error).message;
  }
  if (("fingerprint" in pin) !== (fingerprint !== undefined)) {
    return version === undefined
      ? `'fingerprint' must be 64 lowercase hex digits: got ${JSON.stringify(target)}`
      : `'version' must be a SemVer 2.0 version: got ${JSON.stringify(target)}`;
  }
  return pin;
}

/**
 * Read-modify-write of the pin file under its lock: `edit` gets the current pins and
 * returns the new ones, or undefined to leave the file untouched.
 */
async function editPins(
  path: string,
  edit: (pins: Pin[]) => Pin[] | undefined,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await withFileLock(path, async () => {
    const next = edit(await readPins(path));
    if (next === undefined) return;
    const file = { version: PIN_FILE_VERSION, pins: next };
    await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  });
}
