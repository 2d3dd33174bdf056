/**
 * Who counts as one client for rate limiting.
 *
 * @module
 */
import type { Grant } from "./grant.ts";

/**
 * The rate-limit key of a caller: its scoped token id or certificate when it has one
 * (the same client from any address), else its address (callers sharing the SkillLite
 * token are told apart only by where they come from). Never the token itself.
 *
 * @example
 * ```ts
 * import { rateKey } from "./rate_key.ts";
 * import { fullGrant } from "./grant.ts";
 * console.assert(rateKey(fullGrant("shared-secret", "shared-token"), "10.0.0.2") === "addr:10.0.0.2");
 * ```
 */
export function rateKey(grant: Grant, remoteAddress: string): string {
  if (grant.method === "token" && grant.tokenId) return `token:${grant.tokenId}`;
  if (grant.clientCert) return `cert:${grant.clientCert.fingerprint256}`;
  return `addr:${remoteAddress}`;
}
