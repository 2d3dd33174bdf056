/**
 * `swarm trust`: the node's trust store, the publishers whose skill releases it accepts
 * and for which skill names.
 *
 * @module
 */
import {
  chosenDataDir,
  DATA_DIR_OPTIONS,
  type DataDirFlags,
  dataDirFlags,
} from "./_data_dir_flags.ts";
import { SwarmError } from "../protocol/mod.ts";
import {
  addTrustedPublisher,
  readPublicKey,
  readTrustStore,
  removeTrustedPublisher,
  trustStorePath,
} from "../sync/mod.ts";
import { terminalSafe } from "./_terminal.ts";
import { EXIT_OK, onePositional, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";

/** Help text of `swarm trust`. */
export const TRUST_HELP = `Usage: swarm trust COMMAND [options]

Manage a node's trust store: the publishers whose signed skill releases the node
accepts, each for the skill names it may publish. The store is one file in the node's
data directory, DATA_DIR/sync/trust.json (mode 0600); edits are atomic and one at a
time.

Commands:
  add PUBFILE --name NAME [--skills PATTERN]...
                      Trust the publisher key in PUBFILE (the .pub file of 'swarm key
                      gen'; its key id is computed from the key) under NAME, for the
                      skill names matching PATTERN: an exact name, or one where *
                      stands for any run of characters (calc*, *). Repeatable or
                      comma-separated; default * (any skill). Refused when NAME, or
                      the key under any name, is trusted already.
  list [--json]       Show the trusted publishers: name, key id, skills, when added.
  remove NAME         Stop trusting publisher NAME.

Which node (the data directory is chosen exactly as 'swarm serve' chooses it):
  --data-dir DIR      The node's data directory. Default: $SWARM_DATA_DIR, else
                      dataDir of the config file, else $XDG_DATA_HOME/swarm/PORT
                      ($HOME/.local/share/swarm/PORT without XDG_DATA_HOME).
  --listen ADDR       The node's listen address, whose PORT names the default data
                      directory. Default: $SWARM_LISTEN, else listen of the config
                      file, else 127.0.0.1:7700.
  --config FILE       The node's JSON config file. Default: $SWARM_CONFIG.
  -h, --help          Show this help.

A node started with --accept-skills installs the skill releases it receives (by
skill sync from its peers, or 'swarm skill publish') only from the publishers its
trust store names, each for its skill-name patterns (docs/skill-sync.md).

Exit status: 0 on success, 1 on failure (unreadable key or store, name or key
trusted already, no such publisher), 2 on a usage mistake.`;

/** The subcommands of `swarm trust`. */
export const TRUST_COMMANDS = ["add", "list", "remove"] as const;

/** The flags that say which node's data directory is meant. */
export type NodeDirFlags = DataDirFlags;

/** A parsed `swarm trust` command line. */
export type TrustArgs =
  | { /** `-h`/`--help`: print {@link TRUST_HELP}. */ help: true }
  | {
    /** Not help. */
    help: false;
    /** Trust a publisher. */
    command: "add";
    /** The public key file. */
    pubFile: string;
    /** `--name`. */
    name: string;
    /** `--skills` patterns, default `["*"]`. */
    skills: string[];
    /** Which node. */
    node: NodeDirFlags;
  }
  | {
    /** Not help. */
    help: false;
    /** List the publishers. */
    command: "list";
    /** `--json`. */
    json: boolean;
    /** Which node. */
    node: NodeDirFlags;
  }
  | {
    /** Not help. */
    help: false;
    /** Remove a publisher. */
    command: "remove";
    /** The publisher's name. */
    name: string;
    /** Which node. */
    node: NodeDirFlags;
  };

const OPTIONS = {
  add: { name: { type: "string" }, skills: { type: "string", multiple: true } },
  list: { json: { type: "boolean" } },
  remove: {},
} as const;

/**
 * Parses the arguments of `swarm trust` (those after `trust`).
 *
 * @param argv The arguments.
 * @returns The parsed command.
 * @throws {UsageError} On a missing or unknown command, an unknown option, a missing
 * or extra argument, or a bad value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrustArgs } from "./trust.ts";
 * const args = parseTrustArgs(["add", "acme.pub", "--name", "acme", "--skills", "calc*"]);
 * assert.ok(!args.help && args.command === "add" && args.skills[0] === "calc*");
 * ```
 */
export function parseTrustArgs(argv: string[]): TrustArgs {
  const [command, ...rest] = argv;
  if (command === undefined) {
    throw new UsageError(`Missing command: one of ${TRUST_COMMANDS.join(", ")}`);
  }
  if (command === "-h" || command === "--help" || command === "help") return { help: true };
  if (!(TRUST_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`Unknown command '${command}': one of ${TRUST_COMMANDS.join(", ")}`);
  }
  const { values, positionals } = parseCliArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: { ...DATA_DIR_OPTIONS, ...OPTIONS[command as typeof TRUST_COMMANDS[number]] },
  });
  if (values.help) return { help: true };
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const node: NodeDirFlags = dataDirFlags(v);
  switch (command) {
    case "add": {
      const pubFile = onePositional(positionals, "PUBFILE");
      const name = v.name as string | undefined;
      if (name === undefined || name.trim() === "") {
        throw new UsageError("Option '--name NAME' is required");
      }
      return { help: false, command, pubFile, name, skills: patterns(v.skills), node };
    }
    case "list":
      if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
      return { help: false, command, json: v.json === true, node };
    default:
      return { help: false, command: "remove", name: onePositional(positionals, "NAME"), node };
  }
}

function patterns(values: string | string[] | boolean | undefined): string[] {
  if (values === undefined) return ["*"];
  const out = (values as string[]).flatMap((value) => value.split(","));
  for (const pattern of out) {
    if (pattern === "" || /\s/.test(pattern)) {
      throw new UsageError(
        `Option '--skills' needs skill names or patterns without spaces: got '${pattern}'`,
      );
    }
  }
  return out;
}

/**
 * Runs `swarm trust` with the arguments after `trust` and returns the exit code.
 *
 * @param argv The arguments after `trust`.
 * @returns The exit code.
 */
export async function runTrust(argv: string[]): Promise<number> {
  return await runSubcommand(argv, {
    name: "trust",
    parse: parseTrustArgs,
    help: TRUST_HELP,
    run,
  });
}

async function run(args: TrustArgs): Promise<number> {
  if (args.help) return EXIT_OK;
  const path = trustStorePath(dataDirOf(args.node));
  switch (args.command) {
    case "add": {
      const { publicJwk } = await readPublicKey(args.pubFile);
      const added = await addTrustedPublisher(path, {
        name: args.name,
        publicJwk,
        skills: args.skills,
      });
      console.log(
        `Trusted publisher '${terminalSafe(added.name)}' (key ${added.keyId}) for skills ${
          terminalSafe(added.skills.join(","))
        } in ${terminalSafe(path)}`,
      );
      return EXIT_OK;
    }
    case "list": {
      const publishers = await readTrustStore(path);
      if (args.json) {
        console.log(JSON.stringify({ file: path, publishers }, null, 2));
      } else if (publishers.length === 0) {
        console.log(`No trusted publishers in ${terminalSafe(path)}`);
      } else {
        console.log(`Trusted publishers in ${terminalSafe(path)}:`);
        for (const p of publishers) {
          console.log(
            `  ${terminalSafe(p.name)}  key ${p.keyId}  skills ${
              terminalSafe(p.skills.join(","))
            }  added ${terminalSafe(p.added)}`,
          );
        }
      }
      return EXIT_OK;
    }
    case "remove": {
      if (!await removeTrustedPublisher(path, args.name)) {
        throw new SwarmError("invalid_argument", `No publisher named '${args.name}' in ${path}`);
      }
      console.log(`Removed publisher '${terminalSafe(args.name)}' from ${terminalSafe(path)}`);
      return EXIT_OK;
    }
  }
}

/** The node's data directory, as the node would pick it from these flags and the environment. */
function dataDirOf(flags: NodeDirFlags): string {
  return chosenDataDir(flags, "trust store");
}
