/**
 * Observability: the node's typed events and their bus, the log line each node event
 * stands for, the `/events` stream, Prometheus metrics, W3C trace context and
 * OpenTelemetry spans. (Log lines themselves are lib/log.)
 *
 * @example
 * ```ts
 * import { EventBus } from "./mod.ts";
 * const bus = new EventBus("node-1");
 * const seen: string[] = [];
 * bus.subscribe((event) => seen.push(event.type));
 * bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
 * console.assert(seen[0] === "capabilities_changed");
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
