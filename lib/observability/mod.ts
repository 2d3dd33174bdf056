/**
 * Observability: structured JSON logs.
 *
 * @example
 * ```ts
 * import { logger } from "./mod.ts";
 * logger("example").debug("Not configured, so not printed");
 * ```
 *
 * @module
 */
export * from "./log.ts";
