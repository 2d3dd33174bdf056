/**
 * Counters and the most recent tasks, kept from the node's events for `/status`.
 *
 * @module
 */
import type { EventHook, NodeEvent } from "./events.ts";

/** One finished task as `/status` lists it. */
export interface RecentTask {
  /** The task's id. */
  task_id: string;
  /** Its trace id. */
  trace_id: string;
  /** `local`, `forward`, `broadcast`, `no_match`, `deduplicated`, `rejected`. */
  route: string;
  /** Peer that answered, for forwarded tasks. */
  peer?: string;
  /** `completed`, `not_completed` (the task ran but failed) or `failed` (an error answer). */
  outcome: "completed" | "not_completed" | "failed";
  /** Error code, for `failed`. */
  error?: string;
  /** Time from arrival to answer at this node, in milliseconds. */
  duration_ms: number;
  /** ISO time it finished. */
  at: string;
}

/** Task counters since the node started. */
export interface TaskCounters {
  /** Tasks that arrived (duplicates included). */
  received: number;
  /** Tasks answered with a result (completed or not). */
  completed: number;
  /** Tasks answered with an error. */
  failed: number;
  /** Duplicates answered from an earlier or running execution. */
  deduplicated: number;
  /** Forward attempts made. */
  forwarded: number;
  /** Forward attempts that were retries. */
  retried: number;
}

/** Keeps {@link TaskCounters} and the last `size` finished tasks. */
export class TaskLedger {
  readonly #size: number;
  readonly #recent: RecentTask[] = [];
  /** Counters since the node started. */
  readonly counters: TaskCounters = {
    received: 0,
    completed: 0,
    failed: 0,
    deduplicated: 0,
    forwarded: 0,
    retried: 0,
  };

  /** Creates a ledger remembering the last `size` tasks (default 20). */
  constructor(size = 20) {
    this.#size = size;
  }

  /** Subscribe this to the node's event bus. */
  readonly hook: EventHook = (event: NodeEvent) => {
    switch (event.type) {
      case "task_received":
        this.counters.received++;
        break;
      case "task_deduplicated":
        this.counters.deduplicated++;
        break;
      case "task_forwarded":
        this.counters.forwarded++;
        break;
      case "task_retried":
        this.counters.retried++;
        break;
      case "task_completed":
        this.counters.completed++;
        this.#push({
          task_id: event.task_id,
          trace_id: event.trace_id,
          route: event.route,
          ...(event.peer ? { peer: event.peer } : {}),
          outcome: event.completed ? "completed" : "not_completed",
          duration_ms: event.duration_ms,
          at: event.time,
        });
        break;
      case "task_failed":
        this.counters.failed++;
        this.#push({
          task_id: event.task_id,
          trace_id: event.trace_id,
          route: event.route,
          outcome: "failed",
          error: event.error,
          duration_ms: event.duration_ms,
          at: event.time,
        });
        break;
    }
  };

  /** The last finished tasks, newest first. */
  recent(): RecentTask[] {
    return [...this.#recent].reverse();
  }

  #push(task: RecentTask): void {
    this.#recent.push(task);
    if (this.#recent.length > this.#size) this.#recent.shift();
  }
}
