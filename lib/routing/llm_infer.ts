/**
 * Capability inference by an OpenAI-compatible chat endpoint, as SkillLite's
 * `llm_routing.rs` does it.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";
import type { LlmConfig } from "../config/mod.ts";

/** Options of {@link inferWithLlm}. */
export interface LlmInferOptions {
  /** Aborts the request; the signal's reason is thrown as is. */
  signal?: AbortSignal;
  /** The `fetch` to use. @default {globalThis.fetch} */
  fetch?: typeof fetch;
}

/** Most tokens the reply may use (SkillLite's value). */
const MAX_TOKENS = 64;
/** Longest part of a bad reply quoted in an error message. */
const SNIPPET_LENGTH = 120;

function snippet(text: string): string {
  const flat = text.trim().replace(/\s+/g, " ");
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}

function systemPrompt(knownTags: string[]): string {
  return [
    "You route tasks between the nodes of a swarm; each node advertises capability tags.",
    `Known tags: ${knownTags.join(", ")}.`,
    'Reply with only a JSON array of the known tags the task needs, e.g. ["calc"].',
    "Prefer specialised nodes: arithmetic or calculation (1+1, 计算, 加减乘除) → calc;",
    "HTTP, APIs, web pages (网页) → web; browser automation → browser; data analysis → data",
    "(each only when that tag is known). Reply [] only for generic chat that needs no tool.",
  ].join("\n");
}

/**
 * Reads the tags out of a model's reply: the text from its first `[` to its last `]`
 * is parsed as a JSON array of strings, then filtered to `knownTags`, deduplicated and
 * sorted.
 *
 * @throws {SyntaxError} When the reply holds no JSON array of strings.
 * @example
 * ```ts
 * import { parseTagReply } from "./llm_infer.ts";
 * const tags = parseTagReply('Sure: ["web", "gpu", "calc"]', ["calc", "web"]);
 * console.assert(tags.join() === "calc,web");
 * ```
 */
export function parseTagReply(text: string, knownTags: string[]): string[] {
  const start = text.indexOf("[");
  const end = text.lastIndexOf("]");
  if (start === -1 || end < start) {
    throw new SyntaxError(`Cannot read tags: the reply holds no JSON array: "${snippet(text)}"`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SyntaxError(`Cannot read tags: invalid JSON array: ${reason}`, { cause: err });
  }
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== "string")) {
    throw new SyntaxError(`Cannot read tags: expected an array of strings: "${snippet(text)}"`);
  }
  const tags = (value as string[]).filter((tag) => knownTags.includes(tag));
  return [...new Set(tags)].sort();
}

function replyContent(body: unknown): string {
  const choices = (body as { choices?: unknown } | null)?.choices;
  const first = Array.isArray(choices) ? choices[0] : undefined;
  const content = (first as { message?: { content?: unknown } } | undefined)?.message?.content;
  if (typeof content !== "string") {
    throw new SyntaxError(
      "Cannot read tags: the answer has no 'choices[0].message.content' string",
    );
  }
  return content;
}

/**
 * Asks the chat endpoint of `config` which of `knownTags` the task described by
 * `description` needs (`POST {baseUrl}/chat/completions`, `max_tokens` 64,
 * `temperature` 0, within `config.timeoutMs`). Returns the tags, sorted; an empty list
 * is a valid answer.
 *
 * @throws {TypeError} When `config` has no `apiKey`.
 * @throws {SwarmError} `timeout` when the time limit passes; `bad_peer_response` for
 * any other failure (unreachable endpoint, non-2xx answer, unreadable reply).
 */
export async function inferWithLlm(
  description: string,
  knownTags: string[],
  config: LlmConfig,
  options: LlmInferOptions = {},
): Promise<string[]> {
  const { signal: caller, fetch = globalThis.fetch } = options;
  if (!config.apiKey) {
    throw new TypeError("Cannot infer capabilities with an LLM: 'apiKey' is not set");
  }
  const url = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const timeout = AbortSignal.timeout(config.timeoutMs);
  const signal = caller ? AbortSignal.any([timeout, caller]) : timeout;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "authorization": `Bearer ${config.apiKey}`,
      },
      body: JSON.stringify({
        model: config.model,
        messages: [
          { role: "system", content: systemPrompt(knownTags) },
          { role: "user", content: description },
        ],
        max_tokens: MAX_TOKENS,
        temperature: 0,
      }),
      signal,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${url} answered ${response.status}: ${snippet(text)}`);
    }
    return parseTagReply(replyContent(JSON.parse(text)), knownTags);
  } catch (err) {
    if (caller?.aborted) throw caller.reason;
    if (timeout.aborted) {
      throw new SwarmError(
        "timeout",
        `LLM routing timed out after ${config.timeoutMs} ms: ${url}`,
        { timeout_ms: config.timeoutMs },
        { cause: err },
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new SwarmError("bad_peer_response", `LLM routing failed: ${reason}`, {}, { cause: err });
  }
}
