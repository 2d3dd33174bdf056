import assert from "node:assert/strict";
import {
  DEFAULT_LLM_BASE_URL,
  DEFAULT_LLM_MODEL,
  type LlmConfig,
  llmConfigFromEnv,
} from "../../lib/config/llm_config.ts";

const base = { baseUrl: DEFAULT_LLM_BASE_URL, model: DEFAULT_LLM_MODEL, timeoutMs: 15_000 };

Deno.test("llmConfigFromEnv() reads SkillLite's variables in their order of precedence", () => {
  const cases: Array<[Record<string, string | undefined>, LlmConfig]> = [
    [{}, { ...base, enabled: false }],
    [{ API_KEY: "k3" }, { ...base, enabled: true, apiKey: "k3" }],
    [{ API_KEY: "k3", OPENAI_API_KEY: "k2" }, { ...base, enabled: true, apiKey: "k2" }],
    [{ API_KEY: "k3", OPENAI_API_KEY: "k2", SKILLLITE_API_KEY: "k1" }, {
      ...base,
      enabled: true,
      apiKey: "k1",
    }],
    [{ SKILLLITE_API_KEY: "  ", OPENAI_API_KEY: " k2 " }, { ...base, enabled: true, apiKey: "k2" }],
    [{ OPENAI_API_KEY: "k", SKILLLITE_SWARM_LLM_ROUTING: "0" }, {
      ...base,
      enabled: false,
      apiKey: "k",
    }],
    [{ OPENAI_API_KEY: "k", SKILLLITE_SWARM_LLM_ROUTING: "1" }, {
      ...base,
      enabled: true,
      apiKey: "k",
    }],
    [{ SKILLLITE_SWARM_LLM_ROUTING: "1" }, { ...base, enabled: false }],
    [{ BASE_URL: "http://b4" }, { ...base, enabled: false, baseUrl: "http://b4" }],
    [{ BASE_URL: "http://b4", OPENAI_BASE_URL: "http://b3" }, {
      ...base,
      enabled: false,
      baseUrl: "http://b3",
    }],
    [
      { BASE_URL: "http://b4", OPENAI_BASE_URL: "http://b3", OPENAI_API_BASE: "http://b2" },
      { ...base, enabled: false, baseUrl: "http://b2" },
    ],
    [
      { OPENAI_API_BASE: "http://b2", SKILLLITE_API_BASE: "http://b1" },
      { ...base, enabled: false, baseUrl: "http://b1" },
    ],
    [{ MODEL: "m3" }, { ...base, enabled: false, model: "m3" }],
    [{ MODEL: "m3", OPENAI_MODEL: "m2" }, { ...base, enabled: false, model: "m2" }],
    [{ MODEL: "m3", OPENAI_MODEL: "m2", SKILLLITE_MODEL: "m1" }, {
      ...base,
      enabled: false,
      model: "m1",
    }],
  ];
  for (const [env, want] of cases) {
    assert.deepEqual(llmConfigFromEnv(env), want, JSON.stringify(env));
  }
});
