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
import { closest } from "./_suggest.ts";
import { nodeConfiguredByEnv, runServe } from "./serve.ts";
import { runSkill } from "./skill.ts";
import { runSkills } from "./skills.ts";
import { runStatus } from "./status.ts";
import { runTask } from "./task.ts";
import { runEvents } from "./events.ts";
import { runTls } from "./tls.ts";
import { runToken } from "./token.ts";
import { runKey } from "./key.ts";
import { runTrust } from "./trust.ts";
import { runService } from "./service.ts";
import { runCompletions } from "./completions.ts";
import { runVersion } from "./version.ts";

/** The top-level help text. */
export const MAIN_HELP = `swarm ${VERSION} — edge node for a P2P mesh of AI-agent skill executors

Usage:
  swarm --listen [ADDR] [options]   run a node (default 127.0.0.1:7700, loopback only)
  swarm serve [options]             the same, spelled as a subcommand
  swarm status [--url URL] [--json] show a node's identity, permissions, limits, skills and
                                    peers (--mesh: every node the node knows; --watch:
                                    refresh every --interval-ms)
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
  swarm service print|install|uninstall
                                    run a node as a service: a hardened systemd unit or a
                                    launchd agent
  swarm completions bash|zsh|fish   print a shell completion script
  swarm help [COMMAND]              show help (also: swarm COMMAND --help)
  swarm version                     print the version (also: swarm --version, -V)

A node speaks SkillLite's 'skilllite swarm' protocol. It stays on loopback unless you
opt into the LAN with --allow-net (e.g. --allow-net=0.0.0.0 --listen 0.0.0.0:7700).

Environment: SKILLLITE_SWARM_TOKEN (bearer token: the shared one, or a scoped token
from 'swarm token issue'), SKILLLITE_SWARM_URL (node URL for clients). Run 'swarm serve --help' for every node option.
Without arguments, 'swarm' runs a node when the environment configures one (SWARM_LISTEN,
SWARM_CONFIG or another node variable), else prints this help.`;

/** A subcommand's entry point: takes the arguments after its name, returns the exit code. */
export type Command = (argv: string[]) => Promise<number>;

/**
 * The command table: every subcommand by the word that selects it. Help, "did you
 * mean" and the shell completions (`swarm completions`) are all derived from it.
 */
export const COMMANDS: Record<string, Command> = {
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
  service: (argv) => runService(argv),
  completions: (argv) => runCompletions(argv, COMMANDS),
  version: runVersion,
};

/**
 * Runs the CLI with `argv` (without the program name) and returns the exit code.
 * Node flags without a subcommand (`swarm --listen …`) run the node; so does `swarm`
 * alone when `env` configures a node (a service setting only `SWARM_LISTEN` or
 * `SWARM_CONFIG`), otherwise it prints the help.
 *
 * @param argv The arguments after the program name.
 * @param env The environment (node settings, client URL and token).
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    if (nodeConfiguredByEnv(env)) return await runServe([], env);
    console.log(MAIN_HELP);
    return EXIT_OK;
  }
  if (first === "--version" || first === "-V") {
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
    // `swarm help token issue` is `swarm token issue --help`.
    return await command([...rest.slice(1), "--help"]);
  }
  if (first.startsWith("-")) return await runServe(argv, env);
  const command = COMMANDS[first];
  if (!command) return unknownCommand(first);
  return await command(rest);
}

function unknownCommand(name: string): number {
  const suggestion = closest(name, [...Object.keys(COMMANDS), "help"]);
  const hint = suggestion === undefined ? "" : `: did you mean '${suggestion}'?`;
  return reportError("", new UsageError(`Unknown command '${name}'${hint}`));
}
