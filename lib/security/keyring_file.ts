/**
 * Keyring files: read, and written atomically with mode 0600 so a node watching the
 * file never reads half a keyring and nobody else can read its private keys.
 *
 * @module
 */
import { withFileLock, writeFileAtomic } from "../store/mod.ts";
import { type Keyring, KeyringError, parseKeyring, serializeKeyring } from "./keyring.ts";

/**
 * Reads and validates the keyring at `path`.
 *
 * @throws {KeyringError} When the file is missing or invalid; the message starts with
 * the path.
 */
export async function readKeyring(path: string): Promise<Keyring> {
  const kr = await readKeyringIfExists(path);
  if (kr === null) throw new KeyringError(`No keyring at ${path}`);
  return kr;
}

/**
 * Reads and validates the keyring at `path`, or returns `null` when there is no file.
 *
 * @throws {KeyringError} When the file is invalid; the message starts with the path.
 */
export async function readKeyringIfExists(path: string): Promise<Keyring | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new KeyringError(`${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseKeyring(text);
  } catch (err) {
    throw new KeyringError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Writes `kr` to `path` atomically with mode 0600, flushed to disk (see
 * `writeFileAtomic`). When `path` is a symlink, the file it points to is replaced and
 * the link is kept (a keyring shared from another volume stays shared).
 */
export async function writeKeyring(path: string, kr: Keyring): Promise<void> {
  await writeFileAtomic(path, serializeKeyring(kr), { mode: 0o600, followSymlinks: true });
}

/**
 * Read-modify-write of the keyring at `path`: `edit` gets the current keyring (`null`
 * when there is no file yet) and returns the new one, which is written atomically.
 * Editors are serialized by an exclusive lock on `.NAME.lock` next to it (an OS file
 * lock, released even if the process dies), so two `swarm token` commands at once lose
 * no edit. The lock file stays: removing it would let two editors lock different files.
 *
 * @returns The keyring written.
 */
export async function updateKeyring(
  path: string,
  edit: (current: Keyring | null) => Keyring | Promise<Keyring>,
): Promise<Keyring> {
  return await withFileLock(path, async () => {
    const next = await edit(await readKeyringIfExists(path));
    await writeKeyring(path, next);
    return next;
  });
}
