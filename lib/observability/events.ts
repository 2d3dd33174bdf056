/**
 * The node's typed events, and the in-process bus that carries them to logs, metrics,
 * the `/events` stream and any embedder's hook. One event = one fact that happened.
 *
 * @module
 */

/** Fields every event carries. */
export interface EventBase {
  /** Sequence number, increasing per node process (the SSE event id). */
  id: number;
  /** ISO 8601 time the event happened. */
  time: string;
  /** The node that emitted it. */
  node_id: string;
}

/** Task fields of task events. */
export interface TaskFields {
  /** The task's id (its idempotency key). */
  task_id: string;
  /** W3C trace id (32 hex) shared by every hop of the task. */
  trace_id: string;
  /** Hops the task had crossed when it reached this node. */
  hop: number;
}

/** Every event, discriminated by `type`. */
export type NodeEventData =
  | {
    type: "swarm_started";
    url: string;
    version: string;
    capabilities: string[];
    /** Skills loaded. */
    skills: number;
    /** The skills are swarm's starter skills (no skills directory was given or found). */
    starter_skills: boolean;
    /** What runs local tasks: `skills`, `command`, `skills+command` or `none`. */
    executor: string;
    /** Static peer seeds configured. */
    peers: number;
  }
  | { type: "swarm_stopping"; reason: string }
  | { type: "peer_joined"; peer: string; address: string; source: string; capabilities: string[] }
  | { type: "peer_left"; peer: string; source: string; reason: string }
  | { type: "peer_state_changed"; peer: string; from: string; to: string }
  | { type: "capabilities_changed"; capabilities: string[] }
  | (
    & {
      type: "task_received";
      required_capabilities: string[];
      stream: boolean;
      /** Who sent it: how it authenticated, its subject, token id or certificate. */
      caller?: CallerInfo;
    }
    & TaskFields
  )
  | ({ type: "task_deduplicated"; state: "done" | "running" } & TaskFields)
  | (
    & { type: "task_routed"; route: string; required_capabilities: string[]; inference?: string }
    & TaskFields
  )
  | ({ type: "task_forwarded"; peer: string; attempt: number } & TaskFields)
  | (
    & { type: "task_retried"; peer: string; attempt: number; error: string; delay_ms: number }
    & TaskFields
  )
  | (
    & { type: "task_executed"; skill?: string; duration_ms: number; completed: boolean }
    & TaskFields
  )
  | ({
    type: "task_completed";
    route: string;
    peer?: string;
    duration_ms: number;
    completed: boolean;
  } & TaskFields)
  | (
    & { type: "task_failed"; route: string; error: string; status: number; duration_ms: number }
    & TaskFields
  )
  | {
    type: "skill_release_received";
    /** Skill name and version the release states. */
    name: string;
    version: string;
    /** The release's digest (SHA-256 of its signed statement). */
    digest: string;
    /** Trust-store name of the publisher that signed it. */
    publisher: string;
    /** `installed`, `accepted`, `rollback`, `equivocation` or `malformed` (see skill-sync.md). */
    verdict: string;
    /** `publisher` (handed to this node) or the id of the peer that sent it. */
    from: string;
  }
  | {
    type: "skill_refused";
    /** A refusal word of skill sync: `unsigned`, `untrusted_publisher`, `rollback`, … */
    reason: string;
    message: string;
    /** `publisher`, `install`, or the id of the peer the release or file came from. */
    from: string;
    name?: string;
    version?: string;
    digest?: string;
  }
  | {
    type: "skill_installed";
    name: string;
    version: string;
    fingerprint: string;
    digest: string;
    /** Fingerprint of the release it replaced; null for a first install. */
    previous: string | null;
  }
  | {
    type: "revocations_received";
    /** The statement's digest. */
    digest: string;
    /** The keyring key that signed it. */
    kid: string;
    /** How many token ids it revokes. */
    revoked: number;
    /** `publisher` (handed to this node) or the id of the peer that sent it. */
    from: string;
  }
  | {
    type: "auth_failed";
    /** `missing`, `invalid`, a scoped token's refusal reason, or `forbidden` (403). */
    reason: string;
    path: string;
    /** The missing scope, for `forbidden`. */
    scope?: string;
    /** The refused caller's token subject or certificate name, for `forbidden`. */
    subject?: string;
    /** The caller's address, when known. */
    source?: string;
    /**
     * Failures this event stands for, in the event history: repeats of the same reason
     * from the same source within a window are folded into the window's first event
     * (`path` is the first one's). Absent = 1.
     */
    count?: number;
    /** Time of the last failure folded into this event (ISO 8601), when `count` > 1. */
    last_time?: string;
  };

/** The authenticated sender of a task, as events show it (never a secret). */
export interface CallerInfo {
  /** `open`, `shared-secret`, `token` or `client-cert`. */
  method: string;
  /** Token subject or certificate common name. */
  subject: string;
  /** Scoped token id (`jti`). */
  token_id?: string;
  /** SHA-256 fingerprint of the verified client certificate. */
  cert_fingerprint256?: string;
}

/** An event as delivered: its data plus the common fields. */
export type NodeEvent = NodeEventData & EventBase;

/** Names of all event types. */
export type NodeEventType = NodeEvent["type"];

/**
 * Receives every event, synchronously, in order. Must not throw and must not block: a
 * hook that needs I/O queues the event and returns.
 */
export type EventHook = (event: NodeEvent) => void;

/**
 * Fans events out to hooks. Hooks that throw are isolated: the others still get the
 * event and the emitter never sees the error.
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * const bus = new EventBus("node-1");
 * const seen: string[] = [];
 * bus.subscribe((e) => seen.push(e.type));
 * bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
 * console.assert(seen[0] === "capabilities_changed");
 * ```
 */
export class EventBus {
  readonly #nodeId: string;
  readonly #hooks = new Set<EventHook>();
  #next = 1;

  /** Creates a bus stamping events with `nodeId`. */
  constructor(nodeId: string) {
    this.#nodeId = nodeId;
  }

  /** Adds a hook; returns a function that removes it. */
  subscribe(hook: EventHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  /** Stamps `data` with an id, the time and the node id, and hands it to every hook. */
  emit(data: NodeEventData): NodeEvent {
    const event = {
      ...data,
      id: this.#next++,
      time: new Date().toISOString(),
      node_id: this.#nodeId,
    } as NodeEvent;
    for (const hook of this.#hooks) {
      try {
        hook(event);
      } catch {
        // A broken hook must not break the node or the other hooks.
      }
    }
    return event;
  }
}
