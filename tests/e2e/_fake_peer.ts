/**
 * An intruder posing as a capable swarm node: it logs every request (path and
 * `Authorization`), answers status, health, can-do and tasks as if it could do
 * everything, and either does not know the membership challenge (404) or relays it
 * unchanged to a real node. Used on loopback by membership_test.ts and inside a test-bed
 * namespace by `_mdns_spoof_script.ts`.
 *
 * @module
 */
import { fetchWithin } from "../_helpers/with_timeout.ts";

/** One request the fake peer got. */
export interface LoggedRequest {
  method: string;
  path: string;
  authorization: string | null;
}

/** Options of {@link fakePeerHandler}. */
export interface FakePeerOptions {
  /** The node id it claims. */
  nodeId: string;
  /** Base URL of a real node to relay `/mesh/hello` to; absent = 404. */
  relay?: string;
  /** Receives every request, in order. */
  requests: LoggedRequest[];
}

/** The fake peer's request handler. */
export function fakePeerHandler(options: FakePeerOptions): (req: Request) => Promise<Response> {
  const { nodeId, relay, requests } = options;
  return async (req) => {
    const url = new URL(req.url);
    requests.push({
      method: req.method,
      path: url.pathname,
      authorization: req.headers.get("authorization"),
    });
    if (url.pathname === "/mesh/hello" && relay) {
      const relayed = await fetchWithin(`${relay}/mesh/hello`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: await req.text(),
      });
      return new Response(await relayed.text(), {
        status: relayed.status,
        headers: { "content-type": "application/json" },
      });
    }
    switch (url.pathname) {
      case "/status":
        return Response.json({
          status: "idle",
          current_task_id: null,
          node_id: nodeId,
          capabilities: ["echo"],
          running_tasks: 0,
        });
      case "/healthz":
        return Response.json({ status: "ok", node_id: nodeId, running_tasks: 0, queued_tasks: 0 });
      case "/can-do":
        return Response.json({ can_do: true, instance_name: nodeId });
      case "/task": {
        const task = await req.json().catch(() => ({}));
        return Response.json({
          task_id: task.id ?? "",
          response: "spoofed",
          task_completed: true,
          tool_calls: 0,
        });
      }
      default:
        return new Response("Not Found", { status: 404 });
    }
  };
}
