/**
 * `POST /task` and `POST /task?stream=1`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import {
  NDJSON,
  NODE_HEADER,
  type NodeTask,
  type StreamEvent,
  SwarmError,
  toSwarmError,
} from "../../protocol/mod.ts";
import { DEADLINE_HEADER, parseHopHeaders, requestedBudgetMs } from "../../routing/mod.ts";
import {
  activeTraceContext,
  parseTraceparent,
  TRACEPARENT_HEADER,
} from "../../observability/mod.ts";
import { readTask } from "../read_task.ts";
import { BoundedEventStream } from "../bounded_event_stream.ts";
import { grantOf } from "../middleware/auth.ts";
import { checkTask } from "../../security/mod.ts";
import type { AppDeps, RouteOptions } from "../types.ts";

/** The task routes. Authentication runs before these (see `createApp`). */
export function taskRoutes(deps: AppDeps): Hono {
  return new Hono().post("/task", async (c) => {
    const task = await readTask(c, deps.maxBodyBytes, { timeoutMs: deps.bodyTimeoutMs });
    const grant = grantOf(c);
    const denial = checkTask(grant, {
      requiredCapabilities: task.context.required_capabilities,
      toolHint: task.tool_hint,
    });
    if (denial) {
      throw new SwarmError("forbidden", denial.message, { missing_scope: denial.scope });
    }
    const { ready, reason, draining } = deps.readiness();
    if (!ready) {
      // Both are retryable: a peer sends the task elsewhere, a client comes back later.
      throw draining
        ? new SwarmError("draining", "Node is shutting down: send the task to another node", {
          retry_after_s: 1,
        })
        : new SwarmError("not_ready", reason ?? "Node is not ready", { retry_after_s: 1 });
    }
    const budgetMs = requestedBudgetMs({
      header: c.req.header(DEADLINE_HEADER) ?? null,
      bodyTimeoutMs: task.timeout_ms,
    });
    if (budgetMs === "invalid") {
      throw new SwarmError(
        "invalid_request",
        `Header '${DEADLINE_HEADER}' must be a non-negative integer of milliseconds`,
        { field: DEADLINE_HEADER },
      );
    }
    if (budgetMs === 0) {
      throw new SwarmError("timeout", "The task's deadline had passed on arrival");
    }
    const options = {
      ...parseHopHeaders(c.req.raw.headers),
      budgetMs,
      // Deno's OpenTelemetry (OTEL_DENO=true) already started a span for this request:
      // join its trace when the caller sent none.
      trace: parseTraceparent(c.req.header(TRACEPARENT_HEADER)) ?? activeTraceContext(),
      grant,
    };
    c.header(NODE_HEADER, deps.nodeId);
    if (c.req.query("stream") === "1") return await streamTask(c, deps, task, options);
    deps.tracker.begin(task.id);
    try {
      const result = await deps.router.route(task, options);
      return c.json(result);
    } finally {
      deps.tracker.end(task.id);
    }
  });
}

/**
 * Streams progress as NDJSON. Routing runs first: if it fails before any progress
 * (no_match, loop, …) the answer is the plain JSON error with its status, as for a
 * non-streamed task; once streaming, failures become an `error` event.
 *
 * The body is a {@link BoundedEventStream}: it is read only as fast as the caller reads,
 * at most a few progress lines wait for a caller that does not, and the router's event
 * sink returns its back-pressure promise, so memory stays bounded however many events a
 * peer sends.
 */
async function streamTask(
  c: Context,
  deps: AppDeps,
  task: NodeTask,
  options: RouteOptions,
): Promise<Response> {
  const out = new BoundedEventStream();
  let begun = false;
  let firstEvent!: () => void;
  const gotEvent = new Promise<void>((resolve) => firstEvent = resolve);
  const begin = () => {
    if (begun) return;
    begun = true;
    out.push({ event: "received", task_id: task.id, node: deps.nodeId });
  };
  const onEvent = (event: StreamEvent): Promise<void> => {
    if (!begun) {
      begin();
      firstEvent();
    }
    return out.push(event);
  };
  deps.tracker.begin(task.id);
  const routed = deps.router.route(task, { ...options, onEvent });
  const settled = routed.then(() => true, () => true);
  await Promise.race([gotEvent, settled]);
  if (!begun) {
    // Routing ended without progress: a failure is a plain JSON error.
    try {
      await routed;
    } catch (err) {
      deps.tracker.end(task.id);
      out.close();
      throw err;
    }
    begin();
  }
  (async () => {
    try {
      out.end({ event: "done", result: await routed });
    } catch (err) {
      const error = toSwarmError(err);
      if (error.code === "internal") {
        deps.logError("Unhandled error", { error: err instanceof Error ? err.stack : String(err) });
      }
      if (error.code === "forbidden") {
        // A skill outside the caller's scope is found only once the stream has begun.
        deps.onForbidden?.(
          String(error.details.missing_scope),
          options.grant?.subject ?? "",
          c.req.path,
        );
      }
      out.end({ event: "error", error: error.toBody() });
    } finally {
      deps.tracker.end(task.id);
    }
  })();
  // x-accel-buffering: a reverse proxy (nginx) passes each progress line on at once.
  return c.body(out.readable, 200, {
    "content-type": NDJSON,
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
}
