/**
 * Runs one child process with a clean environment, a wall-clock limit and an output cap.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/** How a finished child process ran. */
export interface ProcessRun {
  /** Exit code; `128 + n` when killed by signal `n`. */
  exitCode: number;
  /** The signal that ended the process, if any. */
  signal: Deno.Signal | null;
  /** Standard output as text (at most `maxOutputBytes` bytes of it). */
  stdout: string;
  /** Standard error as text (at most `maxOutputBytes` bytes of it). */
  stderr: string;
  /** The process outlived `timeoutMs` and was killed. */
  timedOut: boolean;
  /** A stream went over `maxOutputBytes`; the process was killed and the output cut. */
  truncated: boolean;
  /** The abort signal fired and the process was killed. */
  aborted: boolean;
  /** Wall-clock time from spawn to exit, in milliseconds. */
  durationMs: number;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** Text written to the child's stdin, which is then closed. */
  stdin: string;
  /** Working directory of the child. */
  cwd: string;
  /** The child's whole environment: nothing of this process's environment is inherited. */
  env: Record<string, string>;
  /** Wall-clock limit in milliseconds, after which the process group is killed. */
  timeoutMs: number;
  /** Most bytes kept from each of stdout and stderr; one byte more kills the process group. */
  maxOutputBytes: number;
  /** Kills the process group when aborted. */
  signal?: AbortSignal;
}

/** How long to keep reading pipes after the child exited and its group was killed. */
const DRAIN_GRACE_MS = 2_000;

/**
 * Runs `argv` to completion and reports how it ended. The child gets its own session
 * (process group), so the timeout, the output cap and the abort signal kill every
 * process it started, not only the first; stragglers left after it exits are killed
 * too. A failing child is a {@link ProcessRun}, never an exception.
 *
 * @param argv Program and arguments; the program is looked up on this process's `PATH`
 * when not absolute.
 * @param options Input, environment and limits.
 * @returns How the process ended, with its (capped) output.
 * @throws {SwarmError} `execution_failed` when the program cannot be started.
 * @throws {RangeError} When `timeoutMs` or `maxOutputBytes` is not positive.
 * @example
 * ```ts
 * import { runProcess } from "./run_process.ts";
 * const run = await runProcess(["/bin/sh", "-c", "cat; echo err >&2"], {
 *   stdin: "hi",
 *   cwd: "/",
 *   env: {},
 *   timeoutMs: 5_000,
 *   maxOutputBytes: 1024,
 * });
 * console.assert(run.exitCode === 0 && run.stdout === "hi" && run.stderr === "err\n");
 * ```
 */
export async function runProcess(argv: string[], options: RunProcessOptions): Promise<ProcessRun> {
  const { stdin, cwd, env, timeoutMs, maxOutputBytes, signal } = options;
  if (argv.length === 0) throw new TypeError("Cannot run a process: argv is empty");
  if (!(timeoutMs > 0)) {
    throw new RangeError(
      `Cannot run a process as 'timeoutMs' must be positive: it is ${timeoutMs}`,
    );
  }
  if (!(maxOutputBytes > 0)) {
    throw new RangeError(
      `Cannot run a process as 'maxOutputBytes' must be positive: it is ${maxOutputBytes}`,
    );
  }
  signal?.throwIfAborted();

  const startedAt = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // A new session: the child leads its own process group, which is killed as a whole.
      detached: true,
    }).spawn();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SwarmError("execution_failed", `Cannot start '${argv[0]}': ${why}`, {
      program: argv[0],
    }, { cause: err });
  }

  let timedOut = false;
  let truncated = false;
  let aborted = false;
  const killGroup = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const onOverflow = () => {
    truncated = true;
    killGroup();
  };

  const stdout = readCapped(child.stdout, maxOutputBytes, onOverflow);
  const stderr = readCapped(child.stderr, maxOutputBytes, onOverflow);
  const input = writeAll(child.stdin, stdin);
  try {
    const status = await child.status;
    const durationMs = performance.now() - startedAt;
    clearTimeout(timer);
    // Background processes the child left behind would hold the pipes open.
    killGroup();
    const drained = setTimeout(() => {
      stdout.stop();
      stderr.stop();
      input.stop();
    }, DRAIN_GRACE_MS);
    const [out, err] = await Promise.all([stdout.text, stderr.text, input.done]);
    clearTimeout(drained);
    return {
      exitCode: status.code,
      signal: status.signal,
      stdout: out,
      stderr: err,
      timedOut,
      truncated,
      aborted,
      durationMs,
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

interface CappedRead {
  /** The bytes read (at most the cap), decoded as UTF-8 with replacement characters. */
  text: Promise<string>;
  /** Stops reading now. */
  stop(): void;
}

function readCapped(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  onOverflow: () => void,
): CappedRead {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stop = () => {
    reader.cancel().catch(() => {});
  };
  const text = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        const room = maxBytes - size;
        if (value.byteLength > room) {
          chunks.push(value.subarray(0, room));
          size = maxBytes;
          onOverflow();
          stop();
          break;
        }
        chunks.push(value);
        size += value.byteLength;
      }
    } catch {
      // The pipe was closed under us (stopped): keep what was read.
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return new TextDecoder().decode(bytes);
  })();
  return { text, stop };
}

function writeAll(
  stream: WritableStream<Uint8Array>,
  text: string,
): { done: Promise<void>; stop(): void } {
  const writer = stream.getWriter();
  const done = (async () => {
    try {
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
    } catch {
      // The child exited without reading all of its input: not an error of ours.
    }
  })();
  return { done, stop: () => writer.abort().catch(() => {}) };
}
