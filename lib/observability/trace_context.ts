/**
 * W3C Trace Context (`traceparent`) for tasks: one trace id for every hop of a task.
 *
 * @module
 */

/** The W3C header carrying the trace context. */
export const TRACEPARENT_HEADER = "traceparent";

/** A parsed `traceparent`. */
export interface TraceContext {
  /** 32 lowercase hex digits, never all zero. */
  traceId: string;
  /** 16 lowercase hex digits of the caller's span, never all zero. */
  parentId: string;
  /** Trace flags (bit 0: sampled). */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Parses a `traceparent` header; null when absent or invalid (then a new trace starts).
 *
 * @example
 * ```ts
 * import { parseTraceparent } from "./trace_context.ts";
 * const t = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * console.assert(t?.traceId === "4bf92f3577b34da6a3ce929d0e0e4736");
 * ```
 */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  const match = TRACEPARENT.exec((header ?? "").trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, parentId, flags] = match;
  if (version === "ff" || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A fresh trace id (32 hex). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A fresh span id (16 hex). */
export function newSpanId(): string {
  return randomHex(8);
}

/**
 * The `traceparent` to send to the next hop: the same trace, this hop's span as parent.
 *
 * @example
 * ```ts
 * import { formatTraceparent } from "./trace_context.ts";
 * console.assert(formatTraceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7").startsWith("00-4bf9"));
 * ```
 */
export function formatTraceparent(traceId: string, spanId: string, flags = 1): string {
  return `00-${traceId}-${spanId}-${flags.toString(16).padStart(2, "0")}`;
}
