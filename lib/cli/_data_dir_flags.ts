/**
 * The flags that say which node's data directory a local command (`swarm trust`,
 * `swarm skill pin|unpin|rollback`) edits, chosen exactly as the node chooses it.
 *
 * @module
 */
import { nodeDataDir } from "../config/mod.ts";
import { SwarmError } from "../protocol/mod.ts";
import { UsageError } from "./_usage.ts";

/** `parseArgs` definitions of the data-dir flags (and `--help`). */
export const DATA_DIR_OPTIONS = {
  "data-dir": { type: "string" },
  listen: { type: "string" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The flags that choose a node's data directory, as given. */
export interface DataDirFlags {
  /** `--data-dir`. */
  dataDir?: string;
  /** `--listen`. */
  listen?: string;
  /** `--config`. */
  config?: string;
}

/**
 * The data-dir flags among parsed values.
 *
 * @throws {UsageError} When one is given empty.
 */
export function dataDirFlags(values: Record<string, unknown>): DataDirFlags {
  const flags: DataDirFlags = {};
  for (const [flag, key] of [["data-dir", "dataDir"], ["listen", "listen"], ["config", "config"]]) {
    const value = values[flag];
    if (typeof value !== "string") continue;
    if (value === "") throw new UsageError(`Option '--${flag}' needs a value`);
    flags[key as keyof DataDirFlags] = value;
  }
  return flags;
}

/**
 * The node's data directory, as the node would pick it from these flags and this
 * process's environment.
 *
 * @param keeps What the command edits there, for the error (`pins`, `trust store`).
 * @throws {SwarmError} `config_invalid` for a `:memory:` data directory.
 */
export function chosenDataDir(flags: DataDirFlags, keeps: string): string {
  const dir = nodeDataDir({ ...flags, env: Deno.env.toObject() });
  if (dir === ":memory:") {
    throw new SwarmError(
      "config_invalid",
      `The node's data directory is ':memory:', which keeps no ${keeps}: pass --data-dir DIR`,
    );
  }
  return dir;
}
