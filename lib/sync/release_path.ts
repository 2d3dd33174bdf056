/**
 * The rule for file paths inside a released skill: what a publisher may name and what a
 * node may write.
 *
 * @module
 */

/** Longest path accepted, in UTF-16 code units. */
export const MAX_RELEASE_PATH_LENGTH = 512;

/**
 * Why `path` may not name a file of a released skill, or undefined when it may: it
 * must be relative, `/`-separated, made of non-empty segments other than `.` and `..`,
 * without backslashes, NUL or other control characters, and at most
 * {@link MAX_RELEASE_PATH_LENGTH} long.
 *
 * @param path The path as the release states it.
 * @returns A reason for a person, or undefined.
 * @example
 * ```ts
 * import { releasePathProblem } from "./release_path.ts";
 * console.assert(releasePathProblem("scripts/main.py") === undefined);
 * console.assert(releasePathProblem("../etc/passwd") !== undefined);
 * console.assert(releasePathProblem("/etc/passwd") !== undefined);
 * ```
 */
export function releasePathProblem(path: string): string | undefined {
  if (path.length === 0) return "the path is empty";
  if (path.length > MAX_RELEASE_PATH_LENGTH) {
    return `the path is longer than ${MAX_RELEASE_PATH_LENGTH} characters`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) {
    return "the path holds a backslash or a control character";
  }
  if (path.startsWith("/")) return "the path is absolute";
  for (const segment of path.split("/")) {
    if (segment === "") return "the path has an empty segment";
    if (segment === "." || segment === "..") return `the path has a '${segment}' segment`;
  }
  return undefined;
}
