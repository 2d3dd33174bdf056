/**
 * Facts about this machine that sandbox command lines depend on, gathered once.
 *
 * @module
 */
import { runProcess } from "./run_process.ts";

/** A system path present on this host. */
export interface HostPath {
  /** Absolute path. */
  path: string;
  /** The symlink's own text when the path is a symlink (`usr/bin` for a merged `/bin`). */
  link?: string;
}

/** The real Python interpreter behind `python3` (not a pyenv shim). */
export interface PythonInstall {
  /** Absolute path of the interpreter (`sys.executable`). */
  executable: string;
  /** Installation prefixes it needs at run time (`sys.prefix`, `sys.base_prefix`, …), deduplicated. */
  prefixes: string[];
}

/** What {@link bwrapArgs} and unsandboxed runs need to know about this machine. */
export interface SandboxHost {
  /** The candidate system paths that exist here. */
  systemPaths: HostPath[];
  /** The Python installation, or `null` when `python3` is not on `PATH` or does not start. */
  python: PythonInstall | null;
}

/** Options of {@link probeSandboxHost}. */
export interface ProbeSandboxHostOptions {
  /** System paths to look for; missing ones are left out of the answer. */
  candidates: readonly string[];
  /** Environment `python3` is resolved and started with (a pyenv shim needs its variables). */
  sourceEnv: Record<string, string>;
  /** How long `python3` may take to answer, in milliseconds. @default 15_000 */
  timeoutMs?: number;
}

const PYTHON_PROBE = "import sys, json; print(json.dumps([sys.executable, sys.prefix, " +
  "sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]))";

/**
 * Looks up which candidate system paths exist (and which are symlinks) and asks
 * `python3` from `sourceEnv.PATH` where its real interpreter and installation live, so
 * a pyenv or venv Python works inside a sandbox that sees only those directories.
 *
 * @param options What to look for and the environment to start `python3` with.
 * @returns The host facts; never throws for a missing path or a missing Python.
 */
export async function probeSandboxHost(options: ProbeSandboxHostOptions): Promise<SandboxHost> {
  const { candidates, sourceEnv, timeoutMs = 15_000 } = options;
  const systemPaths: HostPath[] = [];
  for (const path of candidates) {
    const found = await lookUp(path);
    if (found) systemPaths.push(found);
  }
  return { systemPaths, python: await findPython(sourceEnv, timeoutMs) };
}

async function lookUp(path: string): Promise<HostPath | null> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isSymlink) return { path };
    await Deno.stat(path); // A dangling link is as good as missing.
    return { path, link: await Deno.readLink(path) };
  } catch {
    return null;
  }
}

async function findPython(
  sourceEnv: Record<string, string>,
  timeoutMs: number,
): Promise<PythonInstall | null> {
  let stdout: string;
  try {
    const run = await runProcess(["python3", "-c", PYTHON_PROBE], {
      stdin: "",
      cwd: Deno.cwd(),
      env: sourceEnv,
      timeoutMs,
      maxOutputBytes: 64 * 1024,
    });
    if (run.exitCode !== 0 || run.timedOut || run.truncated) return null;
    stdout = run.stdout;
  } catch {
    return null; // python3 is not installed.
  }
  try {
    const paths: unknown = JSON.parse(stdout);
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string" && p !== "")) {
      return null;
    }
    const [executable, ...prefixes] = paths as string[];
    // Python names the path it was started by: a link to it from outside its installation
    // (a bin directory of links) is not in the sandbox, so such a path is resolved. One
    // inside (a venv's bin/python) stays as it is, or the venv would be lost.
    const inside = prefixes.some((p) => executable.startsWith(p.endsWith("/") ? p : `${p}/`));
    const real = inside ? executable : await Deno.realPath(executable).catch(() => executable);
    return { executable: real, prefixes: [...new Set(prefixes)] };
  } catch {
    return null;
  }
}
