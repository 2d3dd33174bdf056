/**
 * Sending hostile requests to a node under test (fetch with a deadline, raw TCP for
 * bytes fetch cannot send) and reading the node's memory use from /proc, for
 * `hostile_input_test.ts`.
 *
 * @module
 */
import type { BodyPlan, HostileRequest } from "./_hostile.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

/** Per-request deadline: an answer slower than this counts as a hang. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** What came back for one request. */
export interface Answer {
  /** HTTP status. */
  status: number;
  /** The content-type header, "" when absent. */
  contentType: string;
  /** The whole body as text. */
  text: string;
  /** Response headers. */
  headers: Headers;
}

function bodyInit(body: BodyPlan): BodyInit {
  if (!body.chunked) return body.bytes;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.bytes.length) return controller.close();
      controller.enqueue(body.bytes.slice(at, at + body.chunkSize));
      at += body.chunkSize;
    },
  });
}

/**
 * Sends `request` to `baseUrl` and reads the whole answer.
 *
 * @throws {Error} Naming the request when no answer came (reset, refused, or no answer
 * within {@linkcode REQUEST_TIMEOUT_MS}).
 */
export async function send(baseUrl: string, request: HostileRequest): Promise<Answer> {
  const headers = new Headers();
  for (const [name, value] of request.headers) headers.append(name, value);
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body ? bodyInit(request.body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get("content-type") ?? "",
      text,
      headers: res.headers,
    };
  } catch (err) {
    const e = err as Error;
    throw new Error(
      `No answer to ${request.method} ${request.path.slice(0, 120)} (${
        request.body?.bytes.length ?? 0
      } body bytes${request.body?.chunked ? ", chunked" : ""}): ${e.name}: ${
        e.message.slice(0, 200)
      }`,
    );
  }
}

/** What a raw TCP exchange saw. */
export interface RawAnswer {
  /** Every HTTP/1.x status line's code found at a line start, in order. */
  statuses: number[];
  /** The bytes received, decoded leniently (first 64 KiB). */
  text: string;
  /** True when the node closed (or reset) the connection; false when the deadline hit. */
  closed: boolean;
  /** A read or write error, e.g. a reset after the node answered early. */
  error?: string;
}

/**
 * Opens a TCP connection to `port` on 127.0.0.1, writes `bytes`, closes the write half
 * and reads until the node closes the connection or `timeoutMs` passes.
 */
export async function rawExchange(
  port: number,
  bytes: Uint8Array,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed meanwhile */ }
  }, timeoutMs);
  const received: Uint8Array[] = [];
  let size = 0;
  let error: string | undefined;
  try {
    try {
      await conn.write(bytes);
      await conn.closeWrite();
    } catch (err) {
      // The node may answer and close before reading everything: read what it said.
      error = `write: ${(err as Error).name}`;
    }
    const buffer = new Uint8Array(16 * 1024);
    while (!timedOut) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (err) {
        if (!timedOut) error = `read: ${(err as Error).name}`;
        break;
      }
      if (n === null) break;
      if (size < 64 * 1024) received.push(buffer.slice(0, n));
      size += n;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed on timeout */ }
  }
  const all = new Uint8Array(received.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of received) {
    all.set(b, at);
    at += b.length;
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(all);
  const statuses = [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
  return { statuses, text, closed: !timedOut, error };
}

/**
 * Reads a /proc file through `cat`: Deno refuses /proc reads without --allow-all, and the
 * test suite runs with the launcher's narrower flags.
 */
async function readProc(path: string): Promise<string> {
  const out = await outputWithin("cat", {
    args: [path],
    stdout: "piped",
    stderr: "null",
    ms: 30_000,
  }).catch(() => null);
  return out?.success ? new TextDecoder().decode(out.stdout) : "";
}

async function childrenOf(pid: number): Promise<number[]> {
  // /proc/PID/task/*/children, all threads at once.
  const out = await outputWithin("sh", {
    args: ["-c", `cat /proc/${pid}/task/*/children 2>/dev/null`],
    stdout: "piped",
    stderr: "null",
    ms: 30_000,
  }).catch(() => null);
  const text = out ? new TextDecoder().decode(out.stdout) : "";
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Resident memory (VmRSS, KiB) of process `pid` and all its descendants, from
 * /proc/PID/status. Processes that end while being read count as 0.
 */
export async function processTreeRssKiB(pid: number): Promise<number> {
  let total = 0;
  const queue = [pid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const status = await readProc(`/proc/${next}/status`);
    total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    queue.push(...await childrenOf(next));
  }
  return total;
}
