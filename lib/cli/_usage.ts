/**
 * Shared CLI conventions: a usage error type, exit codes and the one-line error printer.
 *
 * @module
 */
import { terminalSafe } from "./_terminal.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SwarmError, toSwarmError } from "../protocol/mod.ts";
import { attachNegativeValues } from "../config/mod.ts";
import { withOptionSuggestion } from "./_suggest.ts";
import { transportHint } from "./_transport_hint.ts";

/**
 * A command-line mistake (unknown command or flag, bad value), with the stable code
 * `invalid_argument`. Exits with {@link EXIT_USAGE}.
 */
export class UsageError extends SwarmError {
  /**
   * Creates the error.
   *
   * @param message What is wrong, on one line, naming the argument.
   * @param options Standard error options, e.g. `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("invalid_argument", message, {}, options);
    this.name = "UsageError";
  }
}

/**
 * `node:util` `parseArgs` (strict by default) with its errors turned into a one-line
 * {@link UsageError}. Why `parseArgs`: it is built into Deno (the design card's
 * `@std/cli` is on JSR, which is unreachable here) and its typed result needs no
 * dependency. A negative number after a flag that takes a value (`--days -1`) is that
 * flag's value, so the command's own range check names it; an unknown flag close to a
 * known one gets a "did you mean".
 *
 * @throws {UsageError} On an unknown flag, a missing value or a stray argument.
 */
export function parseCliArgs<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const options = Object.entries(config.options ?? {});
  const valueFlags = options.filter(([, o]) => o.type === "string").flatMap(([name, o]) => [
    `--${name}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  const args = config.args && attachNegativeValues(config.args, valueFlags);
  try {
    return parseArgs({ ...config, args } as T);
  } catch (err) {
    const message = (err as Error).message.split("\n")[0];
    throw new UsageError(withOptionSuggestion(message, options.map(([name]) => `--${name}`)));
  }
}

/** Exit code for success. */
export const EXIT_OK = 0;
/** Exit code for an operational failure (server error, task failed). */
export const EXIT_FAILURE = 1;
/** Exit code for a usage mistake. */
export const EXIT_USAGE = 2;

/**
 * Prints one line `swarm <command>: code: message` to stderr and returns the exit code
 * that goes with the error: {@link EXIT_USAGE} for a {@link UsageError} (whose line
 * points to the help), else {@link EXIT_FAILURE}. The code is the error's own when it is
 * a {@link SwarmError} (every typed error of swarm is one), else `internal`; the message
 * is escaped so a node's or peer's text cannot drive the terminal.
 *
 * @param command The subcommand, as typed after `swarm`; empty for `swarm` itself.
 * @param err What was thrown.
 * @returns The exit code.
 */
export function reportError(command: string, err: unknown): number {
  const prefix = command ? `swarm ${command}` : "swarm";
  const error = toSwarmError(err);
  const message = error.code === "peer_unreachable" ? transportHint(error.message) : error.message;
  const line = `${prefix}: ${error.code}: ${terminalSafe(message)}`;
  if (err instanceof UsageError) {
    console.error(`${line} (see 'swarm ${command ? command + " " : ""}--help')`);
    return EXIT_USAGE;
  }
  console.error(line);
  return EXIT_FAILURE;
}

/** What {@link runSubcommand} needs of a subcommand. */
export interface Subcommand<A extends { help: boolean }> {
  /** Its name, as typed after `swarm` (used in error lines). */
  name: string;
  /** Its pure argument parser; throws {@link UsageError} on a mistake. */
  parse: (argv: string[]) => A;
  /** Its help text, printed for `-h`/`--help`. */
  help: string;
  /** Its work once the arguments are parsed; returns the exit code. */
  run: (args: A) => Promise<number>;
}

/**
 * The skeleton every client subcommand shares: parse, print the help when asked, run,
 * and turn anything thrown into one error line and its exit code ({@link reportError}).
 *
 * @example
 * ```ts
 * import { runSubcommand } from "./_usage.ts";
 * const code = await runSubcommand(["--help"], {
 *   name: "demo",
 *   parse: (argv) => ({ help: argv.includes("--help") }),
 *   help: "Usage: swarm demo",
 *   run: () => Promise.resolve(0),
 * });
 * console.assert(code === 0);
 * ```
 */
export async function runSubcommand<A extends { help: boolean }>(
  argv: string[],
  command: Subcommand<A>,
): Promise<number> {
  try {
    const args = command.parse(argv);
    if (args.help) {
      console.log(command.help);
      return EXIT_OK;
    }
    return await command.run(args);
  } catch (err) {
    return reportError(command.name, err);
  }
}

/**
 * Refuses any positional argument (a command that takes none).
 *
 * @throws {UsageError} Naming the first one.
 */
export function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
}

/**
 * The one positional argument a command takes.
 *
 * @param name How the help names it, for the error (`NAME`, `DIR`).
 * @throws {UsageError} When it is missing or empty, or there are more.
 */
export function onePositional(positionals: string[], name: string): string {
  if (positionals.length === 0 || positionals[0] === "") {
    throw new UsageError(`Missing argument ${name}`);
  }
  if (positionals.length > 1) throw new UsageError(`Unexpected argument '${positionals[1]}'`);
  return positionals[0];
}
