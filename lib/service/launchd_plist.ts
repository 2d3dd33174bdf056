/**
 * The launchd property list of a node (macOS).
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { refuseControl, xmlText } from "./_quote.ts";
import { SERVICE_MARKER } from "./service_marker.ts";
import type { ServicePlan } from "./service_plan.ts";
import { servicePaths } from "./service_paths.ts";
import { stopTimeoutSeconds } from "./stop_timeout.ts";

/** Options of {@link launchdPlist}. */
export interface LaunchdPlistOptions {
  /** Absolute path of the `swarm` executable. */
  exec: string;
  /** The job's label (also its file name, `LABEL.plist`). @default {"local.swarm"} */
  label?: string;
  /** The user's home directory: the data directory and the log go under it. */
  home: string;
}

/**
 * The launchd job that runs a node as the user's agent: started at load (login),
 * restarted when it exits with a failure but not after a clean stop
 * (`KeepAlive.SuccessfulExit` false), given longer than its drain timeout to stop
 * (`ExitTimeOut`) before launchd kills it, its output in `~/Library/Logs/LABEL.log`.
 * Secrets are paths on the command line (`--token-file`, a file of mode 0600), never
 * values in `EnvironmentVariables`, which anyone who can read the plist or ask launchd
 * about the job could see.
 *
 * @param plan The node's command line ({@link servicePlan}).
 * @param options The executable, label and home directory.
 * @returns The plist's text (XML, Apple's PropertyList-1.0 DTD), with the
 * {@link SERVICE_MARKER} in a comment on its third line.
 * @throws {RangeError} When `exec` is not absolute, the label is invalid, `home` is not
 * absolute, or a path holds a control character.
 * @example
 * ```ts
 * import { launchdPlist, servicePlan } from "./mod.ts";
 * const plan = servicePlan({ defaultTokenFile: "/Users/ada/t", dataDir: "/Users/ada/d", cwd: "/" });
 * const plist = launchdPlist(plan, { exec: "/usr/local/bin/swarm", home: "/Users/ada" });
 * console.assert(plist.includes("<key>ExitTimeOut</key>\n  <integer>45</integer>"));
 * ```
 */
export function launchdPlist(plan: ServicePlan, options: LaunchdPlistOptions): string {
  const { exec, home, label = "local.swarm" } = options;
  const paths = servicePaths("launchd", { name: label, home });
  if (!exec.startsWith("/")) {
    throw new RangeError(
      `Cannot run '${exec}' from launchd: the executable must be an absolute path`,
    );
  }
  refuseControl(exec, "--exec");
  refuseControl(home, "the home directory");
  const argv = [
    exec,
    ...plan.args.map((arg) => {
      if (arg.kind === "dataDir") return paths.dataDir;
      if (arg.kind === "credential") return plan.credentials.find((c) => c.id === arg.id)!.source;
      return arg.value;
    }),
  ];
  const string = (value: string) => `<string>${xmlText(value)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- ${SERVICE_MARKER} (swarm ${VERSION}); 'swarm service uninstall' removes it. -->`,
    "<!-- Regenerate it with 'swarm service print' rather than editing it; docs/service.md. -->",
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  ${string(label)}`,
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...argv.map((word) => `    ${string(word)}`),
    "  </array>",
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <!-- Restart after a crash (non-zero exit), not after a clean stop. -->",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    "  <key>ThrottleInterval</key>",
    "  <integer>10</integer>",
    `  <!-- SIGTERM starts the drain (${plan.drainTimeoutMs} ms); SIGKILL only after this. -->`,
    "  <key>ExitTimeOut</key>",
    `  <integer>${stopTimeoutSeconds(plan.drainTimeoutMs)}</integer>`,
    "  <!-- Files the node creates are private to the user (umask 077). -->",
    "  <key>Umask</key>",
    `  <integer>${0o077}</integer>`,
    "  <key>StandardOutPath</key>",
    `  ${string(paths.log!)}`,
    "  <key>StandardErrorPath</key>",
    `  ${string(paths.log!)}`,
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}
