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
export * from "./events.ts";
export * from "./metrics.ts";
export * from "./trace_context.ts";
export * from "./task_ledger.ts";
export * from "./otel.ts";
export * from "./event_stream.ts";
export * from "./event_log.ts";
