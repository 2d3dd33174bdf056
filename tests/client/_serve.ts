/**
 * Test helper: a real HTTP server on 127.0.0.1 with a random port that records what it
 * receives.
 *
 * @module
 */

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Headers;
  body: string;
}

/** A running test server; slow handlers should wait on the `closing` signal it passes. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  address: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1, port 0, answering with `handler`. */
export function serve(
  handler: (
    request: Request,
    seen: SeenRequest,
    closing: AbortSignal,
  ) => Response | Promise<Response>,
): TestServer {
  const requests: SeenRequest[] = [];
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const seen: SeenRequest = {
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
        body: await request.text(),
      };
      requests.push(seen);
      return await handler(request, seen, closing.signal);
    },
  );
  const address = `127.0.0.1:${server.addr.port}`;
  const close = () => {
    closing.abort();
    return server.shutdown();
  };
  return { url: `http://${address}`, address, requests, close };
}

/** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A `application/x-ndjson` response writing `lines` one by one, `gapMs` apart. */
export function ndjsonResponse(lines: unknown[], gapMs = 0, signal?: AbortSignal): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const line of lines) {
        if (signal?.aborted) break;
        const text = typeof line === "string" ? line : JSON.stringify(line);
        controller.enqueue(encoder.encode(`${text}\n`));
        if (gapMs > 0) await sleep(gapMs, signal);
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson" } });
}

/** A NodeResult for `taskId`. */
export function okResult(taskId: string, response = "2") {
  return { task_id: taskId, response, task_completed: true, tool_calls: 1 };
}

/** A NodeTask with the given id and required tags. */
export function makeTask(id: string, required: string[] = [], description = "1+1") {
  return {
    id,
    description,
    context: { workspace: ".", session_key: "default", required_capabilities: required },
  };
}
