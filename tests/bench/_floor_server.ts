/**
 * The runtime's floor for a node's start and idle memory: the least a Deno process
 * with swarm's shape can do. Run as its own process:
 *
 * - `_floor_server.ts PORT` — one isolate answering `GET /readyz` with 200;
 * - `_floor_server.ts PORT --worker DIR` — like a node: the main isolate starts a
 *   permission-scoped module worker that opens Deno KV in DIR and serves `/readyz`.
 *
 * @module
 */

const [portText, mode, dir] = Deno.args;
const port = Number(portText);
/** True inside the worker this module starts (named `floor`). */
const inWorker = (globalThis as { name?: string }).name === "floor";

if (import.meta.main && !inWorker) {
  if (mode === "--worker") {
    const worker = new Worker(import.meta.url, {
      type: "module",
      name: "floor",
      deno: {
        permissions: {
          net: ["127.0.0.1"],
          read: [dir, new URL(import.meta.url).pathname],
          write: [dir],
          env: false,
          run: false,
          sys: false,
          ffi: false,
        },
      },
    });
    worker.postMessage({ port, dir });
  } else {
    Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => Response.json({}));
  }
} else if (inWorker) {
  // Inside the worker.
  const scope = self as unknown as {
    onmessage: (event: MessageEvent<{ port: number; dir: string }>) => void;
  };
  scope.onmessage = async (event) => {
    const kv = await Deno.openKv(`${event.data.dir}/floor.kv`);
    await kv.get(["x"]);
    Deno.serve(
      { hostname: "127.0.0.1", port: event.data.port, onListen: () => {} },
      () => Response.json({}),
    );
  };
}
