/**
 * The executor boundary: how a task runs on this node.
 *
 * @module
 */
import type { NodeResult, NodeTask } from "../protocol/mod.ts";
import type { Grant } from "../security/mod.ts";

/** Progress reported by an executor while it runs. */
export interface ExecutionProgress {
  /** The skill chosen to run the task, when a skill executor is used. */
  skill?: string;
}

/** Options of one execution. */
export interface ExecuteOptions {
  /** Capability tags the task needs (given or inferred); used to pick a skill. */
  capabilities: string[];
  /** Aborts the run (the child process is killed). */
  signal?: AbortSignal;
  /** Called once the executor knows what it will run. */
  onProgress?: (progress: ExecutionProgress) => void;
  /**
   * What the caller may run; a skill (or the agent command) outside it is refused with
   * 403 `forbidden`. Absent: anything.
   */
  grant?: Grant;
}

/**
 * Runs a task locally and returns its NodeResult. Failures of the task itself are a
 * NodeResult with `task_completed: false`; failures to run at all throw a
 * `SwarmError` (`skill_not_found`, `ambiguous_skill`, `execution_failed`, …).
 * Implementations must be safe to call concurrently.
 */
export interface Executor {
  /** Short description for status output (`skills`, `command`). */
  readonly kind: string;
  /** Runs `task` on this node and resolves to its result (failures: see {@link Executor}). */
  execute(task: NodeTask, options: ExecuteOptions): Promise<NodeResult>;
}
