/**
 * Turns a scope denial into the 403 answer an executor throws.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { Denial } from "../security/mod.ts";

/**
 * Throws 403 `forbidden` naming the missing scope when `denial` is set.
 *
 * @throws {SwarmError} `forbidden`, with `missing_scope` in its details.
 */
export function refuseOutsideScope(denial: Denial | null): void {
  if (denial) {
    throw new SwarmError("forbidden", denial.message, { missing_scope: denial.scope });
  }
}
