/**
 * Removing a service definition swarm wrote.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { ForeignServiceFileError } from "./foreign_service_file_error.ts";
import { hasServiceMarker } from "./service_marker.ts";

/**
 * Removes the service definition at `path`, only when it carries swarm's marker (so it
 * was written by `swarm service install` or printed by `swarm service print`).
 *
 * @param path The definition.
 * @returns The text that was removed.
 * @throws {ForeignServiceFileError} When the file lacks the marker: it is left as it was.
 * @throws {SwarmError} `invalid_argument` when there is no file at `path`.
 * @example
 * ```ts
 * import { installServiceFile, removeServiceFile, SERVICE_MARKER } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await installServiceFile(`${dir}/swarm.service`, `# ${SERVICE_MARKER}\n[Unit]\n`);
 * await removeServiceFile(`${dir}/swarm.service`);
 * console.assert((await Array.fromAsync(Deno.readDir(dir))).length === 0);
 * await Deno.remove(dir);
 * ```
 */
export async function removeServiceFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SwarmError("invalid_argument", `Nothing to remove: there is no ${path}`, { path }, {
        cause: err,
      });
    }
    throw err;
  }
  if (!hasServiceMarker(text)) throw new ForeignServiceFileError(path, "remove");
  await Deno.remove(path);
  return text;
}
