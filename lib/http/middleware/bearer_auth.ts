/**
 * SkillLite-compatible bearer authentication.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

/**
 * Checks an `Authorization` value the way SkillLite does: trimmed, split on whitespace
 * into exactly two parts, scheme `Bearer` in any case, token compared in constant time.
 *
 * @example
 * ```ts
 * import { isAuthorized } from "./bearer_auth.ts";
 * console.assert(isAuthorized("  bearer  s3cret ", "s3cret"));
 * console.assert(!isAuthorized("Bearer s3cret extra", "s3cret"));
 * ```
 */
export function isAuthorized(header: string | null | undefined, token: string): boolean {
  const presented = bearerToken(header);
  if (presented === undefined) return false;
  const given = encoder.encode(presented);
  const expected = encoder.encode(token);
  // Compare equal-length buffers so the time taken does not reveal the token's length.
  const padded = new Uint8Array(expected.length);
  padded.set(given.subarray(0, expected.length));
  return timingSafeEqual(padded, expected) && given.length === expected.length;
}

/**
 * The token of an `Authorization: Bearer <token>` value, split the way SkillLite does;
 * undefined when the value is not of that shape.
 *
 * @example
 * ```ts
 * import { bearerToken } from "./bearer_auth.ts";
 * console.assert(bearerToken(" bearer  abc ") === "abc");
 * console.assert(bearerToken("Basic abc") === undefined);
 * ```
 */
export function bearerToken(header: string | null | undefined): string | undefined {
  const parts = (header ?? "").trim().split(/\s+/);
  if (parts.length !== 2 || parts[0].toLowerCase() !== "bearer") return undefined;
  return parts[1];
}
