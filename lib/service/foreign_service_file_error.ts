/**
 * The refusal to replace or remove a service file swarm did not write.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import { SERVICE_MARKER } from "./service_marker.ts";

/**
 * `swarm service install` or `uninstall` found a file without the
 * {@link SERVICE_MARKER} where its own would be, and left it alone. Stable code
 * `invalid_argument`; `details.path` names the file.
 *
 * @example
 * ```ts
 * import { ForeignServiceFileError } from "./foreign_service_file_error.ts";
 * const err = new ForeignServiceFileError("/etc/systemd/system/swarm.service", "remove");
 * console.assert(err.code === "invalid_argument" && err.details.path !== undefined);
 * ```
 */
export class ForeignServiceFileError extends SwarmError {
  /**
   * Creates the error.
   *
   * @param path The file left alone.
   * @param action What was refused: `replace` or `remove`.
   */
  constructor(path: string, action: "replace" | "remove") {
    super(
      "invalid_argument",
      `Refusing to ${action} ${path}: it was not written by 'swarm service install' (its first lines lack the comment "${SERVICE_MARKER}")`,
      { path },
    );
    this.name = "ForeignServiceFileError";
  }
}
