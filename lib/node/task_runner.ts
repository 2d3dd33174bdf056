/**
 * One task's life on this node, between the HTTP layer and the router: deduplication
 * by task id (persisted in Deno KV), sharing of a running execution with duplicates,
 * the task's deadline, and cancellation at shutdown.
 *
 * @module
 */
import type { Inflight, RouteOptions, SharedExecution, TaskRouter } from "../http/mod.ts";
import {
  activeTraceContext,
  type CallerInfo,
  type EventBus,
  formatTraceparent,
  newSpanId,
  newTraceId,
  withSpan,
} from "../observability/mod.ts";
import { currentTask, withTask } from "../log/mod.ts";
import {
  type NodeResult,
  type NodeTask,
  type StreamEvent,
  SwarmError,
  toSwarmError,
} from "../protocol/mod.ts";
import { Deadline, type Router, taskBudgetMs } from "../routing/mod.ts";
import { type KvTaskStore, taskFingerprint } from "../store/mod.ts";
import type { ForwardingRules, Grant } from "../security/mod.ts";
import { type Clock, systemClock } from "../time/mod.ts";

/** Dependencies of {@link TaskRunner}. */
export interface TaskRunnerDeps {
  router: Pick<Router, "route">;
  /** The task store, once Deno KV is open. */
  store: () => Promise<KvTaskStore>;
  inflight: Inflight;
  /** Default and largest task budget, in milliseconds (`--task-timeout-ms`). */
  taskTimeoutMs: number;
  /** Aborted when the node gives up on in-flight work (drain timeout). */
  shutdown: AbortSignal;
  /** Notes worth a log line (duplicates served, conflicts). */
  log: (message: string, props: Record<string, unknown>) => void;
  /** Where task events go (logs are separate: see `log`). */
  events: EventBus;
  /** This node's id, for the task context. */
  nodeId: string;
  /**
   * How the caller's grant shapes routing: the scope check of inferred tags, the peers
   * allowed and the credential forwarded (see `forwardingFor`).
   */
  forwarding?: (grant: Grant | undefined) => ForwardingRules;
  /**
   * Where task durations, the times stored with task records, and the task deadlines'
   * timers come from.
   *
   * @default {systemClock}
   */
  clock?: Clock;
}

function callerInfo(grant: Grant): CallerInfo {
  return {
    method: grant.method,
    subject: grant.subject,
    ...(grant.tokenId ? { token_id: grant.tokenId } : {}),
    ...(grant.clientCert ? { cert_fingerprint256: grant.clientCert.fingerprint256 } : {}),
  };
}

/** How many times a duplicate re-reads the store when the run it joined just ended. */
const REJOIN_ATTEMPTS = 5;

/**
 * Runs each task id at most once per retention window: a duplicate of a finished task
 * gets the stored result, a duplicate of a running one shares that execution, a reused
 * id with another body is refused (409 `task_conflict`). A run left behind by a crash is
 * run again, asking the peer that owned it first.
 */
export class TaskRunner implements TaskRouter {
  readonly #deps: TaskRunnerDeps;
  readonly #clock: Clock;

  /** A runner over `deps`; it keeps no state of its own beyond them. */
  constructor(deps: TaskRunnerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
  }

  /**
   * Routes `task` once, whatever the number of times it arrives. The result and any
   * error carry the task's `trace_id` (the caller's trace, or a new one).
   */
  route(task: NodeTask, options: RouteOptions): Promise<NodeResult> {
    const scope = {
      task_id: task.id,
      trace_id: options.trace?.traceId ?? newTraceId(),
      node_id: this.#deps.nodeId,
      hop: options.hops,
      outcome: {} as { route?: string; peer?: string },
    };
    return withTask(scope, async () => {
      const fields = { task_id: scope.task_id, trace_id: scope.trace_id, hop: scope.hop };
      const { events } = this.#deps;
      const clock = this.#clock;
      const started = clock.now();
      events.emit({
        type: "task_received",
        ...fields,
        required_capabilities: task.context.required_capabilities,
        stream: options.onEvent !== undefined,
        ...(options.grant ? { caller: callerInfo(options.grant) } : {}),
      });
      try {
        const result = await this.#route(task, options, scope.trace_id);
        events.emit({
          type: "task_completed",
          ...fields,
          route: scope.outcome.route ?? "deduplicated",
          ...(scope.outcome.peer ? { peer: scope.outcome.peer } : {}),
          duration_ms: Math.max(0, Math.round(clock.now() - started)),
          completed: result.task_completed,
        });
        // A duplicate gets the stored answer as it was, with the original run's trace.
        return result.trace_id ? result : { ...result, trace_id: scope.trace_id };
      } catch (err) {
        const error = toSwarmError(err);
        error.details.trace_id = scope.trace_id;
        events.emit({
          type: "task_failed",
          ...fields,
          route: scope.outcome.route ?? "rejected",
          error: error.code,
          status: error.status,
          duration_ms: Math.max(0, Math.round(clock.now() - started)),
        });
        throw error;
      }
    });
  }

  async #route(task: NodeTask, options: RouteOptions, traceId: string): Promise<NodeResult> {
    const store = await this.#deps.store();
    const fingerprint = await taskFingerprint(task);
    for (let attempt = 0; attempt < REJOIN_ATTEMPTS; attempt++) {
      const admission = await store.begin(task, fingerprint, this.#clock.now());
      switch (admission.kind) {
        case "conflict":
          this.#deps.log("task_conflict", { taskId: task.id });
          throw new SwarmError(
            "task_conflict",
            `Task id '${task.id}' was already used for a different task`,
            { task_id: task.id },
          );
        case "done":
          this.#deduplicated(task, "done");
          return admission.result;
        case "running": {
          const shared = this.#deps.inflight.join(task.id);
          if (!shared) break; // It ended between begin and join: read the store again.
          this.#deduplicated(task, "running");
          return await follow(shared, options.onEvent);
        }
        default: {
          // "new", or "orphaned" (its run died with an earlier process): run it now. No
          // await before run(): a duplicate arriving meanwhile must find it to join.
          const owner = admission.kind === "orphaned" ? admission.record.owner : undefined;
          const shared = this.#deps.inflight.run(
            task.id,
            (emit) => this.#execute(task, options, emit, store, owner, traceId),
          );
          return await follow(shared, options.onEvent);
        }
      }
    }
    throw new SwarmError("internal", `Task '${task.id}' kept changing state; try again`);
  }

  #deduplicated(task: NodeTask, state: "done" | "running"): void {
    const scope = currentTask();
    if (scope) scope.outcome = { route: "deduplicated" };
    this.#deps.log("task_deduplicated", { taskId: task.id, state });
    this.#deps.events.emit({
      type: "task_deduplicated",
      task_id: task.id,
      trace_id: scope?.trace_id ?? "",
      hop: scope?.hop ?? 0,
      state,
    });
  }

  async #execute(
    task: NodeTask,
    options: RouteOptions,
    emit: (event: StreamEvent) => void,
    store: KvTaskStore,
    owner: string | undefined,
    traceId: string,
  ): Promise<NodeResult> {
    const { taskTimeoutMs } = this.#deps;
    const deadline = new Deadline(taskBudgetMs(options.budgetMs, taskTimeoutMs, taskTimeoutMs), {
      clock: this.#clock,
    });
    // The caller going away does not stop the run: its result is stored for a retry,
    // and duplicates may be sharing it. The deadline and shutdown do stop it.
    const signal = AbortSignal.any([deadline.signal(), this.#deps.shutdown]);
    // Once the task runs here or went to a peer, a shutdown that stops it cannot say
    // "never started": see mayHaveRunError.
    let mayHaveRun = false;
    const tracked = (event: StreamEvent) => {
      if (event.event === "executing" || event.event === "forwarding") mayHaveRun = true;
      emit(event);
    };
    try {
      const result = await withSpan(
        "swarm.task",
        { "swarm.task_id": task.id, "swarm.hop": options.hops },
        () =>
          this.#deps.router.route(task, {
            hops: options.hops,
            via: options.via,
            signal,
            deadline,
            onEvent: tracked,
            // With Deno's OpenTelemetry on, fetch sends the active span's traceparent.
            ...(activeTraceContext()
              ? {}
              : { traceparent: formatTraceparent(traceId, newSpanId()) }),
            ...(owner && owner !== "local" ? { preferPeer: owner } : {}),
            ...this.#deps.forwarding?.(options.grant),
            grant: options.grant,
          }),
      );
      // A local run stopped by the deadline still returns a (failed) result: the task
      // timed out, say so.
      signal.throwIfAborted();
      const traced = { ...result, trace_id: traceId };
      await store.finish(task.id, traced, this.#clock.now());
      return traced;
    } catch (err) {
      await store.abandon(task.id).catch(() => {});
      if (signal.aborted) throw mayHaveRun ? mayHaveRunError(signal.reason) : signal.reason;
      throw err;
    } finally {
      deadline.dispose();
    }
  }
}

/**
 * What a caller hears when the node's shutdown (a drain timeout, a second signal)
 * stopped a task that had started here or on a peer: not `draining`, which says "try
 * elsewhere" and invites a second run, but a non-retryable `execution_failed` saying the
 * task may have had effects. Other reasons (the deadline) pass through as they are.
 */
export function mayHaveRunError(reason: unknown): unknown {
  if (!(reason instanceof SwarmError) || reason.code !== "draining") return reason;
  return new SwarmError(
    "execution_failed",
    `${reason.message}: the task had started and was stopped; it may have had effects`,
    { interrupted: true, may_have_run: true },
    { cause: reason },
  );
}

async function follow(
  shared: SharedExecution,
  onEvent: ((event: StreamEvent) => void) | undefined,
): Promise<NodeResult> {
  if (onEvent) { for await (const event of shared.events()) onEvent(event); }
  return await shared.result;
}
