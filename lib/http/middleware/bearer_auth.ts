/**
 * SkillLite-compatible bearer authentication.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { SwarmError } from "../../protocol/errors.ts";

/** Options of {@link bearerAuth}. */
export interface BearerAuthOptions {
  /** The expected token; the middleware lets everything through when it is undefined. */
  token: () => string | undefined;
  /** Told about each refusal: `missing` (no Authorization header) or `invalid`. */
  onFailure?: (reason: "missing" | "invalid", path: string) => void;
}

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
  const parts = (header ?? "").trim().split(/\s+/);
  if (parts.length !== 2 || parts[0].toLowerCase() !== "bearer") return false;
  const given = encoder.encode(parts[1]);
  const expected = encoder.encode(token);
  // Compare equal-length buffers so the time taken does not reveal the token's length.
  const padded = new Uint8Array(expected.length);
  padded.set(given.subarray(0, expected.length));
  return timingSafeEqual(padded, expected) && given.length === expected.length;
}

/** Rejects requests without the right bearer token with SkillLite's 401 body, before the body is read. */
export const bearerAuth = (options: BearerAuthOptions): MiddlewareHandler => {
  return async function bearerAuth(c, next) {
    const token = options.token();
    if (token !== undefined && !isAuthorized(c.req.header("authorization"), token)) {
      options.onFailure?.(c.req.header("authorization") ? "invalid" : "missing", c.req.path);
      throw new SwarmError("unauthorized", "Missing or invalid bearer token");
    }
    await next();
  };
};
