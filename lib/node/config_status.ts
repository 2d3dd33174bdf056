/**
 * The `config` object of `/status`: the node's effective timeouts, limits and switches,
 * so an operator sees what the flags, the environment, the config file and the preset
 * added up to. Numbers and booleans only: no path, no token, no key material.
 *
 * @module
 */
import { type Config, OPTIONS } from "../config/mod.ts";

/**
 * Every integer and on/off setting of the option table that is a field of `config`,
 * keyed by its flag with underscores (`--max-hops` → `max_hops`, `--task-timeout-ms` →
 * `task_timeout_ms`), with its value in effect.
 *
 * @param config The node's loaded configuration.
 * @returns A plain object of numbers and booleans.
 *
 * @example
 * ```ts
 * import { configStatus } from "./config_status.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const loaded = loadConfig({ args: ["--data-dir", ":memory:", "--max-hops", "2"], env: {} });
 * if (!loaded.help) console.assert(configStatus(loaded.config).max_hops === 2);
 * ```
 */
export function configStatus(config: Config): Record<string, number | boolean> {
  const fields = config as unknown as Record<string, unknown>;
  const out: Record<string, number | boolean> = {};
  for (const option of OPTIONS) {
    if (option.type !== "integer" && option.type !== "boolean") continue;
    const value = fields[option.key];
    if (typeof value !== "number" && typeof value !== "boolean") continue;
    out[option.flag.replaceAll("-", "_")] = value;
  }
  return out;
}
