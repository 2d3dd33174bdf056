/**
 * A stand-in for a SkillLite `skilllite swarm` daemon, written from DESIGN.md §3: it
 * answers `/status` with only SkillLite's two fields (no node id, no capabilities),
 * `/can-do` for its own tags, and runs `/task` itself, with SkillLite's plain-text
 * framework errors. Used to prove the who-can-do broadcast and interoperability with
 * peers that do not speak swarm's extensions.
 *
 * @module
 */

/** A running stand-in peer. */
export interface SkillLitePeer {
  url: string;
  port: number;
  /** Tasks it received, with the headers they came with. */
  received: Array<{ body: Record<string, unknown>; headers: Headers }>;
  /** Every request it got, in order: method, path and `Authorization` header. */
  requests: Array<{ method: string; path: string; authorization: string | null }>;
  /** `/can-do` questions it answered. */
  canDoAsked: number;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 with the given capability tags. */
export function startSkillLitePeer(
  options: { capabilities: string[]; token?: string; instanceName?: string },
): SkillLitePeer {
  const instance = options.instanceName ?? crypto.randomUUID();
  const state = {
    received: [] as SkillLitePeer["received"],
    requests: [] as SkillLitePeer["requests"],
    canDoAsked: 0,
  };
  const authorized = (req: Request) => {
    if (!options.token) return true;
    const parts = (req.headers.get("authorization") ?? "").trim().split(/\s+/);
    return parts.length === 2 && parts[0].toLowerCase() === "bearer" && parts[1] === options.token;
  };
  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    state.requests.push({
      method: req.method,
      path: url.pathname,
      authorization: req.headers.get("authorization"),
    });
    if (url.pathname === "/task" && req.method === "POST") {
      // SkillLite's framework parses the body before its handler checks the token.
      if (!(req.headers.get("content-type") ?? "").includes("application/json")) {
        return new Response("Expected request with `Content-Type: application/json`", {
          status: 415,
        });
      }
      let body: Record<string, unknown>;
      try {
        body = await req.json();
      } catch {
        return new Response("Failed to parse the request body as JSON", { status: 400 });
      }
      if (typeof body.id !== "string" || typeof body.description !== "string") {
        return new Response("Failed to deserialize the JSON body", { status: 422 });
      }
      if (!authorized(req)) return json({ error: "unauthorized", message: "Invalid token" }, 401);
      state.received.push({ body, headers: req.headers });
      return json({
        task_id: body.id,
        response: `skilllite ${instance} did: ${body.description}`,
        task_completed: true,
        tool_calls: 0,
      });
    }
    // axum answers an unknown route 404 before any handler (and its token check) runs.
    if (!["/status", "/can-do"].includes(url.pathname)) {
      return new Response("Not Found", { status: 404 });
    }
    if (!authorized(req)) return json({ error: "unauthorized", message: "Invalid token" }, 401);
    if (url.pathname === "/status") return json({ status: "idle", current_task_id: null });
    if (url.pathname === "/can-do") {
      state.canDoAsked++;
      const required = (url.searchParams.get("required") ?? "").split(",").map((s) => s.trim())
        .filter(Boolean);
      return json({
        can_do: required.every((t) => options.capabilities.includes(t)),
        instance_name: instance,
      });
    }
    return new Response("Not Found", { status: 404 });
  });
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get received() {
      return state.received;
    },
    get requests() {
      return state.requests;
    },
    get canDoAsked() {
      return state.canDoAsked;
    },
    close: () => server.shutdown(),
  };
}
