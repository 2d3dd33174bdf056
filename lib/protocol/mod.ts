/**
 * The SkillLite-compatible wire protocol: types, stable error codes and validation.
 *
 * @example
 * ```ts
 * import { parseNodeTask, SwarmError } from "./mod.ts";
 * try {
 *   parseNodeTask({ id: "t1" });
 * } catch (err) {
 *   console.assert(err instanceof SwarmError && err.status === 422);
 * }
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./validate.ts";
