/**
 * Wire types of SkillLite's `skilllite swarm` protocol (DESIGN.md §3), plus the
 * optional extensions swarm adds. A SkillLite peer ignores the extensions.
 *
 * @module
 */

/** Execution context of a task. The four keys are SkillLite's. */
export interface TaskContext {
  /** Caller's workspace, kept as a label only: swarm never runs a task in a caller-chosen path. */
  workspace: string;
  /** Caller's session key (SkillLite default `"default"`). */
  session_key: string;
  /** Capability tags the executing node must hold, matched exactly. Defaults to `[]`. */
  required_capabilities: string[];
}

/** Body of `POST /task`. */
export interface NodeTask {
  /** Task id (a UUID in practice); the key for deduplication and tracing. */
  id: string;
  /** Natural-language description of the work. */
  description: string;
  /** Where and with what capabilities the task runs. */
  context: TaskContext;
  /** Name of the skill or tool the caller suggests. Omitted when absent. */
  tool_hint?: string;
  /** swarm extension: JSON input handed to the skill on stdin. */
  input?: unknown;
  /**
   * swarm extension: the task's time budget in milliseconds, from its arrival at the
   * first node; capped by each node's `--task-timeout-ms`. A forwarding node sends the
   * remaining budget in the `x-swarm-deadline-ms` header instead.
   */
  timeout_ms?: number;
}

/** A skill created while running a task (always absent from SkillLite nodes). */
export interface NewSkill {
  /** The skill's name. */
  name: string;
  /** What the skill does. */
  description: string;
  /** Where the skill was written, on the node that created it. */
  path: string;
  /** Id of the transaction that created it, as the creating node reported it. */
  txn_id: string;
}

/** Success body of `POST /task`. */
export interface NodeResult {
  /** Id of the task answered (a peer's result is passed on as is, even with another id). */
  task_id: string;
  /** The answer as text (a skill's stdout JSON, verbatim). */
  response: string;
  /** Whether the task succeeded; when `false`, `response` says why. */
  task_completed: boolean;
  /** A non-negative integer: SkillLite rejects a whole result otherwise. */
  tool_calls: number;
  /** The skill the task created; absent or null when none. */
  new_skill?: NewSkill | null;
  /** swarm extension: the W3C trace id shared by every hop of the task. */
  trace_id?: string;
}

/** Body of `GET /status`: SkillLite's two fields first, swarm's extensions after. */
export interface StatusBody {
  /** `busy` while at least one task is in flight. */
  status: "idle" | "busy";
  /** Id of the most recently started task in flight; null when idle. */
  current_task_id: string | null;
  /**
   * swarm's extensions (`node_id`, `capabilities`, `running_tasks`, …); absent from
   * SkillLite nodes.
   */
  [extension: string]: unknown;
}

/** Body of `GET /can-do`. */
export interface CanDoBody {
  /** Whether the node itself holds every required tag (`true` when none are required). */
  can_do: boolean;
  /** Name of the answering node (a swarm node gives its node id). */
  instance_name: string;
}

/** JSON error body shared by every error answer: `{error, message}`. */
export interface ErrorBody {
  /** Stable error code, e.g. `no_match`. */
  error: string;
  /** Human-readable description. */
  message: string;
  /** Details that go with the code, e.g. `required_capabilities` for `no_match`. */
  [detail: string]: unknown;
}

/** One line of the NDJSON progress stream of `POST /task?stream=1`. */
export type StreamEvent =
  | { event: "received"; task_id: string; node?: string }
  | { event: "executing"; node?: string; skill?: string }
  | { event: "forwarding"; peer: string; address: string; attempt: number }
  | { event: "done"; result: NodeResult }
  | { event: "error"; error: ErrorBody };

/** Header carrying how many swarm hops a task already crossed (swarm extension). */
export const HOPS_HEADER = "x-swarm-hops";
/** Header listing the node ids a task already visited, comma-separated (swarm extension). */
export const VIA_HEADER = "x-swarm-via";
/** Header naming the node that answered (swarm extension). */
export const NODE_HEADER = "x-swarm-node";
/** Content type of the progress stream. */
export const NDJSON = "application/x-ndjson";
/** Version of swarm's extensions to the SkillLite protocol, advertised to peers. */
export const PROTOCOL_VERSION = 1;
