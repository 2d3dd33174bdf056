/**
 * Bounded waits for tests: every wait on something outside the test's control (a child
 * process exiting, a line from its output, an event from a node, a remote answer) goes
 * through {@link withTimeout} or {@link exitWithin}, so a hang fails the test with
 * what it waited for instead of hanging the suite (`deno test` has no per-test
 * timeout).
 *
 * @module
 */

/** The error a bounded wait fails with when its time is up. */
export class WaitTimeout extends Error {
  override name = "WaitTimeout";
  /** What was waited for, as given to {@link withTimeout}. */
  readonly waitingFor: string;
  /** How long, in milliseconds. */
  readonly ms: number;

  /** A timeout of the wait for `waitingFor` after `ms`. */
  constructor(waitingFor: string, ms: number) {
    super(`Waited ${ms} ms for ${waitingFor}: it did not happen`);
    this.waitingFor = waitingFor;
    this.ms = ms;
  }
}

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** Longest wait, in milliseconds: generous, it only keeps the test finite. */
  ms: number;
  /** What is waited for, as the failure names it: "node 1234 to exit after SIGTERM". */
  waitingFor: string;
  /**
   * Called once when the time is up, as the wait fails: kill the child, cancel the
   * reader. Its outcome (a throw, a rejected promise) is ignored.
   */
  onTimeout?: () => unknown;
}

/**
 * Resolves or rejects as `promise` does, or rejects with a {@link WaitTimeout} naming
 * `waitingFor` once `ms` passed first. Leaves no timer behind.
 *
 * @example
 * ```ts
 * import { WaitTimeout, withTimeout } from "./with_timeout.ts";
 * console.assert(await withTimeout(Promise.resolve(7), { ms: 1_000, waitingFor: "seven" }) === 7);
 * const never = new Promise<void>(() => {});
 * const err = await withTimeout(never, { ms: 1, waitingFor: "nothing" }).catch((e) => e);
 * console.assert(err instanceof WaitTimeout && err.message.includes("nothing"));
 * ```
 */
export async function withTimeout<T>(
  promise: PromiseLike<T>,
  options: WithTimeoutOptions,
): Promise<T> {
  const { ms, waitingFor, onTimeout } = options;
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new RangeError(
      `Cannot wait for ${waitingFor} as 'ms' must be a positive number: current value is ${ms}`,
    );
  }
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The wait fails first, so that what onTimeout causes (a killed child's exit)
      // cannot pass for success; onTimeout's own outcome is ignored.
      reject(new WaitTimeout(waitingFor, ms));
      try {
        Promise.resolve(onTimeout?.()).catch(() => {});
      } catch { /* the wait failed anyway */ }
    }, ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Options of {@link exitWithin}. */
export interface ExitWithinOptions {
  /** Longest wait for the exit, in milliseconds. */
  ms: number;
  /** What the process is, as the failure names it: "node 127.0.0.1:7700 (PID 1234)". */
  what: string;
  /** What it was asked to do, as the failure names it. @default {"exit"} */
  after?: string;
}

/**
 * Waits for `child` to exit, at most `ms`: past that it is killed with SIGKILL (so it
 * does not outlive the test) and the wait fails with a {@link WaitTimeout}, "… for
 * <what> to exit after <after>".
 *
 * @example
 * ```ts ignore
 * child.kill("SIGTERM");
 * const status = await exitWithin(child, { ms: 10_000, what: `PID ${child.pid}`, after: "SIGTERM" });
 * ```
 */
export function exitWithin(
  child: Deno.ChildProcess,
  options: ExitWithinOptions,
): Promise<Deno.CommandStatus> {
  const { ms, what, after } = options;
  return withTimeout(child.status, {
    ms,
    waitingFor: `${what} to exit${after ? ` after ${after}` : ""}`,
    onTimeout: () => child.kill("SIGKILL"),
  });
}

/** Options of {@link outputWithin}: the command's own, plus the bound. */
export interface OutputWithinOptions extends Deno.CommandOptions {
  /** Longest run, in milliseconds. */
  ms: number;
  /** What runs, as the failure names it. @default {the program and its arguments} */
  what?: string;
}

/**
 * Runs `program` to completion like `new Deno.Command(program, options).output()`
 * (stdin `null`, stdout and stderr piped unless `options` say otherwise), for at most
 * `ms`: past that the child is killed with SIGKILL and the run fails with a
 * {@link WaitTimeout} naming `what`.
 *
 * @example
 * ```ts
 * import { outputWithin } from "./with_timeout.ts";
 * const out = await outputWithin("true", { ms: 10_000 });
 * console.assert(out.success);
 * ```
 */
export async function outputWithin(
  program: string | URL,
  options: OutputWithinOptions,
): Promise<Deno.CommandOutput> {
  const { ms, what, ...command } = options;
  const child = new Deno.Command(program, {
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...command,
  }).spawn();
  const piped = (stream: "stdout" | "stderr"): Promise<Uint8Array<ArrayBuffer>> =>
    (command[stream] ?? "piped") === "piped"
      ? collect(child[stream])
      : Promise.resolve(new Uint8Array());
  const [status, stdout, stderr] = await withTimeout(
    Promise.all([child.status, piped("stdout"), piped("stderr")]),
    {
      ms,
      waitingFor: `${what ?? [String(program), ...(command.args ?? [])].join(" ")} to finish`,
      onTimeout: () => child.kill("SIGKILL"),
    },
  );
  return { ...status, stdout, stderr };
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Default {@link FetchWithinInit.ms}: the longest a test waits for a local server's answer. */
export const FETCH_MS = 30_000;

/** `fetch` options plus the bound of {@link fetchWithin}. */
export interface FetchWithinInit extends RequestInit {
  /** An HTTP client (TLS trust, client certificate). */
  client?: Deno.HttpClient;
  /**
   * Longest exchange, in milliseconds: the answer's headers and the reading of its body.
   *
   * @default {FETCH_MS}
   */
  ms?: number;
}

/**
 * `fetch`, bounded: the request is aborted after `init.ms` (headers and body alike), and
 * a request that got no answer by then fails with a {@link WaitTimeout} naming the
 * method and URL. A `signal` of the caller's still aborts it too.
 *
 * @example
 * ```ts ignore
 * const res = await fetchWithin(`${node.url}/status`, { headers: auth });
 * ```
 */
export async function fetchWithin(
  input: string | URL,
  init: FetchWithinInit = {},
): Promise<Response> {
  const { ms = FETCH_MS, signal, ...rest } = init;
  const bound = AbortSignal.timeout(ms);
  try {
    return await fetch(input, {
      ...rest,
      signal: signal ? AbortSignal.any([signal, bound]) : bound,
    });
  } catch (err) {
    if (bound.aborted && !signal?.aborted) {
      throw new WaitTimeout(`an answer to ${rest.method ?? "GET"} ${input}`, ms);
    }
    throw err;
  }
}
