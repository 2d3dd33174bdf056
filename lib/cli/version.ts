/**
 * `swarm version` (also `swarm --version`, `swarm -V`): prints the version.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { noPositionals, parseCliArgs, runSubcommand } from "./_usage.ts";

/** Help of `swarm version`. */
export const VERSION_HELP = `Usage: swarm version

Prints 'swarm VERSION' (also: swarm --version, swarm -V).

Options:
  -h, --help         show this help`;

/**
 * Runs `swarm version` and returns the exit code.
 *
 * @param argv The arguments after `version`: none, or `--help`.
 */
export function runVersion(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    name: "version",
    parse: (args) => {
      const { values, positionals } = parseCliArgs({
        args,
        options: { help: { type: "boolean", short: "h" } },
        strict: true,
        allowPositionals: true,
      });
      noPositionals(positionals);
      return { help: values.help ?? false };
    },
    help: VERSION_HELP,
    run: () => {
      console.log(`swarm ${VERSION}`);
      return Promise.resolve(0);
    },
  });
}
