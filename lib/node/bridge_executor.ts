/**
 * The worker's side of local execution: tasks are handed to the privileged main
 * process (which alone may spawn sandboxes) and their results come back by message.
 *
 * @module
 */
import {
  type ErrorBody,
  type NodeResult,
  type NodeTask,
  type SwarmError,
  swarmErrorOfBody,
} from "../protocol/mod.ts";
import type { ExecuteOptions } from "../execution/mod.ts";
import type { FromWorker } from "./messages.ts";

interface Pending {
  resolve: (result: NodeResult) => void;
  reject: (err: SwarmError) => void;
  options: ExecuteOptions;
}

/** Sends executions to the main process and settles them when it answers. */
export class BridgeExecutor {
  #post: (message: FromWorker) => void;
  #pending = new Map<number, Pending>();
  #next = 1;

  constructor(post: (message: FromWorker) => void) {
    this.#post = post;
  }

  /** Runs `task` in the main process. */
  execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult> {
    const id = this.#next++;
    return new Promise<NodeResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, options });
      options.signal?.addEventListener("abort", () => {
        if (this.#pending.has(id)) this.#post({ type: "exec-cancel", id });
      }, { once: true });
      // The raw token stays in the worker: the main process needs only the scope.
      const grant = options.grant ? { ...options.grant, token: undefined } : undefined;
      this.#post({ type: "exec", id, task, capabilities: options.capabilities, grant });
    });
  }

  /** Delivers a progress note from the main process. */
  progress(id: number, skill?: string): void {
    this.#pending.get(id)?.options.onProgress?.({ skill });
  }

  /** Delivers a result from the main process. */
  settle(id: number, result: NodeResult): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    pending?.resolve(result);
  }

  /** Delivers a failure from the main process. */
  fail(id: number, error: ErrorBody): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    pending?.reject(swarmErrorOfBody(error));
  }
}
