/**
 * Writing certificates and keys to disk with `writeFileAtomic` (atomic, flushed, mode
 * exact): a key only its owner can read, a certificate anyone can.
 *
 * @module
 */
import { writeFileAtomic } from "../store/mod.ts";
import type { CertificateAndKey } from "./certificates.ts";

/** Mode of a private key file: owner read/write only. */
export const KEY_FILE_MODE = 0o600;
/** Mode of a certificate file: world-readable, it is public. */
export const CERT_FILE_MODE = 0o644;
/** Mode of a directory created for keys: owner only. */
export const KEY_DIR_MODE = 0o700;

/** Where {@link writeCertificateAndKey} puts a certificate and its key. */
export interface CertificatePaths {
  /** The certificate file (mode 0644). */
  certPath: string;
  /** The private key file (mode 0600). */
  keyPath: string;
}

/**
 * Writes a certificate (0644) and its private key (0600), the key first so that a
 * certificate never sits on disk without its key. Each is written atomically and
 * flushed to disk; an existing file that is a symbolic link is replaced itself, never
 * the file it points to.
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
