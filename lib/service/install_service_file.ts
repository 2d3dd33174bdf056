/**
 * Writing a service definition where its service manager looks.
 *
 * @module
 */
import { dirname } from "node:path";
import { writeFileAtomic } from "../store/mod.ts";
import { ForeignServiceFileError } from "./foreign_service_file_error.ts";
import { hasServiceMarker } from "./service_marker.ts";

/** What {@link installServiceFile} did. */
export interface InstalledServiceFile {
  /** The file written. */
  path: string;
  /** Whether it replaced an earlier file of swarm's. */
  replaced: boolean;
}

/**
 * Writes a service definition to `path` atomically (a reader sees the old file or the
 * whole new one, mode 0644), creating its directory when missing. An existing file is
 * replaced only when it carries swarm's marker: anything else there is the operator's.
 *
 * @param path Where the definition goes.
 * @param text Its content, from `systemdUnit` or `launchdPlist` (with the marker).
 * @returns The path, and whether a file of swarm's was replaced.
 * @throws {ForeignServiceFileError} When a file without the marker is at `path`.
 * @throws {Deno.errors.PermissionDenied} When the directory is not writable (not root).
 * @example
 * ```ts
 * import { installServiceFile, SERVICE_MARKER } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const first = await installServiceFile(`${dir}/swarm.service`, `# ${SERVICE_MARKER}\n[Unit]\n`);
 * const again = await installServiceFile(`${dir}/swarm.service`, `# ${SERVICE_MARKER}\n[Unit]\n`);
 * console.assert(!first.replaced && again.replaced);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function installServiceFile(
  path: string,
  text: string,
): Promise<InstalledServiceFile> {
  if (!hasServiceMarker(text)) {
    throw new TypeError(`Cannot install ${path}: the text lacks swarm's marker line`);
  }
  let existing: string | undefined;
  try {
    existing = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (existing !== undefined && !hasServiceMarker(existing)) {
    throw new ForeignServiceFileError(path, "replace");
  }
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, text, { mode: 0o644 });
  return { path, replaced: existing !== undefined };
}
