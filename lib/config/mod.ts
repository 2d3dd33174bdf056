/**
 * Node configuration: the documented `Config`, its loopback and LAN presets
 * (`DEFAULT_CONFIG`, `LAN_CONFIG`), its option table, the loader, the policies built
 * from it (`retryPolicyOf`, `healthPolicyOf`, `executionPolicyOf`) and the address,
 * network-grant and LLM-settings rules it relies on.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./mod.ts";
 * const result = loadConfig({ args: ["--data-dir", ":memory:"], env: {} });
 * if (!result.help) console.assert(result.config.listen.host === "127.0.0.1");
 * ```
 *
 * @module
 */
export * from "./config.ts";
export * from "./llm_config.ts";
export * from "./listen_address.ts";
export * from "./net_allowance.ts";
export * from "./load.ts";
export * from "./help.ts";
export * from "./policies.ts";
