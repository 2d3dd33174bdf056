/**
 * The commands an operator runs after `swarm service install`.
 *
 * @module
 */
import { dirname } from "node:path";
import { shellWord } from "./_quote.ts";
import type { ServiceFormat } from "./service_format.ts";
import type { ServiceCredential } from "./service_plan.ts";

/** What {@link installSteps} needs to know. */
export interface InstallStepsOptions {
  /** The file written. */
  path: string;
  /** Unit name or launchd label. */
  name: string;
  /** Whether `path` is in the directory the service manager searches by itself. */
  inSearchPath: boolean;
  /** The secret files the service reads, and whether each exists yet. */
  credentials: Array<ServiceCredential & { exists: boolean }>;
  /** Credentials encrypted with `systemd-creds` (systemd). @default {false} */
  encryptedCredentials?: boolean;
  /** The user's id (launchd's `gui/UID` domain). */
  uid?: number;
  /** The launchd job's log file. */
  log?: string;
}

/**
 * The exact commands that bring an installed service up: the secret files still
 * missing (the shared token taken from `$SKILLLITE_SWARM_TOKEN`, never printed), then
 * `systemctl daemon-reload` and `enable --now`, or `launchctl bootstrap`; then how to
 * watch, stop (the node drains) and remove it.
 *
 * @param format The service manager.
 * @param options The file, its name and its credentials.
 * @returns Lines to print, commands indented by two spaces.
 * @example
 * ```ts
 * import { installSteps } from "./install_steps.ts";
 * const lines = installSteps("systemd", {
 *   path: "/etc/systemd/system/swarm.service", name: "swarm", inSearchPath: true, credentials: [],
 * });
 * console.assert(lines.includes("  systemctl enable --now swarm.service"));
 * ```
 */
export function installSteps(format: ServiceFormat, options: InstallStepsOptions): string[] {
  const { path, name, credentials, encryptedCredentials = false } = options;
  const lines = ["Next steps:"];
  const dirs = new Set<string>();
  for (const credential of credentials.filter((c) => !c.exists)) {
    const dir = dirname(credential.source);
    if (!dirs.has(dir)) {
      dirs.add(dir);
      lines.push(`  install -d -m 0700 ${shellWord(dir)}`);
    }
    const target = shellWord(credential.source);
    if (credential.id === "token") {
      lines.push(
        "  # the mesh's shared bearer token, the same on every node and caller (a new mesh:",
        "  # export SKILLLITE_SWARM_TOKEN=$(head -c 32 /dev/urandom | base64)):",
      );
      lines.push(
        format === "systemd" && encryptedCredentials
          ? `  printf '%s' "$SKILLLITE_SWARM_TOKEN" | systemd-creds encrypt --name=token - ${target}`
          : `  (umask 077; printf '%s\\n' "$SKILLLITE_SWARM_TOKEN" > ${target})`,
      );
    } else if (format === "systemd" && encryptedCredentials) {
      lines.push(
        `  systemd-creds encrypt --name=${credential.id} FILE ${target}   # FILE: the --${credential.flag} file`,
      );
    } else {
      lines.push(
        `  install -m 0600 FILE ${target}   # FILE: the --${credential.flag} file`,
      );
    }
  }
  if (format === "systemd") {
    const unit = `${name}.service`;
    if (!options.inSearchPath) lines.push(`  systemctl link ${shellWord(path)}`);
    lines.push(
      "  systemctl daemon-reload",
      `  systemctl enable --now ${unit}`,
      `  systemctl status ${unit}`,
      `  journalctl -u ${unit} -f        # its logs (JSON lines)`,
      `Stop it (in-flight tasks drain first): systemctl stop ${unit}`,
      `Remove it: systemctl disable --now ${unit} && swarm service uninstall${
        options.inSearchPath ? "" : ` --dir ${shellWord(dirname(path))}`
      }`,
    );
    return lines;
  }
  const domain = `gui/${options.uid ?? "$(id -u)"}`;
  lines.push(
    `  launchctl bootstrap ${domain} ${shellWord(path)}`,
    `  launchctl print ${domain}/${name}`,
  );
  if (options.log) lines.push(`  tail -f ${shellWord(options.log)}   # its logs (JSON lines)`);
  lines.push(
    `Stop it (in-flight tasks drain first): launchctl bootout ${domain}/${name}`,
    `Remove it: launchctl bootout ${domain}/${name}; swarm service uninstall${
      options.inSearchPath ? "" : ` --dir ${shellWord(dirname(path))}`
    }`,
  );
  return lines;
}
