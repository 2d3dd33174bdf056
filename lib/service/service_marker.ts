/**
 * The line that marks a service file as swarm's own, so `swarm service uninstall`
 * (and a second `install`) only ever remove or replace a file swarm wrote.
 *
 * @module
 */

/** The text of the marker line, in a `#` comment (systemd) or an XML comment (launchd). */
export const SERVICE_MARKER = "Written by 'swarm service install'";

/** How many lines from the top the marker may be (after the XML declaration and DOCTYPE). */
const MARKER_WITHIN_LINES = 4;

/**
 * Whether a file's text carries the {@link SERVICE_MARKER} on one of its first lines,
 * inside a comment: `# …` for a unit, `<!-- … -->` for a plist.
 *
 * @param text The file's content.
 * @returns Whether swarm wrote it.
 * @example
 * ```ts
 * import { hasServiceMarker, SERVICE_MARKER } from "./service_marker.ts";
 * console.assert(hasServiceMarker(`# ${SERVICE_MARKER} (swarm 0.1.0)\n[Unit]\n`));
 * console.assert(!hasServiceMarker("[Unit]\nDescription=someone else's\n"));
 * ```
 */
export function hasServiceMarker(text: string): boolean {
  return text.split("\n").slice(0, MARKER_WITHIN_LINES).some((line) =>
    (line.startsWith("# ") || line.startsWith("<!-- ")) && line.includes(SERVICE_MARKER)
  );
}
