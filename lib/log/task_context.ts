/**
 * The task a piece of async work belongs to, carried implicitly (AsyncLocalStorage):
 * log lines and event hooks read it, so every line about a task names its task id,
 * trace id, node and hop without threading them through every call.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** What is known about the current task. */
export interface TaskScope {
  /** The task's id. */
  task_id: string;
  /** Its W3C trace id (32 hex). */
  trace_id: string;
  /** This node's id. */
  node_id: string;
  /** Hops the task had crossed when it reached this node. */
  hop: number;
  /** Filled in as routing proceeds: the route taken and the peer that answered. */
  outcome?: { route?: string; peer?: string };
}

/** The storage LogTape reads for implicit log context, shared with event hooks. */
export const taskStorage: AsyncLocalStorage<Record<string, unknown>> = new AsyncLocalStorage();

/** Runs `fn` with `scope` as the current task. */
export function withTask<T>(scope: TaskScope, fn: () => T): T {
  return taskStorage.run(scope as unknown as Record<string, unknown>, fn);
}

/** The current task, or undefined outside a task. */
export function currentTask(): TaskScope | undefined {
  return taskStorage.getStore() as TaskScope | undefined;
}
