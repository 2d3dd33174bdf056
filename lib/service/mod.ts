/**
 * Running a node as a system service: the node's command line in a service
 * ({@link servicePlan}), a hardened systemd unit ({@link systemdUnit}) and a launchd
 * property list ({@link launchdPlist}) built from it, where each lives
 * ({@link servicePaths}), which executable they start ({@link serviceExecutable}), and
 * writing and removing only files swarm wrote ({@link installServiceFile},
 * {@link removeServiceFile}). The builders are pure; `swarm service` (lib/cli) wires
 * them to the machine.
 *
 * @example
 * ```ts
 * import { servicePaths, servicePlan, systemdUnit } from "./mod.ts";
 * const paths = servicePaths("systemd", { name: "swarm" });
 * const plan = servicePlan({
 *   lan: true,
 *   defaultTokenFile: paths.tokenFile,
 *   dataDir: paths.dataDir,
 *   cwd: "/",
 *   nodeArgs: ["--skills-dir", "/srv/swarm/skills"],
 * });
 * const unit = systemdUnit(plan, { exec: "/usr/local/bin/swarm" });
 * console.assert(unit.includes("--allow-net=0.0.0.0 --data-dir %S/swarm --token-file %d/token"));
 * console.assert(unit.includes("LoadCredential=token:/etc/credstore/swarm-token\n"));
 * ```
 *
 * @module
 */
export * from "./service_format.ts";
export * from "./service_plan.ts";
export * from "./stop_timeout.ts";
export * from "./systemd_unit.ts";
export * from "./systemd_hidden_path.ts";
export * from "./launchd_plist.ts";
export * from "./service_paths.ts";
export * from "./service_executable.ts";
export * from "./service_marker.ts";
export * from "./foreign_service_file_error.ts";
export * from "./install_service_file.ts";
export * from "./remove_service_file.ts";
export * from "./install_steps.ts";
export * from "./uninstall_steps.ts";
