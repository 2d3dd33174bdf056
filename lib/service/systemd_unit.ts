/**
 * The hardened systemd unit of a node.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { refuseControl, systemdValue, systemdWord } from "./_quote.ts";
import { checkServiceName } from "./service_format.ts";
import { SERVICE_MARKER } from "./service_marker.ts";
import type { ServiceArg, ServicePlan } from "./service_plan.ts";
import { stopTimeoutSeconds } from "./stop_timeout.ts";

/** Options of {@link systemdUnit}. */
export interface SystemdUnitOptions {
  /** Absolute path of the `swarm` executable (compiled binary or installed launcher). */
  exec: string;
  /**
   * Unit name without `.service`; also names the state and cache directories
   * (`/var/lib/NAME`, `/var/cache/NAME`).
   *
   * @default {"swarm"}
   */
  name?: string;
  /**
   * Whether the credential files are encrypted with `systemd-creds encrypt`
   * (`LoadCredentialEncrypted=`) rather than plain files only root can read
   * (`LoadCredential=`). The node reads the decrypted secret at the same path either way.
   *
   * @default {false}
   */
  encryptedCredentials?: boolean;
}

/**
 * The systemd unit that runs a node: `DynamicUser=` with its own state directory as the
 * only writable path, no capabilities, the file system read-only, secrets handed over
 * as credentials (never in the unit), restarted on failure, and a stop timeout longer
 * than the drain so in-flight tasks finish. The hardening keeps what bubblewrap needs
 * to sandbox skills (unprivileged user namespaces of every kind, a full `/proc`,
 * netlink) and what V8 needs (writable and executable memory); the unit's comments say
 * why each line is there or left out, docs/service.md at length.
 *
 * @param plan The node's command line ({@link servicePlan}).
 * @param options The executable and the unit's name.
 * @returns The unit file's text, with the {@link SERVICE_MARKER} on its first line.
 * @throws {RangeError} When `exec` is not absolute, or a path holds a control character,
 * or the name is invalid.
 * @example
 * ```ts
 * import { servicePlan, systemdUnit } from "./mod.ts";
 * const plan = servicePlan({ defaultTokenFile: "/etc/credstore/swarm-token", dataDir: "/var/lib/swarm", cwd: "/" });
 * const unit = systemdUnit(plan, { exec: "/usr/local/bin/swarm" });
 * console.assert(unit.includes("ExecStart=/usr/local/bin/swarm serve --listen 127.0.0.1:7700 --data-dir %S/swarm\n"));
 * console.assert(unit.includes("TimeoutStopSec=45s\n"));
 * ```
 */
export function systemdUnit(plan: ServicePlan, options: SystemdUnitOptions): string {
  const { exec, encryptedCredentials = false } = options;
  const name = checkServiceName(options.name ?? "swarm");
  if (!exec.startsWith("/")) {
    throw new RangeError(
      `Cannot run '${exec}' from a unit: the executable must be an absolute path`,
    );
  }
  refuseControl(exec, "--exec");
  const command = [systemdWord(exec), ...plan.args.map((arg) => execWord(arg, name))].join(" ");
  const load = encryptedCredentials ? "LoadCredentialEncrypted" : "LoadCredential";
  const credentials = plan.credentials.map((c) =>
    `${load}=${c.id}:${systemdValue(refuseControl(c.source, `--${c.flag}`))}`
  );
  const secrets = credentials.length > 0
    ? [
      "# Secrets: systemd copies each file (readable by root alone) into the service's private",
      "# credentials directory %d, which only this service can read, when it starts. Nothing",
      "# secret is in this file. A new secret takes effect on restart.",
      ...credentials,
      "",
    ]
    : [];
  const network = plan.onLan
    ? [
      "# On the LAN (the --allow-net opt-in and a non-loopback --listen): the node refuses to",
      "# start without authentication (the token credential, a keyring or mTLS).",
      "After=network-online.target",
      "Wants=network-online.target",
    ]
    : [
      "# Loopback only (the default): Deno's permissions keep the node's sockets on 127.0.0.1.",
      "After=network.target",
    ];

  return [
    `# ${SERVICE_MARKER} (swarm ${VERSION}); 'swarm service uninstall' removes it.`,
    "# Regenerate it with 'swarm service print' rather than editing it; docs/service.md explains",
    "# every line.",
    "[Unit]",
    "Description=swarm edge node (SkillLite swarm protocol)",
    ...network,
    "",
    "[Service]",
    "Type=exec",
    `ExecStart=${command}`,
    `WorkingDirectory=%S/${name}`,
    "# The launcher (deno run) keeps its module cache here; a compiled binary needs none.",
    `Environment=DENO_DIR=%C/${name}/deno`,
    "Environment=DENO_NO_UPDATE_CHECK=1",
    "Restart=on-failure",
    "RestartSec=2s",
    "# Stopping: SIGTERM to the node alone (KillMode=mixed), so the skills it runs are not",
    "# signalled and can finish while it drains; it exits once they are done or its drain",
    `# timeout (${plan.drainTimeoutMs} ms) has passed. TimeoutStopSec is longer, so systemd only`,
    "# kills a node that hangs.",
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${stopTimeoutSeconds(plan.drainTimeoutMs)}s`,
    "",
    ...secrets,
    "# Identity and files: a fresh unprivileged user; everything read-only except its state",
    "# directory (node id, Deno KV, task work directories), its cache and a private /tmp.",
    "DynamicUser=yes",
    `StateDirectory=${name}`,
    "StateDirectoryMode=0700",
    `CacheDirectory=${name}`,
    "UMask=0077",
    "ProtectSystem=strict",
    `ReadWritePaths=%S/${name}`,
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "",
    "# Privileges: none. bubblewrap is not setuid on Debian: it sandboxes skills in",
    "# unprivileged user namespaces, where it holds capabilities only over its own",
    "# namespaces, so NoNewPrivileges= and an empty bounding set leave it working.",
    "NoNewPrivileges=yes",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "RestrictSUIDSGID=yes",
    "",
    "# Kernel and system: what the node and its skills never touch. (bubblewrap still mounts a",
    "# fresh /proc for each skill under these: verified with systemd 252 and bubblewrap 0.8.)",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectProc=invisible",
    "LockPersonality=yes",
    "RestrictRealtime=yes",
    "SystemCallArchitectures=native",
    "SystemCallFilter=~@clock @cpu-emulation @debug @module @obsolete @raw-io @reboot @swap",
    "SystemCallErrorNumber=EPERM",
    "# IP for HTTP, mDNS and peers; AF_UNIX for local IPC; AF_NETLINK because bubblewrap brings",
    "# up loopback in each skill's new network namespace over rtnetlink, and the node reads",
    "# its interfaces (mDNS) over it.",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "",
    "# Left out on purpose: each stops skills or the node (tried with systemd 252, bubblewrap 0.8):",
    "# - RestrictNamespaces= (even ~user or ~cgroup alone): bubblewrap unshares the user, mount,",
    "#   pid, net, ipc, uts and cgroup namespaces for every skill run.",
    "# - ProcSubset=pid: bubblewrap reads /proc/sys/kernel/overflowuid and gives up.",
    "# - PrivateUsers=: bubblewrap makes its own user namespace per run; the unit gains nothing.",
    "# - MemoryDenyWriteExecute=: V8's JIT needs writable, executable memory (Deno aborts).",
    "# - IPAddressDeny=: skills that declare network access run in this unit's cgroup too;",
    "#   the node's own reach is bounded by its Deno --allow-net grant.",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** One argument of `ExecStart=`: credentials and the data directory as specifiers. */
function execWord(arg: ServiceArg, name: string): string {
  if (arg.kind === "credential") return `%d/${arg.id}`;
  if (arg.kind === "dataDir") return `%S/${name}`;
  return systemdWord(arg.value);
}
