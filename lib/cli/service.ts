/**
 * `swarm service`: run a node as a system service (a hardened systemd unit, or a
 * launchd agent on macOS): print the definition, install it, uninstall it.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../config/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import {
  DEFAULT_SERVICE_NAMES,
  installServiceFile,
  installSteps,
  launchdPlist,
  removeServiceFile,
  SERVICE_FORMATS,
  serviceExecutable,
  type ServiceFormat,
  serviceFormatFor,
  servicePaths,
  servicePlan,
  systemdHiddenPath,
  systemdUnit,
  uninstallSteps,
} from "../service/mod.ts";
import { terminalSafe } from "./_terminal.ts";
import { EXIT_OK, EXIT_USAGE, parseCliArgs, reportError, UsageError } from "./_usage.ts";

/** Help text of `swarm service`. */
export const SERVICE_HELP =
  `Usage: swarm service print|install|uninstall [options] [-- NODE_OPTIONS...]

Run a node as a service of the system: a hardened systemd unit on Linux, a launchd
agent on macOS. The service runs 'swarm serve' as an unprivileged user with its own data
directory, restarts it when it fails, and on stop gives it longer than its drain
timeout, so in-flight tasks finish. Secrets are never written into the definition:
systemd hands the token file to the node as a credential (LoadCredential=), launchd
passes its path (the file must be mode 0600). docs/service.md explains every line.

Commands:
  print               Write the definition to stdout (nothing is installed).
  install             Write it where the service manager finds it (atomically) and print
                      the commands that start it. A file already there is replaced only
                      when 'swarm service' wrote it. A system unit needs root.
  uninstall           Remove the definition 'swarm service install' wrote (a file without
                      its marker line is refused and left alone) and say what was removed.
                      Stop the service first: systemctl disable --now NAME.service, or
                      launchctl bootout gui/UID/LABEL. The data and secrets are kept.

Options:
  --format FORMAT     systemd or launchd. Default: systemd on Linux, launchd on macOS.
  --lan               Serve the LAN: --listen 0.0.0.0:7700 --allow-net=0.0.0.0. A LAN
                      node needs authentication: without --token-file (or --keyring,
                      --tls-client-ca or --insecure-no-auth among NODE_OPTIONS) the
                      token file defaults to /etc/credstore/NAME-token (systemd) or
                      ~/Library/Application Support/LABEL/token (launchd).
  --allow-net HOSTS   A narrower LAN opt-in than 0.0.0.0: hosts or CIDRs, comma-separated
                      (e.g. 192.168.1.0/24). Implies --lan.
  --listen ADDR       The address to serve. Default 127.0.0.1:7700, with --lan 0.0.0.0:7700.
  --token-file FILE   The node's bearer token file (the mesh's shared token). systemd
                      loads it as the credential 'token' and the node reads it from
                      %d/token; launchd passes FILE itself.
  --encrypted-token   systemd: the credential files are encrypted with 'systemd-creds
                      encrypt' (LoadCredentialEncrypted=); the default token file is then
                      /etc/credstore.encrypted/NAME-token.
  --name NAME         The unit name (default swarm: swarm.service, /var/lib/swarm) or the
                      launchd label (default local.swarm). Another name runs a second node.
  --exec PATH         The swarm executable the service starts. Default: this swarm, i.e.
                      the compiled binary, or the launcher install.sh wrote
                      ($SWARM_LAUNCHER). Its checkout must stay readable by the service.
  --dir DIR           install, uninstall: the directory of the definition. Default
                      /etc/systemd/system (systemd), ~/Library/LaunchAgents (launchd).
  -h, --help          Show this help.

NODE_OPTIONS, after '--', are further options of 'swarm serve' (see 'swarm serve --help'),
e.g. -- --skills-dir /srv/swarm/skills --peer 10.0.0.2:7700. Their paths are made
absolute; --node-token-file, --tls-key and --publisher-key files become credentials like
the token; --drain-timeout-ms also sets the service's stop timeout. They are checked as
the node checks them, so a definition that would not start is refused here. --listen,
--allow-net, --token-file and --data-dir belong to 'swarm service' itself.

Exit status: 0 on success, 1 on failure (a foreign file, no permission), 2 on a usage
mistake or node options the node would refuse.`;

/** Parsed arguments of `swarm service`. */
export interface ServiceArgs {
  /** `-h`/`--help`: print {@link SERVICE_HELP} and do nothing else. */
  help: boolean;
  /** The command (`print` with `help`). */
  command: "print" | "install" | "uninstall";
  /** `--format`; undefined = this system's. */
  format?: ServiceFormat;
  /** `--lan`. */
  lan: boolean;
  /** `--listen`. */
  listen?: string;
  /** `--allow-net`. */
  allowNet?: string;
  /** `--token-file`, as given. */
  tokenFile?: string;
  /** `--encrypted-token`. */
  encryptedToken: boolean;
  /** `--name`. */
  name?: string;
  /** `--exec`, as given. */
  exec?: string;
  /** `--dir`, as given. */
  dir?: string;
  /** The node options after `--`. */
  nodeArgs: string[];
}

const COMMANDS = ["print", "install", "uninstall"] as const;

/** Options that shape the node, meaningless for `uninstall`. */
const NODE_SHAPING = ["lan", "listen", "allow-net", "token-file", "encrypted-token", "exec"];

/**
 * Parses the arguments of `swarm service` (those after `service`). Everything after the
 * first `--` is a node option, passed on as it is.
 *
 * @param argv The arguments.
 * @returns The parsed arguments.
 * @throws {UsageError} On a missing or unknown command, an unknown option, an empty
 * value, an unknown format, `--dir` with `print`, or node-shaping options or node
 * options with `uninstall`.
 * @example
 * ```ts
 * import { parseServiceArgs } from "./service.ts";
 * const args = parseServiceArgs(["print", "--lan", "--", "--skills-dir", "/srv/skills"]);
 * console.assert(args.command === "print" && args.lan && args.nodeArgs.length === 2);
 * ```
 */
export function parseServiceArgs(argv: string[]): ServiceArgs {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const nodeArgs = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parseCliArgs({
    args: own,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: "string" },
      lan: { type: "boolean" },
      listen: { type: "string" },
      "allow-net": { type: "string" },
      "token-file": { type: "string" },
      "encrypted-token": { type: "boolean" },
      name: { type: "string" },
      exec: { type: "string" },
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...extra] = positionals;
  const base = { lan: false, encryptedToken: false, nodeArgs: [] };
  if (values.help || command === "help") return { help: true, command: "print", ...base };
  if (command === undefined) throw new UsageError("Missing command: print, install or uninstall");
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command '${command}': print, install or uninstall`);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}'`);
  for (const flag of ["format", "listen", "allow-net", "token-file", "name", "exec", "dir"]) {
    if (values[flag as keyof typeof values] === "") {
      throw new UsageError(`Option '--${flag}' needs a value`);
    }
  }
  const format = values.format;
  if (format !== undefined && !(SERVICE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `Option '--format' must be systemd or launchd: current value is ${format}`,
    );
  }
  if (command === "print" && values.dir !== undefined) {
    throw new UsageError("Option '--dir' is for install and uninstall: print writes to stdout");
  }
  if (command === "uninstall") {
    const shaping = NODE_SHAPING.find((flag) => values[flag as keyof typeof values] !== undefined);
    if (shaping !== undefined) {
      throw new UsageError(
        `Option '--${shaping}' has no effect on uninstall, which removes the file by its name`,
      );
    }
    if (split !== -1) throw new UsageError("Node options have no effect on uninstall");
  }
  const args: ServiceArgs = {
    help: false,
    command: command as ServiceArgs["command"],
    lan: values.lan ?? false,
    encryptedToken: values["encrypted-token"] ?? false,
    nodeArgs,
  };
  if (format !== undefined) args.format = format as ServiceFormat;
  if (values.listen !== undefined) args.listen = values.listen;
  if (values["allow-net"] !== undefined) args.allowNet = values["allow-net"];
  if (values["token-file"] !== undefined) args.tokenFile = values["token-file"];
  if (values.name !== undefined) args.name = values.name;
  if (values.exec !== undefined) args.exec = values.exec;
  if (values.dir !== undefined) args.dir = values.dir;
  return args;
}

/** What `swarm service` reads of the machine it runs on; tests replace parts of it. */
export interface ServiceContext {
  /** `Deno.build.os`. */
  os: string;
  /** `Deno.uid()`: root may install system units. */
  uid: number | null;
  /** Environment variables (`HOME`, `SWARM_LAUNCHER`). */
  env: Record<string, string | undefined>;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** `Deno.build.standalone`. */
  standalone: boolean;
  /** `Deno.execPath()`. */
  execPath: string;
  /**
   * What the launcher runs when this process came through it: Deno and the checkout
   * (`Deno.execPath()` and `main.ts`'s directory), which a unit must be able to see too.
   */
  runtimePaths: string[];
}

function thisMachine(): ServiceContext {
  return {
    os: Deno.build.os,
    uid: Deno.uid(),
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    runtimePaths: Deno.build.standalone
      ? []
      : [Deno.execPath(), dirname(fileURLToPath(Deno.mainModule))],
  };
}

/**
 * Runs `swarm service` with the arguments after `service` and returns the exit code.
 * `print` writes only the definition on stdout, so `swarm service print > swarm.service`
 * captures it.
 *
 * @param argv The arguments after `service`.
 * @param context The machine, for tests. @default {this machine}
 * @returns The exit code.
 */
export async function runService(
  argv: string[],
  context: Partial<ServiceContext> = {},
): Promise<number> {
  try {
    const args = parseServiceArgs(argv);
    if (args.help) {
      console.log(SERVICE_HELP);
      return EXIT_OK;
    }
    return await run(args, { ...thisMachine(), ...context });
  } catch (err) {
    // The service builders throw RangeError for a bad value the operator typed.
    if (err instanceof RangeError) {
      return reportError("service", new UsageError(err.message, { cause: err }));
    }
    if (err instanceof ConfigError) {
      console.error(
        `swarm service: ${err.code}: ${terminalSafe(err.message)} (see 'swarm serve --help')`,
      );
      return EXIT_USAGE;
    }
    return reportError("service", err);
  }
}

async function run(args: ServiceArgs, machine: ServiceContext): Promise<number> {
  const format = args.format ?? serviceFormatFor(machine.os);
  if (format === undefined) {
    throw new UsageError(
      `No service manager known for ${machine.os}: pass --format systemd|launchd`,
    );
  }
  if (args.encryptedToken && format !== "systemd") {
    throw new UsageError("Option '--encrypted-token' is for systemd units (systemd-creds)");
  }
  const name = args.name ?? DEFAULT_SERVICE_NAMES[format];
  const home = machine.env.HOME;
  const paths = servicePaths(format, {
    name,
    home,
    encryptedCredentials: args.encryptedToken,
  });
  const dir = args.dir === undefined ? paths.dir : resolve(machine.cwd, args.dir);
  const file = join(dir, paths.fileName);
  const uid = machine.uid ?? undefined;

  if (args.command === "uninstall") {
    await fileAccess(file, "remove", () => removeServiceFile(file));
    console.log(`Removed ${file}.`);
    for (const line of uninstallSteps(format, { name, dataDir: paths.dataDir, uid })) {
      console.log(line);
    }
    return EXIT_OK;
  }

  const exec = serviceExecutable({
    exec: args.exec === undefined ? undefined : resolve(machine.cwd, args.exec),
    standalone: machine.standalone,
    execPath: machine.execPath,
    env: machine.env,
  });
  await checkExecutable(exec);
  const plan = servicePlan({
    lan: args.lan,
    listen: args.listen,
    allowNet: args.allowNet,
    tokenFile: args.tokenFile === undefined ? undefined : resolve(machine.cwd, args.tokenFile),
    defaultTokenFile: paths.tokenFile,
    nodeArgs: args.nodeArgs,
    dataDir: paths.dataDir,
    cwd: machine.cwd,
  });
  const text = format === "systemd"
    ? systemdUnit(plan, { exec, name, encryptedCredentials: args.encryptedToken })
    : launchdPlist(plan, { exec, label: name, home: home ?? "" });
  if (format === "systemd") {
    const runtime = args.exec === undefined && !machine.standalone ? machine.runtimePaths : [];
    warnHidden([
      exec,
      ...runtime,
      ...plan.args.flatMap((arg) =>
        arg.kind === "word" && arg.value.startsWith("/") ? [arg.value] : []
      ),
    ]);
  }
  if (args.command === "print") {
    console.log(text.replace(/\n$/, ""));
    return EXIT_OK;
  }

  if (format === "systemd" && args.dir === undefined && uid !== 0) {
    throw new SwarmError(
      "invalid_argument",
      `Cannot install into ${dir} as an unprivileged user: system units need root (run it with sudo, or pass --dir DIR)`,
    );
  }
  const credentials = [];
  for (const credential of plan.credentials) {
    credentials.push({ ...credential, exists: await privateFileExists(credential.source) });
  }
  const installed = await fileAccess(file, "write", () => installServiceFile(file, text));
  console.log(`Installed ${file}${installed.replaced ? " (replacing the earlier one)" : ""}.`);
  const lines = installSteps(format, {
    path: file,
    name,
    inSearchPath: dir === paths.dir,
    credentials,
    encryptedCredentials: args.encryptedToken,
    uid,
    log: paths.log,
  });
  for (const line of lines) console.log(line);
  return EXIT_OK;
}

/**
 * Warns, on stderr, about each path the unit's sandbox would hide from the node: the
 * unit is still written (a drop-in may bind the path in), but would not start as is.
 */
function warnHidden(paths: string[]): void {
  for (const path of new Set(paths)) {
    const why = systemdHiddenPath(path);
    if (why === undefined) continue;
    console.error(
      `Warning: the service cannot see ${path}: ${why}. Move it elsewhere (for swarm itself: install.sh with SWARM_INSTALL_DIR=/usr/local/bin, from a checkout outside those directories)`,
    );
  }
}

/** Runs a file operation, turning a permission refusal into one clear line. */
async function fileAccess<T>(file: string, verb: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Deno.errors.PermissionDenied) {
      throw new SwarmError(
        "invalid_argument",
        `Cannot ${verb} ${file}: permission denied (system units need root: run it with sudo)`,
        { path: file },
        { cause: err },
      );
    }
    throw err;
  }
}

/** Refuses an `exec` that is not an executable file. */
async function checkExecutable(exec: string): Promise<void> {
  let info;
  try {
    info = await Deno.stat(exec);
  } catch (err) {
    throw new SwarmError(
      "invalid_argument",
      `Cannot use ${exec} as the swarm executable: ${(err as Error).message}`,
      { path: exec },
      { cause: err },
    );
  }
  if (!info.isFile || ((info.mode ?? 0o755) & 0o111) === 0) {
    throw new SwarmError(
      "invalid_argument",
      `Cannot use ${exec} as the swarm executable: it is not an executable file`,
      { path: exec },
    );
  }
}

/**
 * Whether a secret file exists; refuses one that others may read, since the service
 * would hand it to the node as is.
 */
async function privateFileExists(path: string): Promise<boolean> {
  let info;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    if (err instanceof Deno.errors.PermissionDenied) return true; // root-only: as it should be
    throw err;
  }
  const mode = (info.mode ?? 0) & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SwarmError(
      "invalid_argument",
      `Refusing to use ${path} as a secret: its mode is 0${
        mode.toString(8)
      }, so other users can read it (chmod 600 ${path})`,
      { path },
    );
  }
  return true;
}
