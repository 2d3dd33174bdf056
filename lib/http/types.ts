/**
 * What the HTTP layer needs from the rest of the node.
 *
 * @module
 */
import type { NodeResult, NodeTask, StreamEvent } from "../protocol/mod.ts";
import type { TaskTracker } from "./task_tracker.ts";
import type { EventStreamHub, TraceContext } from "../observability/mod.ts";
import type { Grant, RateLimiter } from "../security/mod.ts";
import type { MeshHelloDeps } from "./routes/mesh_hello.ts";
import type { SyncRouteDeps } from "./routes/sync.ts";

/** Options of one routed task. */
export interface RouteOptions {
  /** Swarm hops the task already crossed. */
  hops: number;
  /** Node ids the task already visited. */
  via: string[];
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /** Time budget the caller asked for (`x-swarm-deadline-ms` or `timeout_ms`), in ms. */
  budgetMs?: number;
  /** The caller's W3C trace context (`traceparent`), when it sent a valid one. */
  trace?: TraceContext | null;
  /** Receives progress events in stream mode. */
  onEvent?: (event: StreamEvent) => void;
  /** What the caller may do (its scope has been checked against the task already). */
  grant?: Grant;
}

/** Routes one task to wherever it runs and returns its result. */
export interface TaskRouter {
  /**
   * Runs `task` here or on a peer and resolves to its result; rejects (with a
   * SwarmError, or the signal's reason) when there is none.
   */
  route(task: NodeTask, options: RouteOptions): Promise<NodeResult>;
}

/** Dependencies of the HTTP app. */
export interface AppDeps {
  /** This node's stable id (`instance_name` in answers). */
  nodeId: string;
  /** The shared SkillLite token; undefined when none. A function so rotation needs no restart. */
  token: () => string | undefined;
  /**
   * Verifies a scoped token into a grant (rejecting with a `reason`); undefined when no
   * keyring is loaded. A function so the keyring reloads live.
   */
  verifyToken?: () => ((token: string) => Promise<Grant>) | undefined;
  /** Largest accepted body in bytes. */
  maxBodyBytes: number;
  /** Time a request body may take to arrive, in ms. @default {DEFAULT_BODY_TIMEOUT_MS} */
  bodyTimeoutMs?: number;
  /** Largest request header block, in bytes (431 beyond). */
  maxHeaderBytes?: number;
  /** Most request headers (431 beyond). */
  maxHeaders?: number;
  /** Per-client limiter of `POST /task`; undefined = no limit. */
  taskRateLimiter?: RateLimiter;
  /** Decides where each accepted task runs. */
  router: TaskRouter;
  /** In-flight tasks: feeds `/status` and is kept up to date by the task routes. */
  tracker: TaskTracker;
  /** Whether the node is ready for tasks, and why not. */
  readiness: () => { ready: boolean; reason?: string; draining?: boolean };
  /** Local executions running and waiting, reported by `/healthz` to peers' health checks. */
  load: () => { running: number; queued: number };
  /** Capability tags held locally. */
  localCapabilities: () => string[];
  /** swarm's extra `/status` fields (node id, version, grants, skills, peers, …). */
  statusExtras: () => Promise<Record<string, unknown>>;
  /** Records an unexpected error. */
  logError: (message: string, props: Record<string, unknown>) => void;
  /** Renders `/metrics`; the route is absent without it. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** The live event stream behind `GET /events`; the route is absent without it. */
  events?: EventStreamHub;
  /** Told about each refused authentication (for metrics and events). */
  onAuthFailure?: (reason: string, path: string) => void;
  /** Answers the membership challenge (`POST /mesh/hello`); the route is absent without it. */
  meshHello?: MeshHelloDeps;
  /** Skill sync (`/sync/*`); the routes are absent without it (no data dir). */
  sync?: SyncRouteDeps;
  /** Told about each refused authorization (403), with the missing scope. */
  onForbidden?: (scope: string, subject: string, path: string) => void;
}
