/**
 * Writing certificates and keys to disk: atomically (a temporary file in the same
 * directory, then a rename or link), with the mode set at creation and again after,
 * because the process umask may have stripped bits from the first.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { CertificateAndKey } from "./certificates.ts";

/** Mode of a private key file: owner read/write only. */
export const KEY_FILE_MODE = 0o600;
/** Mode of a certificate file: world-readable, it is public. */
export const CERT_FILE_MODE = 0o644;
/** Mode of a directory created for keys: owner only. */
export const KEY_DIR_MODE = 0o700;

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the file, e.g. {@link KEY_FILE_MODE}. */
  mode: number;
  /**
   * Replace an existing file. When false, an existing file makes the write fail with
   * `Deno.errors.AlreadyExists` and is left as it was.
   */
  overwrite: boolean;
}

/**
 * Writes `text` to `path` so that readers see either the old file or the whole new
 * one, never a part, and the file never exists with wider permissions than `mode`.
 *
 * @throws {Deno.errors.AlreadyExists} When `path` exists and `overwrite` is false.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: WriteFileAtomicOptions,
): Promise<void> {
  const suffix = crypto.getRandomValues(new Uint8Array(6));
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${[...suffix].map((b) => b.toString(16).padStart(2, "0")).join("")}.tmp`,
  );
  let placed = false;
  try {
    await Deno.writeTextFile(tmp, text, { mode: options.mode, createNew: true });
    await Deno.chmod(tmp, options.mode);
    if (options.overwrite) {
      await Deno.rename(tmp, path);
      placed = true;
    } else {
      // link() never replaces an existing file, unlike rename(): the no-clobber check
      // and the write are one step.
      await Deno.link(tmp, path);
    }
  } finally {
    if (!placed) await Deno.remove(tmp).catch(() => {});
  }
}

/** Where {@link writeCertificateAndKey} puts a certificate and its key. */
export interface CertificatePaths {
  /** The certificate file (mode 0644). */
  certPath: string;
  /** The private key file (mode 0600). */
  keyPath: string;
}

/**
 * Writes a certificate (0644) and its private key (0600), the key first so that a
 * certificate never sits on disk without its key.
 *
 * @throws {Deno.errors.AlreadyExists} When a file exists and `overwrite` is false.
 */
export async function writeCertificateAndKey(
  paths: CertificatePaths,
  pair: CertificateAndKey,
  overwrite: boolean,
): Promise<void> {
  await writeFileAtomic(paths.keyPath, pair.keyPem, { mode: KEY_FILE_MODE, overwrite });
  await writeFileAtomic(paths.certPath, pair.certPem, { mode: CERT_FILE_MODE, overwrite });
}

/**
 * Creates `dir` (and missing parents) with mode 0700 when it does not exist; an
 * existing directory is left as it is.
 *
 * @returns Whether the directory was created.
 */
export async function ensureKeyDirectory(dir: string): Promise<boolean> {
  try {
    const info = await Deno.stat(dir);
    if (!info.isDirectory) throw new Deno.errors.AlreadyExists(`Not a directory: ${dir}`);
    return false;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true, mode: KEY_DIR_MODE });
  await Deno.chmod(dir, KEY_DIR_MODE);
  return true;
}

/** The paths among `paths` that exist (as anything, a dangling link included). */
export async function existingPaths(paths: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    try {
      await Deno.lstat(path);
      found.push(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return found;
}
