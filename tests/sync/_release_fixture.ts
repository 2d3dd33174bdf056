/**
 * Builds skill releases for the store tests: files written to a scratch directory, their
 * blobs put in a blob store, the fingerprint computed as SkillLite does.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { computeSkillFingerprint } from "../../lib/skills/mod.ts";
import { type BlobStore, type SkillRelease, SyncRefusalError } from "../../lib/sync/mod.ts";

/** SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A SKILL.md for `name` at `version`. */
export function skillMd(name: string, version: string): string {
  return `---\nname: ${name}\ndescription: Test skill ${name}\nmetadata:\n  version: \"${version}\"\n---\n# ${name}\n`;
}

/**
 * A release of `files` (path → content), its blobs stored in `blobs` (unless
 * `storeBlobs` is false), its fingerprint computed on a real directory.
 */
export async function makeRelease(
  blobs: BlobStore,
  options: {
    name: string;
    version: string;
    files?: Record<string, string | Uint8Array>;
    storeBlobs?: boolean;
  },
): Promise<SkillRelease> {
  const { name, version, storeBlobs = true } = options;
  const files = options.files ?? {
    "SKILL.md": skillMd(name, version),
    "scripts/main.py": `print('{"version": "${version}"}')\n`,
  };
  const src = await Deno.makeTempDir({ prefix: "swarm-release-src-" });
  try {
    const stated = [];
    for (const [path, content] of Object.entries(files)) {
      const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
      await Deno.mkdir(dirname(join(src, path)), { recursive: true });
      await Deno.writeFile(join(src, path), bytes);
      const sha256 = sha256Hex(bytes);
      if (storeBlobs) await blobs.put(bytes, { sha256, size: bytes.length });
      stated.push({ path, size: bytes.length, sha256 });
    }
    stated.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      name,
      version,
      fingerprint: await computeSkillFingerprint(src),
      files: stated,
      publisher: "test-kid",
      created: "2026-12-02T00:00:00.000Z",
      previous: null,
    };
  } finally {
    await Deno.remove(src, { recursive: true });
  }
}

/** The refusal `promise` rejects with; fails when it resolves or rejects otherwise. */
export async function refusal(promise: Promise<unknown>): Promise<SyncRefusalError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SyncRefusalError) return err;
    throw err;
  }
  throw new Error("Expected a refusal");
}
