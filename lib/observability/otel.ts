/**
 * OpenTelemetry glue: with `OTEL_DENO=true`, Deno's built-in SDK traces `Deno.serve` and
 * `fetch`; these helpers make swarm's trace id the active span's, and add swarm's own
 * spans (route decision, forward attempt, local execution). Without OTEL they cost a
 * no-op call.
 *
 * @module
 */
import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { TraceContext } from "./trace_context.ts";

const tracer = trace.getTracer("swarm");

/**
 * The trace context of the active span (the incoming request's, when Deno's OTEL is
 * on), or null when there is none.
 */
export function activeTraceContext(): TraceContext | null {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || /^0+$/.test(context.traceId)) return null;
  return { traceId: context.traceId, parentId: context.spanId, flags: context.traceFlags };
}

/**
 * Runs `fn` inside a span named `name` (a child of the active span), recording an
 * exception and an error status when it throws.
 */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: () => Promise<T>,
): Promise<T> {
  return await tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: String((err as Error)?.message ?? err),
      });
      throw err;
    } finally {
      span.end();
    }
  });
}
