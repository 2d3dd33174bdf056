/**
 * The service managers swarm writes definitions for, and their defaults.
 *
 * @module
 */

/** A service manager: systemd (Linux) or launchd (macOS). */
export type ServiceFormat = "systemd" | "launchd";

/** Every {@link ServiceFormat}, in the order help texts list them. */
export const SERVICE_FORMATS: readonly ServiceFormat[] = Object.freeze(["systemd", "launchd"]);

/**
 * Default name of the service: the systemd unit `swarm.service` (also the name of its
 * state and cache directories), or the launchd label `local.swarm` (launchd wants a
 * reverse-DNS label; `local.` marks one defined on this machine).
 */
export const DEFAULT_SERVICE_NAMES: Readonly<Record<ServiceFormat, string>> = Object.freeze({
  systemd: "swarm",
  launchd: "local.swarm",
});

/** A unit name or label: letters, digits, `.`, `_`, `-`, not starting with a dot or dash. */
const SERVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/**
 * The service manager of an operating system (`Deno.build.os`): systemd on Linux,
 * launchd on macOS, `undefined` elsewhere.
 *
 * @example
 * ```ts
 * import { serviceFormatFor } from "./service_format.ts";
 * console.assert(serviceFormatFor("linux") === "systemd");
 * console.assert(serviceFormatFor("darwin") === "launchd");
 * console.assert(serviceFormatFor("windows") === undefined);
 * ```
 */
export function serviceFormatFor(os: string): ServiceFormat | undefined {
  if (os === "linux") return "systemd";
  if (os === "darwin") return "launchd";
  return undefined;
}

/**
 * Checks a service name (systemd unit name without `.service`, or launchd label).
 *
 * @param name The name.
 * @returns The name.
 * @throws {RangeError} When it is not 1–100 letters, digits, `.`, `_` or `-`, starting
 * with a letter, digit or `_`.
 * @example
 * ```ts
 * import { checkServiceName } from "./service_format.ts";
 * console.assert(checkServiceName("swarm-7701") === "swarm-7701");
 * ```
 */
export function checkServiceName(name: string): string {
  if (!SERVICE_NAME.test(name)) {
    throw new RangeError(
      `Cannot use '${name}' as a service name: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter, digit or '_'`,
    );
  }
  return name;
}
