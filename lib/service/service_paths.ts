/**
 * Where a service's files live on each system.
 *
 * @module
 */
import { join } from "node:path";
import { checkServiceName, type ServiceFormat } from "./service_format.ts";

/** The paths of one service. */
export interface ServicePaths {
  /**
   * The directory the service manager loads definitions from: `/etc/systemd/system`
   * (system units), `~/Library/LaunchAgents` (the user's launchd agents).
   */
  dir: string;
  /** The definition's file name: `NAME.service`, `LABEL.plist`. */
  fileName: string;
  /**
   * The node's data directory: the unit's state directory `/var/lib/NAME`, or
   * `~/Library/Application Support/LABEL/data`.
   */
  dataDir: string;
  /**
   * The default token file on the LAN: `/etc/credstore/NAME-token` (a plain credential,
   * root only), `/etc/credstore.encrypted/NAME-token` (one made by `systemd-creds
   * encrypt`), or `~/Library/Application Support/LABEL/token` (mode 0600).
   */
  tokenFile: string;
  /** Where the node's output goes: the journal for systemd, a file for launchd. */
  log?: string;
}

/** Options of {@link servicePaths}. */
export interface ServicePathsOptions {
  /** The unit name or label. */
  name: string;
  /** The user's home directory (launchd). */
  home?: string;
  /** Credentials encrypted with `systemd-creds` (systemd). @default {false} */
  encryptedCredentials?: boolean;
}

/**
 * The paths of a service of `format` named `options.name`.
 *
 * @param format The service manager.
 * @param options The name, and the home directory for launchd.
 * @returns Its paths.
 * @throws {RangeError} When the name is invalid, or `home` is missing or relative for
 * launchd.
 * @example
 * ```ts
 * import { servicePaths } from "./service_paths.ts";
 * const unit = servicePaths("systemd", { name: "swarm" });
 * console.assert(unit.dir === "/etc/systemd/system" && unit.fileName === "swarm.service");
 * const agent = servicePaths("launchd", { name: "local.swarm", home: "/Users/ada" });
 * console.assert(agent.dir === "/Users/ada/Library/LaunchAgents");
 * ```
 */
export function servicePaths(format: ServiceFormat, options: ServicePathsOptions): ServicePaths {
  const name = checkServiceName(options.name);
  if (format === "systemd") {
    const store = options.encryptedCredentials ? "/etc/credstore.encrypted" : "/etc/credstore";
    return {
      dir: "/etc/systemd/system",
      fileName: `${name}.service`,
      dataDir: `/var/lib/${name}`,
      tokenFile: `${store}/${name}-token`,
    };
  }
  const home = options.home;
  if (home === undefined || !home.startsWith("/")) {
    throw new RangeError(
      `Cannot place a launchd agent without the home directory: HOME is ${
        home === undefined ? "unset" : `'${home}', not an absolute path`
      }`,
    );
  }
  const support = join(home, "Library", "Application Support", name);
  return {
    dir: join(home, "Library", "LaunchAgents"),
    fileName: `${name}.plist`,
    dataDir: join(support, "data"),
    tokenFile: join(support, "token"),
    log: join(home, "Library", "Logs", `${name}.log`),
  };
}
