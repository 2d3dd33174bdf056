/**
 * The log lines that node events stand for. A site that notices something emits one
 * event; this subscriber writes its log line, so a fact is never logged by hand beside
 * its event (and the two cannot drift apart).
 *
 * @module
 */
import type { EventBus, NodeEvent } from "./events.ts";

/** Where the lines go: the node's `info` log. */
export interface EventLogSink {
  /** Writes one log line with `message` and its properties. */
  info(message: string, props: Record<string, unknown>): void;
}

/**
 * The log line of `event`, as `[message, properties]`, or undefined for events that
 * are not logged (task events: the task's own `task_routed` line and the metrics carry
 * them; one line per task step would flood a busy node's log).
 *
 * @example
 * ```ts
 * import { logLineOf } from "./event_log.ts";
 * const line = logLineOf({
 *   type: "peer_state_changed", peer: "b", from: "alive", to: "dead",
 *   id: 1, time: "2026-01-01T00:00:00.000Z", node_id: "a",
 * });
 * console.assert(line?.[0] === "peer_state" && line[1].to === "dead");
 * ```
 */
export function logLineOf(event: NodeEvent): [string, Record<string, unknown>] | undefined {
  switch (event.type) {
    case "swarm_started":
      return ["swarm_started", {
        node_id: event.node_id,
        url: event.url,
        version: event.version,
        capabilities: event.capabilities,
        skills: event.skills,
        starter_skills: event.starter_skills,
        executor: event.executor,
        peers: event.peers,
      }];
    case "peer_joined":
      return ["peer_joined", {
        peer: event.peer,
        address: event.address,
        capabilities: event.capabilities,
        source: event.source,
      }];
    case "peer_left":
      return ["peer_left", { peer: event.peer, reason: event.reason, source: event.source }];
    case "peer_state_changed":
      return ["peer_state", { peer: event.peer, from: event.from, to: event.to }];
    case "auth_failed":
      return event.reason === "forbidden"
        ? ["auth_forbidden", { scope: event.scope, subject: event.subject, path: event.path }]
        : ["auth_failed", { reason: event.reason, path: event.path, source: event.source }];
    case "skill_release_received":
      return ["skill_release", {
        name: event.name,
        version: event.version,
        digest: event.digest,
        publisher: event.publisher,
        verdict: event.verdict,
        from: event.from,
      }];
    case "skill_refused": {
      const { reason, message, from, name, version, digest } = event;
      // `detail`, not `message`: the log line's own message is the event name.
      return ["skill_refused", { reason, detail: message, from, name, version, digest }];
    }
    case "revocations_received":
      return ["revocations_received", {
        digest: event.digest,
        kid: event.kid,
        revoked: event.revoked,
        from: event.from,
      }];
    case "skill_installed":
      return ["skill_installed", {
        name: event.name,
        version: event.version,
        fingerprint: event.fingerprint,
        previous: event.previous,
      }];
    default:
      return undefined;
  }
}

/**
 * Writes the log line of every logged event `bus` carries; returns the unsubscribe
 * function.
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * import { logEvents } from "./event_log.ts";
 * const bus = new EventBus("a");
 * const lines: string[] = [];
 * logEvents(bus, { info: (message) => lines.push(message) });
 * bus.emit({ type: "peer_left", peer: "b", source: "mdns", reason: "goodbye" });
 * console.assert(lines[0] === "peer_left");
 * ```
 */
export function logEvents(bus: EventBus, sink: EventLogSink): () => void {
  return bus.subscribe((event) => {
    const line = logLineOf(event);
    if (line) sink.info(...line);
  });
}
