/**
 * Capability inference for untagged tasks: the LLM when configured, else (or when it
 * fails) the offline rules.
 *
 * @module
 */
import { inferFromDescription } from "./infer_offline.ts";
import type { LlmConfig } from "../config/mod.ts";
import { inferWithLlm } from "./llm_infer.ts";

/** Options of {@link inferTaskCapabilities}. */
export interface InferOptions {
  /** LLM settings; the LLM is asked only when `llm.enabled`. */
  llm: LlmConfig;
  /** The `fetch` used for the LLM. @default {globalThis.fetch} */
  fetch?: typeof fetch;
  /** Aborts the LLM request; the signal's reason is thrown as is. */
  signal?: AbortSignal;
}

/** The inferred tags and where they came from. */
export interface Inference {
  /** Tags the task needs, sorted, all among the known tags. */
  tags: string[];
  /** `llm` when the model answered, `offline` when the rules found tags, `none` otherwise. */
  source: "llm" | "offline" | "none";
  /** Why the LLM answer was not used, when it was asked and failed. */
  llmError?: string;
}

/**
 * Infers which of `knownTags` an untagged task needs. Asks the LLM when enabled and
 * takes its answer (an empty one included); when the LLM is disabled or fails in any
 * way (timeout included), applies {@link inferFromDescription}.
 *
 * @example
 * ```ts
 * import { inferTaskCapabilities } from "./infer.ts";
 * import { llmConfigFromEnv } from "../config/mod.ts";
 * const found = await inferTaskCapabilities("1+1等于几？", ["calc", "web"], {
 *   llm: llmConfigFromEnv({}),
 * });
 * console.assert(found.source === "offline" && found.tags.join() === "calc");
 * ```
 */
export async function inferTaskCapabilities(
  description: string,
  knownTags: string[],
  options: InferOptions,
): Promise<Inference> {
  const { llm, fetch, signal } = options;
  let llmError: string | undefined;
  if (llm.enabled && knownTags.length > 0) {
    try {
      const tags = await inferWithLlm(description, knownTags, llm, { fetch, signal });
      return { tags, source: "llm" };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      llmError = err instanceof Error ? err.message : String(err);
    }
  }
  const tags = inferFromDescription(description, knownTags);
  const source = tags.length > 0 ? "offline" : "none";
  return llmError === undefined ? { tags, source } : { tags, source, llmError };
}
