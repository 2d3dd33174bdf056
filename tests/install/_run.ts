/**
 * Helpers for the install tests: running install.sh and friends as real processes with
 * a controlled environment.
 *
 * @module
 */
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTimeout } from "../_helpers/with_timeout.ts";

/** Absolute path of the checkout under test. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The checkout's `deno.json`, parsed. */
export const DENO_JSON: { version: string; tasks: Record<string, string> } = JSON.parse(
  Deno.readTextFileSync(join(ROOT, "deno.json")),
);

/** What a finished process printed and how it ended. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Everything printed on stdout. */
  stdout: string;
  /** Everything printed on stderr. */
  stderr: string;
}

/**
 * Default {@link RunOptions.timeoutMs}: generous, as `install.sh` from a checkout
 * caches every dependency.
 */
export const RUN_MS = 300_000;

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
  /** Working directory. @default ROOT */
  cwd?: string;
  /** Text written to stdin, which is otherwise closed. */
  stdin?: string;
  /** Longest run, in milliseconds; past it the process is killed and the run fails. @default {RUN_MS} */
  timeoutMs?: number;
}

/**
 * Runs `command` with `args` to completion in exactly the environment given, for at
 * most `options.timeoutMs`.
 */
export async function run(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    cwd: options.cwd ?? ROOT,
    env: options.env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await withTimeout(child.output(), {
    ms: options.timeoutMs ?? RUN_MS,
    waitingFor: `${command} ${args.join(" ")} to finish`,
    onTimeout: () => child.kill("SIGKILL"),
  });
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Environment variables the install scripts read; tests set them explicitly. */
const KNOBS = [
  "SWARM_INSTALL_DIR",
  "SWARM_RELEASE_URL",
  "SWARM_RELEASE_SHA256",
  "SWARM_DENO_DIR",
  "DENORT_BIN",
];

/**
 * This process's environment without the install knobs, with `PATH` replaced by `path`
 * (default: the folder of the deno running the tests first, then this `PATH`), plus `extra`.
 */
export function testEnv(
  extra: Record<string, string>,
  path = [dirname(Deno.execPath()), Deno.env.get("PATH") ?? ""].join(delimiter),
): Record<string, string> {
  const env = Deno.env.toObject();
  for (const knob of KNOBS) delete env[knob];
  return { ...env, PATH: path, ...extra };
}

/** Whether a folder holds an executable named `name`. */
function hasExecutable(dir: string, name: string): boolean {
  try {
    const info = Deno.statSync(join(dir, name));
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The folders of this `PATH` that hold an executable `name`. */
export function whichAll(name: string, path = Deno.env.get("PATH") ?? ""): string[] {
  return path.split(delimiter).filter((dir) => dir !== "" && hasExecutable(dir, name));
}

/**
 * A `PATH` like a fresh machine's: this `PATH`'s folders that hold no `deno`, so node,
 * npm and the usual tools stay reachable.
 */
export function pathWithoutDeno(): string {
  const dirs = (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(delimiter);
  return dirs.filter((dir) => dir !== "" && !hasExecutable(dir, "deno")).join(delimiter);
}

/** The words of the `exec …` line of a launcher script, quotes removed. */
export function launcherExecWords(script: string): string[] {
  const line = script.split("\n").find((l) => l.startsWith("exec "));
  if (line === undefined) throw new Error(`Cannot find an exec line in launcher:\n${script}`);
  const words: string[] = [];
  for (const match of line.matchAll(/'((?:[^']|'\\'')*)'|"\$@"|(\S+)/g)) {
    words.push(match[1]?.replaceAll(`'\\''`, "'") ?? match[0]);
  }
  return words.slice(1);
}

/**
 * The permission and unstable flags of a task command: its words starting with
 * `--allow-`, `--deny-` or `--unstable`, or `-A`. Written apart from
 * scripts/launcher_flags.ts so the tests check it rather than repeat it.
 */
export function permissionFlags(task: string): string[] {
  return task.split(/\s+/).filter((w) =>
    /^--(allow|deny)-/.test(w) || w.startsWith("--unstable") || w === "-A"
  );
}

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Names in folder `dir`, sorted; `undefined` when it does not exist. */
export async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    return names.sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
