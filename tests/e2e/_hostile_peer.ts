/**
 * A fake swarm peer on loopback for the hostile-peer tests: it answers `/status`,
 * `/healthz`, `/can-do` and `/task` like a swarm node, or — per switch, changeable while
 * it runs — floods a route with hundreds of MiB, streams progress lines forever, lies
 * about its load, refuses tasks, answers garbage or redirects. It counts what it was
 * asked and how much of each flood was actually read.
 *
 * @module
 */
import { outputWithin } from "../_helpers/with_timeout.ts";

/** How the peer answers `POST /task` (and `?stream=1`). */
export type TaskBehaviour =
  /** A valid NodeResult naming this peer (streamed: received, executing, done). */
  | "ok"
  /** 403 `forbidden` in swarm's JSON error shape. */
  | "forbidden"
  /** 409 `task_conflict` in swarm's JSON error shape. */
  | "conflict"
  /** 200 with a body that is not JSON. */
  | "garbage"
  /** 200 with JSON that is not a NodeResult. */
  | "not_a_result"
  /** 200 with a JSON body `floodBytes` long that never closes its string. */
  | "flood"
  /** 200 NDJSON: `received`, then progress lines of ~60 KiB until cancelled. */
  | "progress_flood"
  /** 307 to `redirectTo`. */
  | "redirect";

/** Options of {@link startHostilePeer}. */
export interface HostilePeerOptions {
  /** Node id it reports in `/status`. */
  nodeId: string;
  /** Capability tags it reports in `/status` and answers `/can-do` for. */
  capabilities: string[];
  /** `running_tasks` it reports in `/status` and `/healthz`. @default {0} */
  load?: number;
  /** How it answers tasks. @default {"ok"} */
  task?: TaskBehaviour;
  /** Where a `redirect` points. */
  redirectTo?: string;
  /** Answer every `/status` after the first with a flood of `floodBytes`. @default {false} */
  floodStatus?: boolean;
  /** Answer every `/healthz` with a flood of `floodBytes`. @default {false} */
  floodHealthz?: boolean;
  /** Answer every `/can-do` with a flood of `floodBytes`. @default {false} */
  floodCanDo?: boolean;
  /** Length of each flood, in bytes. @default {400 MiB} */
  floodBytes?: number;
  /** Delay before each `/healthz` answer, in ms (to make it look slow). @default {0} */
  healthzDelayMs?: number;
  /** Serve HTTPS with this certificate and key. */
  tls?: { cert: string; key: string };
}

/** One flood the peer started. */
export interface Flood {
  /** Route flooded. */
  path: string;
  /** Bytes handed to the connection so far. */
  bytes: number;
  /** Whether the reader cancelled the body before its end. */
  cancelled: boolean;
  /** Whether the whole flood was sent. */
  finished: boolean;
}

/** A running fake peer. */
export interface HostilePeer {
  /** Base URL, `http(s)://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Switches, changeable while it runs. */
  options: HostilePeerOptions;
  /** Tasks it received (streamed or not), with their headers. */
  tasks: Array<{ body: Record<string, unknown>; headers: Headers; path: string }>;
  /** Requests per path (`/status`, `/healthz`, `/can-do`, `/task`, …). */
  hits: Record<string, number>;
  /** Every flood it started. */
  floods: Flood[];
  close(): Promise<void>;
}

const MIB = 1024 * 1024;
const encoder = new TextEncoder();

/** A body made of `head`, then `a`s up to `total` bytes, in 1 MiB chunks, counted. */
function floodBody(flood: Flood, head: string, total: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MIB).fill(0x61);
  let first = true;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (first) {
        first = false;
        const bytes = encoder.encode(head);
        flood.bytes += bytes.length;
        controller.enqueue(bytes);
        return;
      }
      if (flood.bytes >= total) {
        flood.finished = true;
        controller.close();
        return;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, total - flood.bytes));
      flood.bytes += part.length;
      controller.enqueue(part);
    },
    cancel() {
      flood.cancelled = true;
    },
  }, { highWaterMark: 0 });
}

/** NDJSON: `received`, then `executing` lines of about 60 KiB each, up to `total` bytes. */
function progressFlood(flood: Flood, nodeId: string, taskId: string, total: number) {
  const line = encoder.encode(
    JSON.stringify({ event: "executing", node: nodeId, skill: "s".repeat(60 * 1024) }) + "\n",
  );
  let first = true;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const bytes = first
        ? encoder.encode(
          JSON.stringify({ event: "received", task_id: taskId, node: nodeId }) + "\n",
        )
        : line;
      first = false;
      if (flood.bytes >= total) {
        flood.finished = true;
        controller.close();
        return;
      }
      flood.bytes += bytes.length;
      controller.enqueue(bytes);
    },
    cancel() {
      flood.cancelled = true;
    },
  }, { highWaterMark: 0 });
}

/** Starts the fake peer on 127.0.0.1 (a free port, or `port`). */
export function startHostilePeer(options: HostilePeerOptions, port = 0): HostilePeer {
  const state: Omit<HostilePeer, "url" | "port" | "close"> = {
    options,
    tasks: [],
    hits: {},
    floods: [],
  };
  const flood = (path: string, head: string, contentType = "application/json") => {
    const record: Flood = { path, bytes: 0, cancelled: false, finished: false };
    state.floods.push(record);
    return new Response(floodBody(record, head, options.floodBytes ?? 400 * MIB), {
      headers: { "content-type": contentType },
    });
  };
  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    const count = (state.hits[path] = (state.hits[path] ?? 0) + 1);
    const o = state.options;
    const load = o.load ?? 0;
    if (path === "/status" && req.method === "GET") {
      if (o.floodStatus && count > 1) {
        return flood(
          path,
          `{"status":"idle","current_task_id":null,"node_id":"${o.nodeId}","pad":"`,
        );
      }
      return Response.json({
        status: "idle",
        current_task_id: null,
        node_id: o.nodeId,
        instance_name: o.nodeId,
        capabilities: o.capabilities,
        running_tasks: load,
      });
    }
    if (path === "/healthz" && req.method === "GET") {
      if (o.healthzDelayMs) await new Promise((r) => setTimeout(r, o.healthzDelayMs));
      if (o.floodHealthz) return flood(path, `{"status":"ok","running_tasks":0,"pad":"`);
      return Response.json({
        status: "ok",
        node_id: o.nodeId,
        running_tasks: load,
        queued_tasks: 0,
      });
    }
    if (path === "/can-do" && req.method === "GET") {
      if (o.floodCanDo) return flood(path, `{"can_do":true,"instance_name":"`);
      const required = (url.searchParams.get("required") ?? "").split(",").filter(Boolean);
      return Response.json({
        can_do: required.every((t) => o.capabilities.includes(t)),
        instance_name: o.nodeId,
      });
    }
    if (path === "/task" && req.method === "POST") {
      const body = await req.json();
      state.tasks.push({ body, headers: req.headers, path: url.pathname + url.search });
      const stream = url.searchParams.get("stream") === "1";
      const result = {
        task_id: body.id,
        response: `from ${o.nodeId}`,
        task_completed: true,
        tool_calls: 0,
      };
      switch (o.task ?? "ok") {
        case "forbidden":
          return Response.json({
            error: "forbidden",
            message: "Token scope does not cover skill 'calc'",
            missing_scope: "skill:calc",
          }, { status: 403 });
        case "conflict":
          return Response.json({
            error: "task_conflict",
            message: `Task id '${body.id}' was already used for a different task`,
          }, { status: 409 });
        case "garbage":
          return new Response("<html>definitely not a result</html>", {
            headers: { "content-type": "application/json" },
          });
        case "not_a_result":
          return Response.json({ task_id: body.id, response: 42, tool_calls: -1 });
        case "flood":
          return flood(path, `{"task_id":"${body.id}","response":"`);
        case "progress_flood": {
          const record: Flood = { path, bytes: 0, cancelled: false, finished: false };
          state.floods.push(record);
          const total = options.floodBytes ?? 400 * MIB;
          return new Response(progressFlood(record, o.nodeId, body.id, total), {
            headers: { "content-type": "application/x-ndjson" },
          });
        }
        case "redirect":
          return new Response(null, {
            status: 307,
            headers: { location: o.redirectTo ?? "http://127.0.0.1:9/task" },
          });
        default:
          if (!stream) return Response.json(result);
          return new Response(
            [
              { event: "received", task_id: body.id, node: o.nodeId },
              { event: "executing", node: o.nodeId, skill: "calc" },
              { event: "done", result },
            ].map((e) => JSON.stringify(e) + "\n").join(""),
            { headers: { "content-type": "application/x-ndjson" } },
          );
      }
    }
    return Response.json({ error: "not_found", message: `No route ${path}` }, { status: 404 });
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen() {},
    ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
  }, handler);
  const scheme = options.tls ? "https" : "http";
  return {
    ...state,
    url: `${scheme}://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}

/** The node process's resident memory, in bytes, from `/proc/PID/status` (read with `cat`). */
export async function rssBytes(pid: number): Promise<number> {
  const out = await outputWithin("cat", { args: [`/proc/${pid}/status`], ms: 30_000 });
  const match = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
  if (!match) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; `max` is the highest seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        max = Math.max(max, await rssBytes(pid));
      } catch {
        // The process ended: keep the maximum seen.
        return;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}
