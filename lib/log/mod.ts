/**
 * Structured logs: JSON lines (or text on a terminal) on stderr through LogTape, with
 * secrets redacted, and the task scope whose fields (`task_id`, `trace_id`, `node_id`,
 * `hop`) every line written while handling a task carries. A leaf every layer uses,
 * down to the permission-scoped mDNS worker, so it imports nothing of the node.
 *
 * @example
 * ```ts
 * import { logger, withTask } from "./mod.ts";
 * withTask({ task_id: "t1", trace_id: "0".repeat(32), node_id: "n1", hop: 0 }, () => {
 *   logger("example").debug("Handling the task");
 * });
 * ```
 *
 * @module
 */
export * from "./log.ts";
export * from "./task_context.ts";
