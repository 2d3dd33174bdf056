/**
 * SkillLite-compatible content hash of a skill directory (`compute_skill_fingerprint`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compareUtf8, sortedEntries, statOrNull } from "./_fs.ts";

/**
 * Directory names the fingerprint leaves out at any depth (SkillLite's list). Whoever
 * walks a skill as the fingerprint does (a release's file list) skips exactly these.
 */
export const FINGERPRINT_SKIPPED_DIRS: ReadonlySet<string> = new Set([
  ".git",
  "__pycache__",
  "node_modules",
  "dist",
  "build",
  ".venv",
  "venv",
]);
/** File names the fingerprint leaves out at any depth (SkillLite's list). */
export const FINGERPRINT_SKIPPED_FILES: ReadonlySet<string> = new Set([
  ".skilllite-manifest.json",
  ".DS_Store",
]);

const NUL = new Uint8Array([0]);
const encoder = new TextEncoder();

/**
 * Computes a skill directory's fingerprint exactly as SkillLite does: SHA-256,
 * lowercase hex, over every regular file (symlinks followed) sorted by relative path
 * (forward slashes, byte order), each contributing its path bytes, one 0x00 byte, its
 * content and one 0x00 byte. Directories `.git`, `__pycache__`, `node_modules`, `dist`,
 * `build`, `.venv`, `venv` and files `.skilllite-manifest.json`, `.DS_Store` are left
 * out; every other file counts, dotfiles and `SKILL.sig` included. Broken symlinks are
 * left out, as SkillLite does; a symlink back to a directory already being walked is
 * not followed again (SkillLite would recurse until it fails).
 *
 * @param skillDir Path of the skill directory.
 * @returns 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeSkillFingerprint } from "./fingerprint.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/SKILL.md`, "---\nname: x\n---\n");
 * assert.ok((await computeSkillFingerprint(dir)).length === 64);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function computeSkillFingerprint(skillDir: string): Promise<string> {
  const files: string[] = [];
  await collectFiles(skillDir, "", new Set([await Deno.realPath(skillDir)]), files);
  files.sort(compareUtf8);
  const hash = createHash("sha256");
  for (const rel of files) {
    hash.update(encoder.encode(rel));
    hash.update(NUL);
    const file = await Deno.open(join(skillDir, rel), { read: true });
    // The readable stream closes the file when it ends or is cancelled.
    for await (const chunk of file.readable) hash.update(chunk);
    hash.update(NUL);
  }
  return hash.digest("hex");
}

async function collectFiles(
  root: string,
  prefix: string,
  ancestors: Set<string>,
  out: string[],
): Promise<void> {
  const dir = prefix === "" ? root : join(root, prefix);
  for (const entry of await sortedEntries(dir)) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const info = entry.isSymlink ? await statOrNull(join(root, rel)) : entry;
    if (info === null) continue;
    if (info.isDirectory) {
      if (FINGERPRINT_SKIPPED_DIRS.has(entry.name)) continue;
      const real = await Deno.realPath(join(root, rel));
      if (ancestors.has(real)) continue;
      await collectFiles(root, rel, new Set([...ancestors, real]), out);
    } else if (info.isFile && !FINGERPRINT_SKIPPED_FILES.has(entry.name)) {
      out.push(rel);
    }
  }
}
