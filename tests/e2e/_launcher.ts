/**
 * The `swarm` command as users install it, for end-to-end tests: `./install.sh` from
 * this checkout, run once per test process into a fresh temporary folder, so tests go
 * through the same launcher (or compiled binary, when `DENORT_BIN` is set) that users run.
 *
 * @example
 * ```ts
 * import { installedSwarm, swarmCommand } from "./_launcher.ts";
 * import assert from "node:assert/strict";
 *
 * const swarm = await installedSwarm(); // absolute path of the installed `swarm`
 * assert.ok(swarm.endsWith("/swarm"));
 * const { code, stdout } = await swarmCommand(["--version"]).output();
 * assert.equal(code, 0);
 * assert.match(new TextDecoder().decode(stdout), /^swarm \d+\.\d+\.\d+/);
 * ```
 *
 * @module
 */
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { outputWithin } from "../_helpers/with_timeout.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let installing: Promise<string> | undefined;
let installed: string | undefined;

/** Options of {@linkcode swarmCommand}. */
export interface SwarmCommandOptions {
  /** Variables added to this process's environment. @default {} */
  env?: Record<string, string>;
  /** Working directory. @default the test process's */
  cwd?: string;
  /** @default "null" */
  stdin?: "piped" | "inherit" | "null";
  /** @default "piped" */
  stdout?: "piped" | "inherit" | "null";
  /** @default "piped" */
  stderr?: "piped" | "inherit" | "null";
  /** Aborting it kills the process. */
  signal?: AbortSignal;
}

/**
 * Installs swarm with `./install.sh` into a fresh temporary `SWARM_INSTALL_DIR` the
 * first time it is called in a test process (later calls share that install), removed
 * when the process exits. The deno running the tests comes first on install.sh's PATH,
 * and `SWARM_RELEASE_URL`/`SWARM_RELEASE_SHA256` are cleared, so the checkout is installed.
 *
 * @returns The absolute path of the installed `swarm`.
 * @throws {Error} When install.sh fails; its output is in the message.
 */
export function installedSwarm(): Promise<string> {
  installing ??= install().then((path) => (installed = path));
  return installing;
}

/**
 * A `Deno.Command` running the installed `swarm` with `args`; stdout and stderr piped,
 * stdin closed unless `options` says otherwise.
 *
 * @param args The arguments after `swarm`.
 * @param options Environment additions, working directory and stdio.
 * @throws {Error} When {@linkcode installedSwarm} has not been awaited first.
 */
export function swarmCommand(args: string[], options: SwarmCommandOptions = {}): Deno.Command {
  if (installed === undefined) {
    throw new Error("Cannot run swarm: await installedSwarm() before swarmCommand()");
  }
  return new Deno.Command(installed, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
    signal: options.signal,
  });
}

async function install(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "swarm-e2e-bin-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  const env = Deno.env.toObject();
  delete env.SWARM_RELEASE_URL;
  delete env.SWARM_RELEASE_SHA256;
  env.SWARM_INSTALL_DIR = dir;
  env.PATH = [dirname(Deno.execPath()), env.PATH ?? ""].join(delimiter);
  const { code, stdout, stderr } = await outputWithin(join(ROOT, "install.sh"), {
    cwd: ROOT,
    env,
    clearEnv: true,
    // Generous: from a checkout, install.sh caches every dependency.
    ms: 300_000,
  });
  if (code !== 0) {
    const decoder = new TextDecoder();
    throw new Error(
      `Cannot install swarm with install.sh: exit code ${code}:\n${decoder.decode(stdout)}${
        decoder.decode(stderr)
      }`,
    );
  }
  return join(dir, "swarm");
}
