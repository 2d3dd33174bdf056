/**
 * Where synced skills live on a node, and how they are installed: staged from verified
 * blobs into a private directory, checked, renamed into place, and switched to by
 * replacing one symlink.
 *
 * @module
 */
import { join } from "node:path";
import { computeSkillFingerprint, parseSkillMd } from "../skills/mod.ts";
import { writeFileAtomic } from "../store/mod.ts";
import {
  lstatOrNull,
  randomSuffix,
  removeIfPresent,
  SHA256_HEX,
  syncDirectory,
  writeAll,
} from "./_store_fs.ts";
import type { BlobStore } from "./blob_store.ts";
import { releasePathProblem } from "./release_path.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import type { SkillRelease } from "./types.ts";

/** Marks a directory being staged (or removed): `<fingerprint>.partial-<random>`. */
const PARTIAL = ".partial-";
/** Marks a temporary symlink in `tmp/`: `<name>.link-<random>`. */
const TEMP_LINK = ".link-";
/** Ends the file beside each release that holds its statement. */
const META_SUFFIX = ".release.json";
/** Install history entries kept per name. */
const HISTORY_LIMIT = 20;
/** Longest skill name the store accepts (it becomes a file name). */
const MAX_NAME_LENGTH = 128;

/** A step of an install, reported to {@link ReleaseStoreOptions.onStep}. */
export type InstallStep =
  | { step: "staging"; name: string; fingerprint: string; dir: string }
  | { step: "file"; path: string; dir: string }
  | { step: "writing"; path: string; dir: string; written: number }
  | { step: "staged"; fingerprint: string; dir: string }
  | { step: "swapping"; name: string; fingerprint: string; link: string }
  | { step: "activated"; name: string; fingerprint: string };

/** Options of {@link ReleaseStore.open}. */
export interface ReleaseStoreOptions {
  /**
   * Largest skill accepted, in bytes (all its files together). A release stating more
   * is refused (`oversize`) before anything is written.
   *
   * @default {67108864} (64 MiB)
   */
  maxSkillBytes?: number;
  /**
   * Most files a skill may have; more is refused (`oversize`).
   *
   * @default {4096}
   */
  maxFiles?: number;
  /**
   * Called at each step of an install and awaited: progress for a caller, and the
   * place where tests stop an install to kill it or to tamper with the staging area.
   * It must not throw.
   */
  onStep?: (step: InstallStep) => void | Promise<void>;
}

/** A release a name points at. */
export interface InstalledRelease {
  /** SkillLite's fingerprint of the release: its directory under `releases/`. */
  fingerprint: string;
  /** Its version, when the release's statement is kept beside it. */
  version?: string;
}

/** One line of a name's install history. */
export interface InstallRecord {
  /** The release activated. */
  fingerprint: string;
  /** Its version, when known. */
  version?: string;
  /** When it was activated, ISO 8601 UTC. */
  activated: string;
}

/** The install history of one name, as kept in `history/<name>.json`. */
interface History {
  name: string;
  /** Oldest first, at most {@link HISTORY_LIMIT}. */
  entries: InstallRecord[];
}

/**
 * The skills a node installed by sync, under a root directory (`<dataDir>/sync`):
 *
 * - `releases/<fingerprint>/`: one complete, immutable skill directory per release,
 *   beside it `releases/<fingerprint>.release.json`, the release's statement;
 * - `skills/<name>`: a symlink to `../releases/<fingerprint>`, the installed release;
 *   the node loads `skills/` as a skills directory;
 * - `history/<name>.json`: the name's install history (for rollback);
 * - `tmp/`: new symlinks, for an instant before they are renamed into `skills/`.
 *
 * An install stages the release in `releases/<fingerprint>.partial-<random>/`, checks
 * it, renames it into place, then swaps the name's symlink by renaming a new symlink
 * over it: a crash at any point leaves the old or the new release installed, never
 * none, and whatever was half done is swept the next time the store is opened. The
 * store keeps each name's current and previous release and removes the others.
 *
 * One node owns a store; within the process, installs are run one at a time.
 *
 * @example
 * ```ts
 * import { createHash } from "node:crypto";
 * import { BlobStore, ReleaseStore } from "./mod.ts";
 * const root = await Deno.makeTempDir();
 * const blobs = await BlobStore.open(root);
 * const store = await ReleaseStore.open(root);
 * const bytes = new TextEncoder().encode("---\nname: notes\n---\n");
 * const sha256 = createHash("sha256").update(bytes).digest("hex");
 * await blobs.put(bytes, { sha256, size: bytes.length });
 * const fingerprint = createHash("sha256")
 *   .update("SKILL.md\0").update(bytes).update("\0").digest("hex");
 * await store.install({
 *   name: "notes", version: "1.0.0", fingerprint,
 *   files: [{ path: "SKILL.md", size: bytes.length, sha256 }],
 *   publisher: "kid", created: new Date().toISOString(), previous: null,
 * }, blobs);
 * console.assert((await store.installed()).get("notes")?.version === "1.0.0");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class ReleaseStore {
  /** The store's root directory. */
  readonly root: string;
  /** Where the releases are: `<root>/releases`. */
  readonly releasesDir: string;
  /** The skills directory the node loads: `<root>/skills`. */
  readonly skillsDir: string;
  /** Where install histories are: `<root>/history`. */
  readonly historyDir: string;
  /** Where new symlinks are made before they are renamed into `skills/`: `<root>/tmp`. */
  readonly tmpDir: string;
  readonly #maxSkillBytes: number;
  readonly #maxFiles: number;
  readonly #onStep: (step: InstallStep) => void | Promise<void>;
  /** Releases staged but not yet activated: garbage collection leaves them. */
  readonly #pending = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(root: string, options: ReleaseStoreOptions) {
    const { maxSkillBytes = 64 * 1024 * 1024, maxFiles = 4096, onStep = () => {} } = options;
    this.root = root;
    this.releasesDir = join(root, "releases");
    this.skillsDir = join(root, "skills");
    this.historyDir = join(root, "history");
    this.tmpDir = join(root, "tmp");
    this.#maxSkillBytes = maxSkillBytes;
    this.#maxFiles = maxFiles;
    this.#onStep = onStep;
  }

  /**
   * Opens (creating when needed) the store under `root` and sweeps what a crash left:
   * partial release directories, temporary symlinks, temporary history files.
   *
   * @param root The store's root directory.
   * @param options Bounds and the step callback.
   * @returns The store.
   */
  static async open(root: string, options: ReleaseStoreOptions = {}): Promise<ReleaseStore> {
    const store = new ReleaseStore(root, options);
    for (const dir of [store.releasesDir, store.skillsDir, store.historyDir, store.tmpDir]) {
      await Deno.mkdir(dir, { recursive: true });
    }
    await store.#sweep();
    return store;
  }

  /**
   * Stages `release` from `blobs`, activates it for its name and removes releases no
   * longer kept: {@link stage}, {@link activate} and {@link gc} in one step.
   *
   * @param release The release, already verified against a trusted publisher.
   * @param blobs The store holding every file of the release.
   * @returns The release's directory.
   * @throws {SyncRefusalError} As {@link stage}.
   */
  install(release: SkillRelease, blobs: BlobStore): Promise<string> {
    return this.#serial(async () => {
      const dir = await this.#stage(release, blobs);
      await this.#activate(release.name, release.fingerprint);
      await this.#gc();
      return dir;
    });
  }

  /**
   * Materialises `release` into `releases/<fingerprint>/` from `blobs`: each path
   * checked with {@link releasePathProblem}, directories created (a symlink or other
   * non-directory in the way refuses the release), files created new with mode 0644
   * (never through an existing symlink) and checked against their stated size, then
   * the SkillLite fingerprint of the whole directory recomputed and compared, and the
   * SKILL.md name compared with the release's name. Everything is flushed to disk before
   * the staging directory is renamed into place. A release already in place is not
   * staged again.
   *
   * @param release The release, already verified against a trusted publisher.
   * @param blobs The store holding every file of the release.
   * @returns The release's directory.
   * @throws {SyncRefusalError} `unsafe_path` (a bad path or name, a symlink in the
   * way), `oversize` (more bytes or files than allowed), `hash_mismatch` (a blob of
   * the wrong size, a fingerprint that differs), `malformed` (a bad fingerprint,
   * duplicate or clashing paths, no SKILL.md or another name in it).
   * @throws {Deno.errors.NotFound} When a blob is missing from `blobs`.
   */
  stage(release: SkillRelease, blobs: BlobStore): Promise<string> {
    return this.#serial(() => this.#stage(release, blobs));
  }

  /**
   * Points `skills/<name>` at `releases/<fingerprint>`: a new symlink is made under a
   * temporary name and renamed over the old one, which is atomic, then the directory is
   * flushed and the install recorded in the name's history.
   *
   * @param name The skill's name.
   * @param fingerprint A release already staged.
   * @throws {SyncRefusalError} `unsafe_path` when `name` cannot be a file name,
   * `malformed` when `fingerprint` is not 64 lowercase hex digits.
   * @throws {Deno.errors.NotFound} When the release is not staged.
   */
  activate(name: string, fingerprint: string): Promise<void> {
    return this.#serial(() => this.#activate(name, fingerprint));
  }

  /**
   * Activates the previous release of `name` again (`swarm skill rollback`); the one
   * it replaces becomes the previous, so a second rollback undoes the first.
   *
   * @param name The skill's name.
   * @returns The release now installed.
   * @throws {Deno.errors.NotFound} When `name` has no previous release.
   */
  rollback(name: string): Promise<InstalledRelease> {
    return this.#serial(async () => {
      const previous = await this.#previous(name);
      if (previous === undefined) {
        throw new Deno.errors.NotFound(`Cannot roll back '${name}': no previous release`);
      }
      await this.#activate(name, previous.fingerprint);
      return previous;
    });
  }

  /**
   * Removes every release that is neither the current nor the previous release of a
   * name, nor staged and waiting for activation. A release is first renamed to a
   * partial name, so a crash mid-removal leaves nothing that looks complete.
   *
   * @returns The fingerprints removed.
   */
  gc(): Promise<string[]> {
    return this.#serial(() => this.#gc());
  }

  /**
   * The installed releases: each name in `skills/` with the release its symlink points
   * at, and that release's version when its statement is kept.
   *
   * @returns Name → installed release.
   */
  async installed(): Promise<Map<string, InstalledRelease>> {
    const out = new Map<string, InstalledRelease>();
    for await (const entry of Deno.readDir(this.skillsDir)) {
      if (entry.name.startsWith(".") || !entry.isSymlink) continue;
      const current = await this.#current(entry.name);
      if (current !== undefined) out.set(entry.name, current);
    }
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /**
   * The release `name` had before its current one, if it is still kept.
   *
   * @param name The skill's name.
   * @returns The previous release, or undefined.
   */
  previous(name: string): Promise<InstalledRelease | undefined> {
    return this.#previous(name);
  }

  /**
   * The install history of `name`, oldest first (at most 20 entries).
   *
   * @param name The skill's name.
   * @returns The records.
   */
  async history(name: string): Promise<InstallRecord[]> {
    return (await this.#readHistory(name)).entries;
  }

  // --- internals ---

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #sweep(): Promise<void> {
    for await (const entry of Deno.readDir(this.releasesDir)) {
      if (entry.name.includes(PARTIAL) || isTempFile(entry.name)) {
        await removeIfPresent(join(this.releasesDir, entry.name));
      }
    }
    for await (const entry of Deno.readDir(this.tmpDir)) {
      await removeIfPresent(join(this.tmpDir, entry.name));
    }
    for await (const entry of Deno.readDir(this.historyDir)) {
      if (isTempFile(entry.name)) await removeIfPresent(join(this.historyDir, entry.name));
    }
  }

  async #stage(release: SkillRelease, blobs: BlobStore): Promise<string> {
    const { name, fingerprint, files } = release;
    checkName(name);
    checkFingerprint(fingerprint);
    this.#checkFiles(release);
    const final = join(this.releasesDir, fingerprint);
    if ((await lstatOrNull(final))?.isDirectory) {
      // Complete (only complete directories get this name); the same content may still
      // come under another name.
      await checkSkillName(final, name);
      this.#pending.add(fingerprint);
      return final;
    }
    const dir = `${final}${PARTIAL}${randomSuffix()}`;
    await Deno.mkdir(dir, { mode: 0o755 });
    let done = false;
    try {
      await this.#onStep({ step: "staging", name, fingerprint, dir });
      const created = new Set<string>([dir]);
      for (const file of files) {
        await this.#onStep({ step: "file", path: file.path, dir });
        const parent = await makeParents(dir, file.path, created);
        await this.#writeFile(dir, file, blobs);
        await syncDirectory(parent);
      }
      for (const made of created) await syncDirectory(made);
      const actual = await computeSkillFingerprint(dir);
      if (actual !== fingerprint) {
        throw new SyncRefusalError(
          "hash_mismatch",
          `Release '${name}' ${release.version} states fingerprint ${fingerprint}: its files give ${actual}`,
        );
      }
      await checkSkillName(dir, name);
      await writeFileAtomic(
        join(this.releasesDir, `${fingerprint}${META_SUFFIX}`),
        JSON.stringify(release, null, 2) + "\n",
        { mode: 0o644 },
      );
      await this.#onStep({ step: "staged", fingerprint, dir });
      try {
        await Deno.rename(dir, final);
        done = true;
      } catch (err) {
        // Staged meanwhile by another writer: its directory is as good as ours.
        if (!(await lstatOrNull(final))?.isDirectory) throw err;
      }
      await syncDirectory(this.releasesDir);
      this.#pending.add(fingerprint);
      return final;
    } finally {
      if (!done) await removeIfPresent(dir);
    }
  }

  #checkFiles(release: SkillRelease): void {
    const { name, files } = release;
    if (files.length > this.#maxFiles) {
      throw new SyncRefusalError(
        "oversize",
        `Release '${name}' has ${files.length} files: more than the ${this.#maxFiles} allowed`,
      );
    }
    const paths = new Set<string>();
    let total = 0;
    for (const file of files) {
      const problem = releasePathProblem(file.path);
      if (problem !== undefined) {
        throw new SyncRefusalError(
          "unsafe_path",
          `Release '${name}' names file ${JSON.stringify(file.path)}: ${problem}`,
        );
      }
      if (!Number.isSafeInteger(file.size) || file.size < 0 || !SHA256_HEX.test(file.sha256)) {
        throw new SyncRefusalError(
          "malformed",
          `Release '${name}' states a bad size or sha256 for '${file.path}'`,
        );
      }
      if (paths.has(file.path)) {
        throw new SyncRefusalError("malformed", `Release '${name}' names '${file.path}' twice`);
      }
      paths.add(file.path);
      total += file.size;
    }
    for (const path of paths) {
      const segments = path.split("/");
      for (let i = 1; i < segments.length; i++) {
        const prefix = segments.slice(0, i).join("/");
        if (paths.has(prefix)) {
          throw new SyncRefusalError(
            "malformed",
            `Release '${name}' names '${prefix}' as a file and as a directory`,
          );
        }
      }
    }
    if (total > this.#maxSkillBytes) {
      throw new SyncRefusalError(
        "oversize",
        `Release '${name}' is ${total} bytes: more than the ${this.#maxSkillBytes} allowed`,
      );
    }
  }

  async #writeFile(
    dir: string,
    file: { path: string; size: number; sha256: string },
    blobs: BlobStore,
  ): Promise<void> {
    const blobSize = await blobs.size(file.sha256);
    if (blobSize === undefined) {
      throw new Deno.errors.NotFound(`Blob ${file.sha256} of '${file.path}' is not in the store`);
    }
    if (blobSize !== file.size) {
      throw new SyncRefusalError(
        "hash_mismatch",
        `File '${file.path}' is stated as ${file.size} bytes: its blob has ${blobSize}`,
      );
    }
    const target = join(dir, file.path);
    let out: Deno.FsFile;
    try {
      // createNew is O_CREAT|O_EXCL: it fails on any existing entry, a symlink included,
      // and so never writes through one.
      out = await Deno.open(target, { write: true, createNew: true, mode: 0o644 });
    } catch (err) {
      if (err instanceof Deno.errors.AlreadyExists) {
        throw new SyncRefusalError(
          "unsafe_path",
          `Cannot write '${file.path}': something is already there in the staging area`,
          { cause: err },
        );
      }
      throw err;
    }
    try {
      const source = await blobs.open(file.sha256);
      let written = 0;
      for await (const chunk of source.readable) {
        written += chunk.length;
        if (written > file.size) {
          throw new SyncRefusalError("hash_mismatch", `Blob of '${file.path}' grew`);
        }
        await writeAll(out, chunk);
        await this.#onStep({ step: "writing", path: file.path, dir, written });
      }
      if (written !== file.size) {
        throw new SyncRefusalError("hash_mismatch", `Blob of '${file.path}' shrank`);
      }
      if (Deno.build.os !== "windows") await Deno.chmod(target, 0o644);
      await out.sync();
    } finally {
      out.close();
    }
  }

  async #activate(name: string, fingerprint: string): Promise<void> {
    checkName(name);
    checkFingerprint(fingerprint);
    const release = join(this.releasesDir, fingerprint);
    const info = await lstatOrNull(release);
    if (!info?.isDirectory) {
      throw new Deno.errors.NotFound(
        `Cannot activate '${name}': release ${fingerprint} is not staged`,
      );
    }
    const link = join(this.skillsDir, name);
    const current = await this.#current(name);
    if (current?.fingerprint !== fingerprint) {
      // Made beside skills/, not in it, so a loader or watcher of skills/ never sees
      // it; rename() within one file system is atomic across directories too, and the
      // relative target resolves the same from tmp/ and from skills/.
      const tmp = join(this.tmpDir, `${name}${TEMP_LINK}${randomSuffix()}`);
      await Deno.symlink(join("..", "releases", fingerprint), tmp);
      try {
        await this.#onStep({ step: "swapping", name, fingerprint, link: tmp });
        await Deno.rename(tmp, link);
      } catch (err) {
        await removeIfPresent(tmp);
        throw err;
      }
      await syncDirectory(this.skillsDir);
    }
    this.#pending.delete(fingerprint);
    // Recorded after the swap: a crash before this line leaves the new release current
    // and the old one still the latest other entry, so previous() is still right.
    const history = await this.#readHistory(name);
    const last = history.entries.at(-1);
    if (last?.fingerprint !== fingerprint) {
      history.entries.push({
        fingerprint,
        version: await this.#version(fingerprint),
        activated: new Date().toISOString(),
      });
      history.entries = history.entries.slice(-HISTORY_LIMIT);
      await writeFileAtomic(
        join(this.historyDir, `${name}.json`),
        JSON.stringify(history, null, 2) + "\n",
        { mode: 0o644 },
      );
    }
    await this.#onStep({ step: "activated", name, fingerprint });
  }

  async #gc(): Promise<string[]> {
    const keep = new Set(this.#pending);
    for (const [name, current] of await this.installed()) {
      keep.add(current.fingerprint);
      const previous = await this.#previous(name);
      if (previous !== undefined) keep.add(previous.fingerprint);
    }
    const removed: string[] = [];
    for await (const entry of Deno.readDir(this.releasesDir)) {
      const fingerprint = entry.name.endsWith(META_SUFFIX)
        ? entry.name.slice(0, -META_SUFFIX.length)
        : entry.name;
      if (!SHA256_HEX.test(fingerprint) || keep.has(fingerprint)) continue;
      const path = join(this.releasesDir, entry.name);
      if (entry.name === fingerprint) {
        // Renamed first: a crash mid-removal leaves a partial directory, swept on open.
        const doomed = `${path}${PARTIAL}gc-${randomSuffix()}`;
        await Deno.rename(path, doomed);
        await removeIfPresent(doomed);
        removed.push(fingerprint);
      } else {
        await removeIfPresent(path);
      }
    }
    await syncDirectory(this.releasesDir);
    return removed.sort();
  }

  async #current(name: string): Promise<InstalledRelease | undefined> {
    const link = join(this.skillsDir, name);
    if (!(await lstatOrNull(link))?.isSymlink) return undefined;
    const target = await Deno.readLink(link);
    const fingerprint = target.split(/[\\/]/).at(-1) ?? "";
    if (!SHA256_HEX.test(fingerprint)) return undefined;
    return { fingerprint, version: await this.#version(fingerprint) };
  }

  async #previous(name: string): Promise<InstalledRelease | undefined> {
    const current = (await this.#current(name))?.fingerprint;
    const { entries } = await this.#readHistory(name);
    for (let i = entries.length - 1; i >= 0; i--) {
      const { fingerprint } = entries[i];
      if (fingerprint === current) continue;
      if (!(await lstatOrNull(join(this.releasesDir, fingerprint)))?.isDirectory) continue;
      return { fingerprint, version: await this.#version(fingerprint) };
    }
    return undefined;
  }

  async #readHistory(name: string): Promise<History> {
    checkName(name);
    let text: string;
    try {
      text = await Deno.readTextFile(join(this.historyDir, `${name}.json`));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return { name, entries: [] };
      throw err;
    }
    const data = JSON.parse(text);
    const entries = Array.isArray(data?.entries)
      ? data.entries.filter((e: InstallRecord) =>
        typeof e?.fingerprint === "string" && SHA256_HEX.test(e.fingerprint)
      )
      : [];
    return { name, entries };
  }

  async #version(fingerprint: string): Promise<string | undefined> {
    try {
      const text = await Deno.readTextFile(join(this.releasesDir, `${fingerprint}${META_SUFFIX}`));
      const version = JSON.parse(text)?.version;
      return typeof version === "string" ? version : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A temporary file `writeFileAtomic` leaves when interrupted: `.<name>.<uuid>.tmp`. */
function isTempFile(name: string): boolean {
  return name.startsWith(".") && name.endsWith(".tmp");
}

function checkName(name: string): void {
  const problem = typeof name !== "string"
    ? "it is not a string"
    : name.length > MAX_NAME_LENGTH
    ? `it is longer than ${MAX_NAME_LENGTH} characters`
    : name.includes("/")
    ? "it holds a '/'"
    : name.startsWith(".")
    ? "it starts with '.'"
    : releasePathProblem(name);
  if (problem !== undefined) {
    throw new SyncRefusalError(
      "unsafe_path",
      `Cannot use ${JSON.stringify(name)} as a skill name in the store: ${problem}`,
    );
  }
}

function checkFingerprint(fingerprint: string): void {
  if (typeof fingerprint !== "string" || !SHA256_HEX.test(fingerprint)) {
    throw new SyncRefusalError(
      "malformed",
      `Fingerprint must be 64 lowercase hex digits: got ${JSON.stringify(fingerprint)}`,
    );
  }
}

/**
 * Creates the directories above `path` inside `dir`, one segment at a time; an entry in
 * the way that is not a directory made here (a symlink above all) refuses the release.
 * Returns the file's parent directory.
 */
async function makeParents(dir: string, path: string, created: Set<string>): Promise<string> {
  const segments = path.split("/").slice(0, -1);
  let at = dir;
  for (const segment of segments) {
    at = join(at, segment);
    if (created.has(at)) {
      const info = await lstatOrNull(at);
      if (info?.isDirectory && !info.isSymlink) continue;
    } else {
      try {
        await Deno.mkdir(at, { mode: 0o755 });
        created.add(at);
        continue;
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
    throw new SyncRefusalError(
      "unsafe_path",
      `Cannot create directory '${
        at.slice(dir.length + 1)
      }': something else is in the way in the staging area`,
    );
  }
  return at;
}

/** Refuses a staged skill without a SKILL.md naming `name`. */
async function checkSkillName(dir: string, name: string): Promise<void> {
  let stated: string;
  try {
    stated = parseSkillMd(await Deno.readTextFile(join(dir, "SKILL.md"))).name;
  } catch (err) {
    throw new SyncRefusalError(
      "malformed",
      `Release '${name}' has no readable SKILL.md: ${err instanceof Error ? err.message : err}`,
      { cause: err },
    );
  }
  if (stated !== name) {
    throw new SyncRefusalError(
      "malformed",
      `Release '${name}' holds a SKILL.md named '${stated}'`,
    );
  }
}
