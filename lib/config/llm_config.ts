/**
 * Settings of LLM capability inference (`Config.llm`), read from the environment exactly
 * as SkillLite reads them (DESIGN.md §3, routing rule 3). The router's inference uses
 * them; they live here, with the rest of the node's configuration.
 *
 * @module
 */

/** How (and whether) to ask an OpenAI-compatible chat endpoint for a task's tags. */
export interface LlmConfig {
  /** `true` when a key is set and `SKILLLITE_SWARM_LLM_ROUTING` is not `0`. @default {false} */
  enabled: boolean;
  /** Bearer key of the endpoint. */
  apiKey?: string;
  /** Base URL; `/chat/completions` is appended. @default {"https://api.openai.com/v1"} */
  baseUrl: string;
  /** Model name. @default {"gpt-4o-mini"} */
  model: string;
  /**
   * Time limit of one inference request, in milliseconds; then the task is routed by
   * offline inference. SkillLite's value. @default {15000}
   */
  timeoutMs: number;
}

/** Base URL used when none is configured. */
export const DEFAULT_LLM_BASE_URL = "https://api.openai.com/v1";
/** Model used when none is configured. */
export const DEFAULT_LLM_MODEL = "gpt-4o-mini";
/** SkillLite's inference time limit (15 s). */
export const LLM_TIMEOUT_MS = 15_000;

function firstSet(env: Record<string, string | undefined>, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * Reads the inference settings: key from `SKILLLITE_API_KEY` | `OPENAI_API_KEY` |
 * `API_KEY`; base from `SKILLLITE_API_BASE` | `OPENAI_API_BASE` | `OPENAI_BASE_URL` |
 * `BASE_URL`; model from `SKILLLITE_MODEL` | `OPENAI_MODEL` | `MODEL` (the first
 * non-empty value, trimmed). Enabled only with a key, and never when
 * `SKILLLITE_SWARM_LLM_ROUTING` is `0`.
 *
 * @example
 * ```ts
 * import { llmConfigFromEnv } from "./llm_config.ts";
 * const config = llmConfigFromEnv({ OPENAI_API_KEY: "sk-x", SKILLLITE_SWARM_LLM_ROUTING: "0" });
 * console.assert(config.enabled === false && config.apiKey === "sk-x");
 * ```
 */
export function llmConfigFromEnv(env: Record<string, string | undefined>): LlmConfig {
  const apiKey = firstSet(env, ["SKILLLITE_API_KEY", "OPENAI_API_KEY", "API_KEY"]);
  const baseUrl =
    firstSet(env, ["SKILLLITE_API_BASE", "OPENAI_API_BASE", "OPENAI_BASE_URL", "BASE_URL"]) ??
      DEFAULT_LLM_BASE_URL;
  const model = firstSet(env, ["SKILLLITE_MODEL", "OPENAI_MODEL", "MODEL"]) ?? DEFAULT_LLM_MODEL;
  const disabled = env.SKILLLITE_SWARM_LLM_ROUTING?.trim() === "0";
  const config: LlmConfig = {
    enabled: apiKey !== undefined && !disabled,
    baseUrl,
    model,
    timeoutMs: LLM_TIMEOUT_MS,
  };
  if (apiKey !== undefined) config.apiKey = apiKey;
  return config;
}
