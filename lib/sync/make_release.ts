/**
 * The release statement of a skill directory, as its publisher makes it before signing:
 * every file with its size and SHA-256, the skill's name and version from its SKILL.md,
 * and its SkillLite fingerprint.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import {
  compareUtf8,
  computeSkillFingerprint,
  FINGERPRINT_SKIPPED_DIRS,
  FINGERPRINT_SKIPPED_FILES,
  parseSkillMd,
  type SkillManifest,
} from "../skills/mod.ts";
import { MAX_RELEASE_FILES, skillReleaseProblem } from "./envelope.ts";
import { releasePathProblem } from "./release_path.ts";
import { SyncRefusalError } from "./sync_refusal_error.ts";
import type { ReleaseFile, SkillRelease } from "./types.ts";
import { isSemVer } from "./version_order.ts";

/** Options of {@link makeRelease}. */
export interface MakeReleaseOptions {
  /** The publisher's key id (`readPublisherKey(...).keyId`). */
  publisher: string;
  /**
   * The version, SemVer 2.0. @default {the SKILL.md's `metadata.version`}
   */
  version?: string;
  /** Fingerprint of the release this one follows. @default {null} */
  previous?: string | null;
  /** When it is published (`created`). @default {new Date()} */
  now?: Date;
}

/** What {@link makeRelease} returns. */
export interface MadeRelease {
  /** The release statement, ready to sign. */
  release: SkillRelease;
  /** Each file's SHA-256 → the absolute path of a file with that content (for upload). */
  paths: Map<string, string>;
}

const NUL = new Uint8Array([0]);
const encoder = new TextEncoder();

/**
 * Makes the release of the skill in `dir`. The directory is walked with exactly the
 * fingerprint's rules (`FINGERPRINT_SKIPPED_DIRS` and `FINGERPRINT_SKIPPED_FILES` left
 * out at any depth); each file is read once, streamed, for its size and SHA-256, sorted
 * by path in UTF-8 byte order. The fingerprint is computed as SkillLite does and must
 * equal the one of the files as they were read.
 *
 * @param dir The skill directory.
 * @param options The publisher, and optionally the version, previous release and time.
 * @returns The release and where each file's content is.
 * @throws {SyncRefusalError} `unsafe_path` for a symlink, device, socket or pipe (unless
 * in a skipped place) or a path failing `releasePathProblem`; `oversize` for more than
 * {@link MAX_RELEASE_FILES} files; `malformed` without a valid SKILL.md, without a
 * SemVer 2.0 version, or for a release out of bounds (`skillReleaseProblem`);
 * `hash_mismatch` when the directory changed while it was read.
 * @example
 * ```ts
 * import { makeRelease } from "./make_release.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/SKILL.md`, "---\nname: calc\nmetadata:\n  version: 1.0.0\n---\n");
 * const { release } = await makeRelease(dir, { publisher: "kid" });
 * console.assert(release.name === "calc" && release.files[0].path === "SKILL.md");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function makeRelease(dir: string, options: MakeReleaseOptions): Promise<MadeRelease> {
  const { publisher, previous = null, now = new Date() } = options;
  const root = resolve(dir);
  const rels: string[] = [];
  await collectFiles(root, "", rels);
  rels.sort(compareUtf8);
  if (!rels.includes("SKILL.md")) {
    throw new SyncRefusalError("malformed", `${root} has no SKILL.md: it is not a skill`);
  }
  let manifest: SkillManifest;
  try {
    manifest = parseSkillMd(await Deno.readTextFile(join(root, "SKILL.md")));
  } catch (err) {
    throw new SyncRefusalError("malformed", `${root}/SKILL.md: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const version = options.version ?? manifest.version;
  if (version === undefined) {
    throw new SyncRefusalError(
      "malformed",
      `${root}/SKILL.md has no metadata.version: pass --version (SemVer 2.0, e.g. 1.0.0)`,
    );
  }
  if (!isSemVer(version)) {
    throw new SyncRefusalError(
      "malformed",
      `Version '${version}' is not SemVer 2.0 (e.g. 1.0.0, 2.0.0-rc.1): pass --version with one`,
    );
  }

  const fingerprint = createHash("sha256");
  const files: ReleaseFile[] = [];
  const paths = new Map<string, string>();
  for (const rel of rels) {
    const path = join(root, rel);
    const hash = createHash("sha256");
    let size = 0;
    fingerprint.update(encoder.encode(rel));
    fingerprint.update(NUL);
    const file = await Deno.open(path, { read: true });
    // The readable stream closes the file when it ends or is cancelled.
    for await (const chunk of file.readable) {
      hash.update(chunk);
      fingerprint.update(chunk);
      size += chunk.length;
    }
    fingerprint.update(NUL);
    const sha256 = hash.digest("hex");
    files.push({ path: rel, size, sha256 });
    if (!paths.has(sha256)) paths.set(sha256, path);
  }
  const read = fingerprint.digest("hex");
  const computed = await computeSkillFingerprint(root);
  if (computed !== read) {
    throw new SyncRefusalError(
      "hash_mismatch",
      `${root} changed while it was read (its fingerprint is not the one of the files read): try again`,
    );
  }

  const release: SkillRelease = {
    name: manifest.name,
    version,
    fingerprint: computed,
    files,
    publisher,
    created: now.toISOString(),
    previous,
  };
  const problem = skillReleaseProblem(release);
  if (problem !== undefined) {
    throw new SyncRefusalError("malformed", `Cannot release ${root}: ${problem}`);
  }
  return { release, paths };
}

/**
 * Collects the relative paths of the regular files under `root/prefix` the fingerprint
 * counts, refusing what a release cannot carry.
 */
async function collectFiles(root: string, prefix: string, out: string[]): Promise<void> {
  const dir = prefix === "" ? root : join(root, prefix);
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  entries.sort((a, b) => compareUtf8(a.name, b.name));
  for (const entry of entries) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) {
      if (!FINGERPRINT_SKIPPED_DIRS.has(entry.name)) await collectFiles(root, rel, out);
    } else if (entry.isFile) {
      if (FINGERPRINT_SKIPPED_FILES.has(entry.name)) continue;
      const problem = releasePathProblem(rel);
      if (problem !== undefined) {
        throw new SyncRefusalError("unsafe_path", `Cannot release '${rel}': ${problem}`);
      }
      out.push(rel);
      if (out.length > MAX_RELEASE_FILES) {
        throw new SyncRefusalError(
          "oversize",
          `${root} has more than ${MAX_RELEASE_FILES} files: a release holds at most that many`,
        );
      }
    } else if (entry.isSymlink) {
      // The fingerprint follows links and skips by the target's kind; a link it would
      // skip is no part of the skill, any other would be.
      const target = await Deno.stat(join(root, rel)).catch(() => null);
      if (target?.isDirectory && FINGERPRINT_SKIPPED_DIRS.has(entry.name)) continue;
      if (target?.isFile && FINGERPRINT_SKIPPED_FILES.has(entry.name)) continue;
      throw new SyncRefusalError(
        "unsafe_path",
        `Cannot release '${rel}': it is a symlink, and a release carries regular files only`,
      );
    } else {
      throw new SyncRefusalError(
        "unsafe_path",
        `Cannot release '${rel}': not a regular file (a device, socket or pipe)`,
      );
    }
  }
}
