/**
 * Which paths the systemd unit's sandbox hides from the node.
 *
 * @module
 */

/** Directories the unit hides, and the line that hides each. */
const HIDDEN: ReadonlyArray<[dir: string, why: string]> = [
  ["/home", "ProtectHome=yes hides /home, /root and /run/user from the service"],
  ["/root", "ProtectHome=yes hides /home, /root and /run/user from the service"],
  ["/run/user", "ProtectHome=yes hides /home, /root and /run/user from the service"],
  ["/tmp", "PrivateTmp=yes gives the service its own empty /tmp and /var/tmp"],
  ["/var/tmp", "PrivateTmp=yes gives the service its own empty /tmp and /var/tmp"],
];

/**
 * Why the unit's node cannot see `path`, or `undefined` when it can (as far as the
 * sandbox goes: the file must still be readable by an unprivileged user). The swarm
 * executable, the launcher's checkout and Deno, skills directories and the other files
 * the node reads must be elsewhere; secret files are exempt, since systemd reads those
 * itself before the sandbox is set up.
 *
 * @param path An absolute path.
 * @returns The reason, naming the unit line.
 * @example
 * ```ts
 * import { systemdHiddenPath } from "./systemd_hidden_path.ts";
 * console.assert(systemdHiddenPath("/root/.local/bin/swarm")?.startsWith("ProtectHome=yes"));
 * console.assert(systemdHiddenPath("/usr/local/bin/swarm") === undefined);
 * ```
 */
export function systemdHiddenPath(path: string): string | undefined {
  return HIDDEN.find(([dir]) => path === dir || path.startsWith(`${dir}/`))?.[1];
}
