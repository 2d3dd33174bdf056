/**
 * The node's trust store: which publishers' keys it accepts skill releases from, and for
 * which skill names. One JSON file, `<dataDir>/sync/trust.json`:
 *
 * ```json
 * { "version": 1, "publishers": [
 *   { "name": "acme", "keyId": "…", "key": { "kty": "OKP", "crv": "Ed25519", "x": "…" },
 *     "skills": ["calc*"], "added": "2026-12-02T00:00:00.000Z" } ] }
 * ```
 *
 * Edited with `swarm trust add|remove`, one editor at a time (an OS lock), written
 * atomically with mode 0600.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { SwarmError } from "../protocol/mod.ts";
import { type Ed25519PublicJwk, keyId } from "../security/mod.ts";
import { withFileLock, writeFileAtomic } from "../store/mod.ts";
import { isEd25519PublicJwk } from "./publisher_key.ts";
import type { TrustedPublisher } from "./types.ts";

/** The `version` of every trust store this code reads and writes. */
export const TRUST_STORE_VERSION = 1;
/** Longest publisher name, in UTF-16 code units. */
export const MAX_PUBLISHER_NAME_LENGTH = 128;
/** Longest skill-name pattern, in UTF-16 code units (a skill name is at most 128). */
const MAX_PATTERN_LENGTH = 128;

/** What {@link addTrustedPublisher} adds. */
export interface NewTrustedPublisher {
  /** The operator's name for the publisher: unique in the store, 1 to 128 characters. */
  name: string;
  /** Its Ed25519 public key (its key id is computed from it). */
  publicJwk: Ed25519PublicJwk;
  /** Skill names it may publish: exact names or `*` patterns, at least one. */
  skills: string[];
}

/**
 * Where a node keeps its trust store.
 *
 * @param dataDir The node's data directory.
 * @returns `<dataDir>/sync/trust.json`.
 * @example
 * ```ts
 * import { trustStorePath } from "./trust_store.ts";
 * console.assert(trustStorePath("/var/lib/swarm") === "/var/lib/swarm/sync/trust.json");
 * ```
 */
export function trustStorePath(dataDir: string): string {
  return join(dataDir, "sync", "trust.json");
}

/**
 * Whether a publisher allowed `patterns` may publish the skill `name`: some pattern is
 * `name` itself, or matches it with each `*` standing for any run of characters (none
 * included). No other character is special.
 *
 * @param patterns The publisher's `skills` patterns.
 * @param name A skill name.
 * @returns True when a pattern matches.
 * @example
 * ```ts
 * import { skillNameAllowed } from "./trust_store.ts";
 * console.assert(skillNameAllowed(["calc*"], "calculator"));
 * console.assert(!skillNameAllowed(["calc*"], "weather"));
 * console.assert(skillNameAllowed(["*"], "anything"));
 * ```
 */
export function skillNameAllowed(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => globMatches(pattern, name));
}

function globMatches(pattern: string, name: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === name;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (name.length < first.length + last.length) return false;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  // Each middle part at its earliest place after the previous one: greedy is exact when
  // `*` is the only wildcard.
  let at = first.length;
  const end = name.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = name.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/**
 * Reads the trust store at `path`. Every entry's key id is recomputed from its key and
 * must agree; names and keys must be unique.
 *
 * @param path The trust store file ({@link trustStorePath}).
 * @returns Its publishers, in the file's order; none when there is no file.
 * @throws {SwarmError} `config_invalid` when the file cannot be read or is not a valid
 * trust store; the message starts with the path.
 * @example
 * ```ts
 * import { readTrustStore } from "./trust_store.ts";
 * console.assert((await readTrustStore("/nonexistent/sync/trust.json")).length === 0);
 * ```
 */
export async function readTrustStore(path: string): Promise<TrustedPublisher[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw storeError(path, (err as Error).message, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw storeError(path, `not JSON: ${(err as Error).message}`, err);
  }
  if (!isRecord(value) || value.version !== TRUST_STORE_VERSION) {
    throw storeError(path, `not a trust store: expected {"version": 1, "publishers": [...]}`);
  }
  if (!Array.isArray(value.publishers)) throw storeError(path, "'publishers' must be a list");
  const publishers: TrustedPublisher[] = [];
  for (const [i, entry] of value.publishers.entries()) {
    const problem = entryProblem(entry);
    if (problem !== undefined) throw storeError(path, `publishers[${i}]: ${problem}`);
    const p = entry as TrustedPublisher;
    const computed = await keyId(p.key);
    if (computed !== p.keyId) {
      throw storeError(
        path,
        `publishers[${i}] ('${p.name}'): keyId '${p.keyId}' is not its key's id '${computed}'`,
      );
    }
    const clash = publishers.find((q) => q.name === p.name || q.keyId === p.keyId);
    if (clash !== undefined) {
      throw storeError(
        path,
        `publishers[${i}]: '${p.name}' repeats the name or key of '${clash.name}'`,
      );
    }
    publishers.push({
      name: p.name,
      keyId: p.keyId,
      key: { kty: "OKP", crv: "Ed25519", x: p.key.x },
      skills: [...p.skills],
      added: p.added,
    });
  }
  return publishers;
}

/**
 * Adds a publisher to the trust store at `path`, creating the file (and its directory,
 * mode 0700) when missing. Editors are serialized by an OS lock on `.trust.json.lock`
 * beside the file (`withFileLock`, as keyrings are); the file is written atomically
 * with mode 0600.
 *
 * @param path The trust store file.
 * @param entry The publisher's name, public key and allowed skill patterns.
 * @param now When it is added. @default {new Date()}
 * @returns The entry added.
 * @throws {SwarmError} `invalid_argument` when the name, key or patterns are invalid,
 * the name is taken, or the key is trusted already (under any name);
 * `config_invalid` when the existing file is invalid.
 * @example
 * ```ts
 * import { generateKeyPair } from "../security/mod.ts";
 * import { addTrustedPublisher, readTrustStore } from "./trust_store.ts";
 * const dir = await Deno.makeTempDir();
 * const { publicJwk } = await generateKeyPair();
 * await addTrustedPublisher(`${dir}/sync/trust.json`, { name: "acme", publicJwk, skills: ["*"] });
 * console.assert((await readTrustStore(`${dir}/sync/trust.json`))[0].name === "acme");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function addTrustedPublisher(
  path: string,
  entry: NewTrustedPublisher,
  now: Date = new Date(),
): Promise<TrustedPublisher> {
  const nameProblem = publisherNameProblem(entry.name);
  if (nameProblem !== undefined) throw invalidArgument(nameProblem);
  if (!isEd25519PublicJwk(entry.publicJwk)) {
    throw invalidArgument("The key is not an Ed25519 public key");
  }
  const skillsProblem = patternsProblem(entry.skills);
  if (skillsProblem !== undefined) throw invalidArgument(skillsProblem);
  const added: TrustedPublisher = {
    name: entry.name,
    keyId: await keyId(entry.publicJwk),
    key: { kty: "OKP", crv: "Ed25519", x: entry.publicJwk.x },
    skills: [...entry.skills],
    added: now.toISOString(),
  };
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await withFileLock(path, async () => {
    const current = await readTrustStore(path);
    if (current.some((p) => p.name === added.name)) {
      throw invalidArgument(`A publisher named '${added.name}' is trusted already in ${path}`);
    }
    const sameKey = current.find((p) => p.keyId === added.keyId);
    if (sameKey !== undefined) {
      throw invalidArgument(
        `Key ${added.keyId} is trusted already as '${sameKey.name}' in ${path}`,
      );
    }
    await writeStore(path, [...current, added]);
  });
  return added;
}

/**
 * Removes the publisher `name` from the trust store at `path` (under the same lock as
 * {@link addTrustedPublisher}).
 *
 * @param path The trust store file.
 * @param name The publisher's name.
 * @returns True when it was there and is removed; false when there was none (nothing
 * is written).
 * @throws {SwarmError} `config_invalid` when the file is invalid.
 * @example
 * ```ts
 * import { removeTrustedPublisher } from "./trust_store.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert(!await removeTrustedPublisher(`${dir}/sync/trust.json`, "acme"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeTrustedPublisher(path: string, name: string): Promise<boolean> {
  // No directory means no store: nothing to remove, and nothing to create for it.
  if (!await Deno.stat(dirname(path)).then((i) => i.isDirectory, () => false)) return false;
  return await withFileLock(path, async () => {
    const current = await readTrustStore(path);
    const kept = current.filter((p) => p.name !== name);
    if (kept.length === current.length) return false;
    await writeStore(path, kept);
    return true;
  });
}

async function writeStore(path: string, publishers: TrustedPublisher[]): Promise<void> {
  const text = `${JSON.stringify({ version: TRUST_STORE_VERSION, publishers }, null, 2)}\n`;
  await writeFileAtomic(path, text, { mode: 0o600, followSymlinks: true });
}

const ENTRY_KEYS = new Set(["name", "keyId", "key", "skills", "added"]);

function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return "must be an object";
  const unknown = Object.keys(entry).find((k) => !ENTRY_KEYS.has(k));
  if (unknown !== undefined) return `unknown field '${unknown}'`;
  const nameProblem = publisherNameProblem(entry.name);
  if (nameProblem !== undefined) return nameProblem;
  if (typeof entry.keyId !== "string") return "'keyId' must be a string";
  if (!isEd25519PublicJwk(entry.key)) return "'key' must be an Ed25519 public JWK";
  const skillsProblem = patternsProblem(entry.skills);
  if (skillsProblem !== undefined) return skillsProblem;
  if (typeof entry.added !== "string" || Number.isNaN(Date.parse(entry.added))) {
    return "'added' must be an ISO 8601 date";
  }
  return undefined;
}

function publisherNameProblem(name: unknown): string | undefined {
  if (
    typeof name !== "string" || name.trim() === "" || name.length > MAX_PUBLISHER_NAME_LENGTH ||
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f]/.test(name)
  ) {
    return `The publisher name must be 1 to ${MAX_PUBLISHER_NAME_LENGTH} characters, not blank, without control characters: got ${
      JSON.stringify(name)
    }`;
  }
  return undefined;
}

function patternsProblem(skills: unknown): string | undefined {
  if (!Array.isArray(skills) || skills.length === 0) {
    return "The skills patterns must be a non-empty list";
  }
  for (const pattern of skills) {
    if (
      typeof pattern !== "string" || pattern === "" || pattern.length > MAX_PATTERN_LENGTH ||
      // deno-lint-ignore no-control-regex
      /[\s\u0000-\u001f\u007f]/.test(pattern)
    ) {
      return `A skills pattern must be 1 to ${MAX_PATTERN_LENGTH} characters without spaces: got ${
        JSON.stringify(pattern)
      }`;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function storeError(path: string, what: string, cause?: unknown): SwarmError {
  return new SwarmError("config_invalid", `${path}: ${what}`, {}, { cause });
}

function invalidArgument(message: string): SwarmError {
  return new SwarmError("invalid_argument", message);
}
