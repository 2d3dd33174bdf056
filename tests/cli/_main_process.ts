/**
 * Test helper: runs `main.ts` as its own process with the flags of `deno task start`
 * (read from deno.json, so they are the ones users run), for CLI behaviour that needs a
 * real process: signals, exit codes, stdout that is not a terminal.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { killOnExit } from "../_helpers/child_processes.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = fileURLToPath(new URL("main.ts", ROOT));
const START: string[] = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).tasks.start
  .split(/\s+/);
/** The permission and unstable flags of `deno task start`, between `run` and `main.ts`. */
const FLAGS = START.slice(START.indexOf("run") + 1, START.indexOf("main.ts"));

/** The command line that runs `swarm ARGS` from this checkout: the program first. */
export function swarmCommandLine(args: string[]): string[] {
  return [Deno.execPath(), "run", ...FLAGS, MAIN, ...args];
}

/** Starts `swarm ARGS` (stdin closed, stdout and stderr piped); it dies with the test. */
export function spawnSwarm(
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, MAIN, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return killOnExit(child);
}

/** A process's output as it arrives. */
export interface Collected {
  /** The text read so far. */
  readonly text: string;
  /**
   * Resolves with the text once `predicate` holds for it; fails naming `waitingFor`
   * after `ms`, or when the stream ends first.
   */
  until(predicate: (text: string) => boolean, waitingFor: string, ms?: number): Promise<string>;
  /** Resolves with the whole text when the stream ends. */
  done: Promise<string>;
}

/** Reads `stream` as text in the background. */
export function collect(stream: ReadableStream<Uint8Array>): Collected {
  let text = "";
  let ended = false;
  const listeners = new Set<() => void>();
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      for (const listener of [...listeners]) listener();
    }
    ended = true;
    for (const listener of [...listeners]) listener();
    return text;
  })();
  return {
    get text() {
      return text;
    },
    until(predicate, waitingFor, ms = 30_000) {
      return withTimeout(
        new Promise<string>((resolve, reject) => {
          const check = () => {
            if (predicate(text)) {
              listeners.delete(check);
              resolve(text);
            } else if (ended) {
              listeners.delete(check);
              reject(new Error(`Output ended before ${waitingFor}:\n${text}`));
            }
          };
          listeners.add(check);
          check();
        }),
        { ms, waitingFor },
      );
    },
    done,
  };
}
