/**
 * Which `swarm` executable a service runs.
 *
 * @module
 */

/**
 * The environment variable the launcher `install.sh` writes sets to its own absolute
 * path before it runs `deno`, so a command run through it knows what to put in a
 * service definition (`Deno.execPath()` is then `deno`, not `swarm`).
 */
export const LAUNCHER_ENV = "SWARM_LAUNCHER";

/** What {@link serviceExecutable} decides from. */
export interface ServiceExecutableSources {
  /** `--exec PATH`, when given: wins. */
  exec?: string;
  /** `Deno.build.standalone`: this process is a compiled `swarm` binary. */
  standalone: boolean;
  /** `Deno.execPath()`: the compiled binary itself when `standalone`. */
  execPath: string;
  /** Environment variables; {@link LAUNCHER_ENV} names the launcher. */
  env: Record<string, string | undefined>;
}

/**
 * The absolute path of the `swarm` a service should start: `--exec` when given, else
 * this compiled binary, else the launcher that started this process (it exports
 * {@link LAUNCHER_ENV}).
 *
 * @param sources The option, and what this process knows about itself.
 * @returns An absolute path.
 * @throws {RangeError} When `--exec` or the launcher's path is not absolute, or when
 * this is neither a compiled binary nor run through the launcher (`deno run main.ts`):
 * then only `--exec` can say.
 * @example
 * ```ts
 * import { serviceExecutable } from "./service_executable.ts";
 * const exec = serviceExecutable({
 *   standalone: false,
 *   execPath: "/usr/bin/deno",
 *   env: { SWARM_LAUNCHER: "/usr/local/bin/swarm" },
 * });
 * console.assert(exec === "/usr/local/bin/swarm");
 * ```
 */
export function serviceExecutable(sources: ServiceExecutableSources): string {
  const absolute = (path: string, what: string) => {
    if (!path.startsWith("/")) {
      throw new RangeError(
        `Cannot start '${path}' from a service (${what}): it must be an absolute path`,
      );
    }
    return path;
  };
  if (sources.exec !== undefined) return absolute(sources.exec, "--exec");
  if (sources.standalone) return absolute(sources.execPath, "this binary");
  const launcher = sources.env[LAUNCHER_ENV];
  if (launcher !== undefined && launcher !== "") return absolute(launcher, `$${LAUNCHER_ENV}`);
  throw new RangeError(
    `Cannot tell which swarm executable the service should run: this is neither a compiled swarm binary nor the launcher install.sh writes (${LAUNCHER_ENV} is unset); pass --exec PATH`,
  );
}
