/**
 * `swarm serve` / `swarm --listen …`: runs a node.
 *
 * @module
 */
import { ConfigError, loadConfig, serveHelp } from "../config/mod.ts";
import { terminalSafe } from "./_terminal.ts";
import { runNode } from "../node/mod.ts";
import { EXIT_USAGE, reportError } from "./_usage.ts";

/** Runs the node with `argv` (flags only) and returns the exit code. */
export async function runServe(argv: string[]): Promise<number> {
  let result;
  try {
    result = loadConfig({ args: argv, env: Deno.env.toObject() });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`swarm: ${err.code}: ${terminalSafe(err.message)}`);
      return EXIT_USAGE;
    }
    return reportError("", err);
  }
  if (result.help) {
    console.log(serveHelp());
    return 0;
  }
  try {
    return await runNode(result.config);
  } catch (err) {
    return reportError("", err);
  }
}
