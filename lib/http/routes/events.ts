/**
 * `GET /events`: the node's live event stream, as Server-Sent Events or NDJSON.
 *
 * @module
 */
import { Hono } from "hono";
import type { EventStreamHub, EventSubscription, NodeEvent } from "../../observability/mod.ts";
import { NDJSON, SwarmError } from "../../protocol/mod.ts";

/** Response header set to `true` when events before the first one sent were lost. */
export const EVENTS_GAP_HEADER = "x-swarm-events-gap";

/** Content type of Server-Sent Events. */
const SSE = "text/event-stream";

/** Dependencies of {@link eventsRoutes}. */
export interface EventsRoutesDeps {
  /** The hub the node's event bus publishes to. */
  hub: EventStreamHub;
  /**
   * Milliseconds between keep-alive lines sent while no event flows (an SSE comment, or
   * an empty NDJSON line), so proxies keep the connection open and followers can tell
   * a quiet node from a dead connection. 0 sends none.
   *
   * @default {15_000}
   */
  heartbeatMs?: number;
}

const encoder = new TextEncoder();

/** One way of writing events on the wire. */
interface Framing {
  contentType: string;
  frame(event: NodeEvent): Uint8Array;
  heartbeat: Uint8Array;
}

const SSE_FRAMING: Framing = {
  contentType: SSE,
  // JSON.stringify escapes newlines, so the data always fits one `data:` line.
  frame: (e) => encoder.encode(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
  heartbeat: encoder.encode(": keep-alive\n\n"),
};

const NDJSON_FRAMING: Framing = {
  contentType: NDJSON,
  frame: (e) => encoder.encode(`${JSON.stringify(e)}\n`),
  heartbeat: encoder.encode("\n"),
};

/** The resume point of a request: `Last-Event-ID`, else `?last_event_id=`, else none. */
function lastEventIdOf(header: string | undefined, query: string | undefined): number | undefined {
  const [name, raw] = header !== undefined && header.trim() !== ""
    ? ["Header 'Last-Event-ID'", header.trim()]
    : ["Query parameter 'last_event_id'", query?.trim() ?? ""];
  if (raw === "") return undefined;
  const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new SwarmError(
      "invalid_request",
      `${name} must be a non-negative integer: current value is '${raw}'`,
      { field: name.includes("Header") ? "Last-Event-ID" : "last_event_id" },
    );
  }
  return id;
}

/** The `?types=a,b` filter: names trimmed, empty ones ignored; none means every type. */
function typesOf(query: string | undefined): string[] {
  return (query ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/**
 * Writes `subscription` as a response body, pulled as the client reads, with
 * keep-alives while idle. Cancelling the body (the client went away) closes the
 * subscription. When the subscription ends (hub closed, or follower dropped) the body
 * ends cleanly: a follower that was only slow reads what its socket still holds, sees
 * the end and resumes with its last id. (Erroring the body instead would cut the
 * connection of a stalled follower sooner, but Deno prints every body error to stderr.)
 */
function eventBody(
  subscription: EventSubscription,
  framing: Framing,
  heartbeatMs: number,
): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    clearInterval(timer);
    subscription.close();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (heartbeatMs <= 0) return;
      timer = setInterval(() => {
        // Only when nothing is waiting to be read, that is when the connection is idle.
        if ((controller.desiredSize ?? 0) <= 0) return;
        try {
          controller.enqueue(framing.heartbeat);
        } catch {
          clearInterval(timer);
        }
      }, heartbeatMs);
    },
    async pull(controller) {
      const { value, done } = await subscription.next();
      if (!done) {
        controller.enqueue(framing.frame(value));
        return;
      }
      clearInterval(timer);
      try {
        controller.close();
      } catch {
        // Already cancelled by the client.
      }
    },
    cancel: stop,
  }, { highWaterMark: 1 });
}

/**
 * The event stream route. `GET /events` answers Server-Sent Events (`id`, `event` and
 * `data` lines per event), or NDJSON (one event object per line) when `Accept` names
 * `application/x-ndjson`. `Last-Event-ID` (or `?last_event_id=`) resumes after that
 * event from the hub's ring; the `x-swarm-events-gap: true` header says some events
 * were lost in between. `?types=a,b` keeps only those event types. The stream lasts
 * until the client goes away, the hub closes, or the client falls so far behind that
 * the hub drops it. Authentication is the app's (see `createApp`).
 *
 * @throws {RangeError} When `heartbeatMs` is negative or not finite.
 * @example
 * ```ts
 * import { EventStreamHub } from "../../observability/event_stream.ts";
 * import { EventBus } from "../../observability/events.ts";
 * import { eventsRoutes } from "./events.ts";
 * const bus = new EventBus("n1");
 * const hub = new EventStreamHub();
 * hub.attach(bus);
 * bus.emit({ type: "capabilities_changed", capabilities: ["calc"] });
 * const app = eventsRoutes({ hub, heartbeatMs: 0 });
 * const response = await app.request("/events?last_event_id=0", {
 *   headers: { accept: "application/x-ndjson" },
 * });
 * hub.close();
 * const lines = (await response.text()).trim().split("\n");
 * console.assert(JSON.parse(lines[0]).type === "capabilities_changed");
 * ```
 *
 * @internal Only because it returns npm's `Hono`, which `deno doc --lint` wrongly
 * calls a private type (denoland/deno#27364).
 */
export function eventsRoutes(deps: EventsRoutesDeps): Hono {
  const { hub, heartbeatMs = 15_000 } = deps;
  if (!(heartbeatMs >= 0) || !Number.isFinite(heartbeatMs)) {
    throw new RangeError(
      `Cannot serve events as 'heartbeatMs' must be a non-negative number: current value is ${heartbeatMs}`,
    );
  }
  return new Hono().get("/events", function events(c) {
    const lastEventId = lastEventIdOf(c.req.header("last-event-id"), c.req.query("last_event_id"));
    const types = typesOf(c.req.query("types"));
    const framing = (c.req.header("accept") ?? "").toLowerCase().includes(NDJSON)
      ? NDJSON_FRAMING
      : SSE_FRAMING;
    const subscription = hub.subscribe({ lastEventId, types });
    const headers: Record<string, string> = {
      "content-type": framing.contentType,
      "cache-control": "no-store",
      // Tells nginx-style proxies not to hold events back.
      "x-accel-buffering": "no",
    };
    if (subscription.gap) headers[EVENTS_GAP_HEADER] = "true";
    return c.body(eventBody(subscription, framing, heartbeatMs), 200, headers);
  });
}
