/**
 * The error a sync step throws when it refuses a release, carrying the reason word.
 *
 * @module
 */
import type { SyncRefusal } from "./types.ts";

/**
 * A refused release or file, with the {@link SyncRefusal} reason that events, metrics
 * and log lines name. Callers catch it and report `reason`; anything else thrown by a
 * sync step is a fault of the node (a full disk, a permission), not a refusal.
 *
 * @example
 * ```ts
 * import { SyncRefusalError } from "./sync_refusal_error.ts";
 * const err = new SyncRefusalError("oversize", "File 'a.bin' is larger than allowed");
 * console.assert(err.reason === "oversize" && err.name === "SyncRefusalError");
 * ```
 */
export class SyncRefusalError extends Error {
  /** Why: one of the stable refusal words. */
  readonly reason: SyncRefusal;

  /**
   * Creates the error.
   *
   * @param reason The refusal word.
   * @param message What was refused and why, for a person.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(reason: SyncRefusal, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SyncRefusalError";
    this.reason = reason;
  }
}
