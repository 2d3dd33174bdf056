/**
 * The `swarm` command line: subcommand dispatch, top-level help and version.
 *
 * @example
 * ```ts
 * import { runCli } from "./mod.ts";
 * const code = await runCli(["--version"]);
 * console.assert(code === 0);
 * ```
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { EXIT_OK, reportError, UsageError } from "./_usage.ts";
import { runServe } from "./serve.ts";
import { runSkill } from "./skill.ts";
import { runSkills } from "./skills.ts";
import { runStatus } from "./status.ts";
import { runTask } from "./task.ts";
import { runEvents } from "./events.ts";
import { runTls } from "./tls.ts";
import { runToken } from "./token.ts";
import { runKey } from "./key.ts";
import { runTrust } from "./trust.ts";

/** The top-level help text. */
export const MAIN_HELP = `swarm ${VERSION} — edge node for a P2P mesh of AI-agent skill executors

Usage:
  swarm --listen [ADDR] [options]   run a node (default 127.0.0.1:7700, loopback only)
  swarm serve [options]             the same, spelled as a subcommand
  swarm status [--url URL] [--json] show a node's identity, permissions, skills and peers
                                    (--mesh: every node the node knows)
  swarm events [--url URL] [--json] follow a node's live event stream (--types, --last-event-id)
  swarm skills [--skills-dir DIR]…  list the skills found, with capabilities and fingerprints
  swarm skill publish|list|pin|unpin|rollback
                                    skill sync: publish a signed release, list what a node
                                    installs, pin or roll back a skill
  swarm task DESCRIPTION [options]  submit a task to a node and print the result
  swarm tls init|issue|show         a small mesh CA and node/client certificates (TLS, mTLS)
  swarm token keygen|issue|list|revoke|…
                                    scoped tokens: signing keys, issue, rotate, revoke
  swarm key gen --out FILE          a publisher's signing key for skill releases
  swarm trust add|list|remove       the publishers whose skill releases a node accepts
  swarm help [COMMAND]              show help (also: swarm COMMAND --help)
  swarm --version                   print the version

A node speaks SkillLite's 'skilllite swarm' protocol. It stays on loopback unless you
opt into the LAN with --allow-net (e.g. --allow-net=0.0.0.0 --listen 0.0.0.0:7700).

Environment: SKILLLITE_SWARM_TOKEN (bearer token: the shared one, or a scoped token
from 'swarm token issue'), SKILLLITE_SWARM_URL (node URL for clients). Run 'swarm serve --help' for every node option.`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: runServe,
  status: runStatus,
  skills: runSkills,
  skill: runSkill,
  task: runTask,
  events: runEvents,
  tls: runTls,
  token: runToken,
  key: runKey,
  trust: runTrust,
};

/**
 * Runs the CLI with `argv` (without the program name) and returns the exit code.
 * Node flags without a subcommand (`swarm --listen …`) run the node.
 */
export async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.log(MAIN_HELP);
    return EXIT_OK;
  }
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(`swarm ${VERSION}`);
    return EXIT_OK;
  }
  if (first === "--help" || first === "-h") {
    console.log(MAIN_HELP);
    return EXIT_OK;
  }
  if (first === "help") {
    const sub = rest[0];
    if (sub === undefined || sub === "help") {
      console.log(MAIN_HELP);
      return EXIT_OK;
    }
    const command = COMMANDS[sub];
    if (!command) return unknownCommand(sub);
    return await command(["--help"]);
  }
  if (first.startsWith("-")) return await runServe(argv);
  const command = COMMANDS[first];
  if (!command) return unknownCommand(first);
  return await command(rest);
}

function unknownCommand(name: string): number {
  return reportError("", new UsageError(`Unknown command '${name}'`));
}
