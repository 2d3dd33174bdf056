/**
 * swarm — a single-binary edge node for a P2P mesh of AI-agent skill executors.
 * This file only parses the subcommand, dispatches and exits.
 *
 * @module
 */
import { runCli } from "./lib/cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
