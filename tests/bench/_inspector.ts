/**
 * A small Chrome DevTools Protocol client for a node started with
 * `--inspect=127.0.0.1:PORT`: commands to the main isolate, and — through Deno's
 * `NodeWorker` domain with flattened sessions — to the network worker. Used to take CPU
 * profiles of both isolates under load, and heap usage and heap snapshots as evidence.
 *
 * @module
 */
import type { CpuProfile } from "./_profile.ts";

/** Which isolate a command goes to. */
export type Target = "main" | "worker";

type Pending = { resolve(value: unknown): void; reject(err: Error): void };

/** A connection to one node's inspector. */
export class Inspector {
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<number, Pending>();
  #listeners = new Map<string, Array<(params: Record<string, unknown>) => void>>();
  #workerSession: string | undefined;
  #workerAttached = Promise.withResolvers<void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => this.#receive(JSON.parse(String(event.data)));
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("Inspector connection closed"));
      this.#pending.clear();
    };
  }

  /**
   * Connects to the inspector listening on 127.0.0.1:`port` and attaches to the
   * node's worker (waits up to 10 s for it).
   *
   * @throws {Error} When no target or worker shows up.
   */
  static async connect(port: number): Promise<Inspector> {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`, {
      signal: AbortSignal.timeout(5_000),
    })).json() as Array<{ webSocketDebuggerUrl: string }>;
    if (!list[0]) throw new Error(`No inspector target on port ${port}`);
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`Cannot connect to the inspector on port ${port}`));
    });
    const inspector = new Inspector(ws);
    await inspector.send("NodeWorker.enable", { waitForDebuggerOnStart: false });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      inspector.#workerAttached.promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("The node's worker never attached")), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    return inspector;
  }

  #receive(message: Record<string, unknown>): void {
    if (message.method === "NodeWorker.attachedToWorker") {
      const params = message.params as { sessionId: string };
      this.#workerSession ??= params.sessionId;
      this.#workerAttached.resolve();
      return;
    }
    if (message.method === "NodeWorker.receivedMessageFromWorker") {
      const inner = JSON.parse((message.params as { message: string }).message);
      this.#receive({ ...inner, fromWorker: true });
      return;
    }
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (!pending) return;
      if (message.error) {
        pending.reject(new Error(`Inspector: ${JSON.stringify(message.error)}`));
      } else pending.resolve(message.result);
      return;
    }
    const target = message.fromWorker ? "worker" : "main";
    for (const listener of this.#listeners.get(`${target}:${message.method}`) ?? []) {
      listener(message.params as Record<string, unknown>);
    }
  }

  /** Sends a command to `target`'s isolate and resolves with its result. */
  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    target: Target = "main",
  ): Promise<T> {
    const id = ++this.#id;
    const message: Record<string, unknown> = { id, method, params };
    if (target === "worker") message.sessionId = this.#workerSession;
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    this.#ws.send(JSON.stringify(message));
    return promise;
  }

  /** Calls `listener` for every `method` event of `target`; returns an unsubscribe. */
  on(method: string, target: Target, listener: (params: Record<string, unknown>) => void) {
    const key = `${target}:${method}`;
    const list = this.#listeners.get(key) ?? [];
    list.push(listener);
    this.#listeners.set(key, list);
    return () => list.splice(list.indexOf(listener), 1);
  }

  /** Starts the sampling profiler of both isolates. */
  async startProfiling(): Promise<void> {
    for (const target of ["main", "worker"] as const) {
      await this.send("Profiler.enable", {}, target);
      await this.send("Profiler.setSamplingInterval", { interval: 500 }, target);
      await this.send("Profiler.start", {}, target);
    }
  }

  /** Stops the profilers and returns both isolates' profiles. */
  async stopProfiling(): Promise<Record<Target, CpuProfile>> {
    const main = await this.send<{ profile: CpuProfile }>("Profiler.stop", {}, "main");
    const worker = await this.send<{ profile: CpuProfile }>("Profiler.stop", {}, "worker");
    return { main: main.profile, worker: worker.profile };
  }

  /** Runs a full GC in `target` and returns its used heap, in bytes. */
  async heapAfterGc(target: Target): Promise<number> {
    await this.send("HeapProfiler.collectGarbage", {}, target);
    const usage = await this.send<{ usedSize: number }>("Runtime.getHeapUsage", {}, target);
    return usage.usedSize;
  }

  /** Takes a heap snapshot of `target` (after a GC) and returns its JSON text. */
  async heapSnapshot(target: Target): Promise<string> {
    const chunks: string[] = [];
    const off = this.on("HeapProfiler.addHeapSnapshotChunk", target, (p) => {
      chunks.push(String(p.chunk));
    });
    try {
      await this.send("HeapProfiler.enable", {}, target);
      await this.send("HeapProfiler.collectGarbage", {}, target);
      await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, target);
    } finally {
      off();
    }
    return chunks.join("");
  }

  /** Closes the connection. */
  close(): void {
    this.#ws.close();
  }
}
