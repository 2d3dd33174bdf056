/**
 * Asserting on swarm's typed errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SwarmError } from "../../lib/protocol/errors.ts";

/**
 * Awaits `promise` and returns its rejection, failing the test unless it rejects with a
 * {@link SwarmError} of `code`.
 *
 * @example
 * ```ts
 * import { SwarmError } from "../../lib/protocol/errors.ts";
 * import { rejectsWith } from "./swarm_error.ts";
 * const err = await rejectsWith(Promise.reject(new SwarmError("no_match", "None")), "no_match");
 * console.assert(err.status === 503);
 * ```
 */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SwarmError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SwarmError, `expected a SwarmError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}
