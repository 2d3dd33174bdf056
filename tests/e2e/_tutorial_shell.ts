/**
 * A root bash session for running a tutorial's commands one block at a time, sealed off so
 * that the namespaces, bridge and addresses the tutorial creates cannot meet anything else on
 * the machine, and so that everything it starts dies with it:
 *
 * - it runs in a network namespace of its own (`swtb-<pid>-tut<n>`, swept like the test bed's
 *   if the test process dies), so the tutorial's bridge and its 10.77.0.0/24 addresses live
 *   there, not in the root namespace;
 * - in a private mount namespace with a tmpfs on `/run/netns`, so the namespace names the
 *   tutorial picks (`swarm-a`, …) are private to it and cannot clash with the host's;
 * - as PID 1 of a fresh PID namespace (`unshare --pid --fork --kill-child`): when the session
 *   ends or is killed, the kernel kills every process in it, the nodes the tutorial started
 *   in the background included, which frees its namespaces too.
 *
 * @module
 */
import {
  claimName,
  emptyNamespace,
  ip,
  NS_PREFIX,
  sweepLeftoversOnce,
  trackCleanup,
  untrackCleanup,
} from "./_netns.ts";
import { killOnExit } from "../_helpers/child_processes.ts";
import { exitWithin, outputWithin, WaitTimeout } from "../_helpers/with_timeout.ts";

/** What one block printed (stdout and stderr, interleaved) and its exit status. */
export interface BlockResult {
  output: string;
  code: number;
}

/** A running session; see the module doc. */
export interface TutorialShell {
  /** The network namespace the session runs in. */
  namespace: string;
  /**
   * Runs `command` as one block (stdin closed, stderr merged into stdout) and returns its
   * output and status.
   *
   * @throws {WaitTimeout} When it has not finished within `timeoutMs` (the session is then
   *   unusable: close it), with what it printed so far as `output`.
   * @throws {Error} When the shell itself exited.
   */
  run(command: string, timeoutMs: number): Promise<BlockResult>;
  /**
   * Kills the session and every process of its PID namespace, checks that none is left,
   * and deletes its network namespace.
   *
   * @throws {Error} When a process of the session survives or the namespace cannot be
   *   deleted.
   */
  close(): Promise<void>;
}

/** Options of {@linkcode openTutorialShell}. */
export interface TutorialShellOptions {
  /** Working directory of the session. */
  cwd: string;
  /** The whole environment of the session (nothing is inherited). */
  env: Record<string, string>;
}

/** Longest wait for the session to end once killed. */
const CLOSE_MS = 10_000;

/**
 * Starts a session (see the module doc). Needs root, `ip` and util-linux's `unshare`.
 *
 * @throws {Error} When the session cannot be started; nothing is left behind.
 */
export async function openTutorialShell(options: TutorialShellOptions): Promise<TutorialShell> {
  await sweepLeftoversOnce();
  const n = await claimName((n) => ip("netns", "add", `${NS_PREFIX}tut${n}`));
  const namespace = `${NS_PREFIX}tut${n}`;
  trackCleanup("namespace", namespace);
  const removeNamespace = async () => {
    await emptyNamespace(namespace);
    await ip("netns", "del", namespace);
    untrackCleanup("namespace", namespace);
  };
  let child: Deno.ChildProcess;
  try {
    child = killOnExit(
      new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          namespace,
          "unshare",
          "--mount",
          "--propagation",
          "private",
          "--pid",
          "--fork",
          "--kill-child",
          "--mount-proc",
          "sh",
          "-c",
          "mount -t tmpfs tutorial-netns /run/netns && exec bash --noprofile --norc",
        ],
        cwd: options.cwd,
        env: options.env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
  } catch (err) {
    await removeNamespace().catch(() => {});
    throw err;
  }

  const decoder = new TextDecoder();
  let buffer = "";
  let stderr = "";
  let changed = Promise.withResolvers<void>();
  let ended = false;
  const notify = () => {
    changed.resolve();
    changed = Promise.withResolvers<void>();
  };
  (async () => {
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk, { stream: true });
      notify();
    }
  })().catch(() => {}).finally(() => {
    ended = true;
    notify();
  });
  (async () => {
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const send = (text: string) => writer.write(encoder.encode(text));

  /** The PID namespace of the session (`pid:[4026…]`), to find its processes from outside. */
  let pidNamespace = "";

  const run = async (command: string, timeoutMs: number): Promise<BlockResult> => {
    const mark = `__tutorial_block_${crypto.randomUUID().replaceAll("-", "")}__`;
    await send(`{\n${command}\n} </dev/null 2>&1\nprintf '\\n%s %s\\n' ${mark} "$?"\n`);
    const sentinel = new RegExp(`\\n${mark} (\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = sentinel.exec(buffer);
      if (found) {
        const output = buffer.slice(0, found.index);
        buffer = buffer.slice(found.index + found[0].length);
        return { output, code: Number(found[1]) };
      }
      if (ended) {
        throw new Error(
          `The tutorial's shell exited during the block; it printed:\n${buffer}${stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw Object.assign(new WaitTimeout("the block to finish", timeoutMs), { output: buffer });
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        changed.promise,
        new Promise((r) => timer = setTimeout(r, left)),
      ]);
      clearTimeout(timer);
    }
  };

  const survivors = async (): Promise<number[]> => {
    if (!pidNamespace) return [];
    const out = await outputWithin("sh", {
      args: [
        "-c",
        'for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$0" ] && ' +
        'echo "${p#/proc/}"; done; true',
        pidNamespace,
      ],
      ms: 30_000,
    });
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).map(Number);
  };

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const failures: string[] = [];
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await exitWithin(child, { ms: CLOSE_MS, what: "the tutorial's shell", after: "SIGKILL" })
      .catch((err) => failures.push(err.message));
    await writer.close().catch(() => {});
    // The kernel kills a PID namespace's processes when its PID 1 dies: wait for that
    // (bounded), and kill by hand whatever still runs.
    let left: number[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      left = await survivors();
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (left.length > 0) {
      failures.push(`processes of the tutorial's shell still run: ${left.join(", ")}`);
    }
    await removeNamespace().catch((err) => failures.push(err.message));
    if (failures.length > 0) {
      throw new Error(`Cannot close the tutorial's shell:\n${failures.join("\n")}`);
    }
  };

  try {
    // From here on bash's own messages (syntax errors, job reports) go to stdout too.
    await send("exec 2>&1\n");
    const setup = await run("readlink /proc/$$/ns/pid", 30_000);
    pidNamespace = setup.output.trim();
    if (setup.code !== 0 || !/^pid:\[\d+\]$/.test(pidNamespace)) {
      throw new Error(`Cannot start the tutorial's shell: ${setup.output}${stderr}`);
    }
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { namespace, run, close };
}
