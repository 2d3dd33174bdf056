/**
 * What an operator runs after `swarm service uninstall`.
 *
 * @module
 */
import { shellWord } from "./_quote.ts";
import type { ServiceFormat } from "./service_format.ts";

/** What {@link uninstallSteps} needs to know. */
export interface UninstallStepsOptions {
  /** Unit name or launchd label. */
  name: string;
  /** The node's data directory, which uninstalling keeps. */
  dataDir: string;
  /** The user's id (launchd's `gui/UID` domain). */
  uid?: number;
}

/**
 * The commands that finish removing a service, and what was kept: the node's data
 * directory (its identity and task records) and the secret files.
 *
 * @param format The service manager.
 * @param options The service's name and data directory.
 * @returns Lines to print.
 * @example
 * ```ts
 * import { uninstallSteps } from "./uninstall_steps.ts";
 * const lines = uninstallSteps("systemd", { name: "swarm", dataDir: "/var/lib/swarm" });
 * console.assert(lines.includes("  systemctl daemon-reload"));
 * ```
 */
export function uninstallSteps(format: ServiceFormat, options: UninstallStepsOptions): string[] {
  const { name, dataDir } = options;
  const kept =
    `Kept: the node's data directory ${dataDir} (its id and task records) and any secret files; remove them yourself if they should go.`;
  if (format === "systemd") {
    return [
      `Next steps (if it still runs, first: systemctl stop ${name}.service):`,
      "  systemctl daemon-reload",
      kept,
    ];
  }
  const domain = `gui/${options.uid ?? "$(id -u)"}`;
  return [
    "Next steps (if it is still loaded; it drains before it exits):",
    `  launchctl bootout ${domain}/${name}`,
    kept.replace(dataDir, shellWord(dataDir)),
  ];
}
