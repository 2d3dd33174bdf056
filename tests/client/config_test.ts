import assert from "node:assert/strict";
import { DEFAULT_SWARM_URL, resolveClientConfig } from "../../lib/client/config.ts";

Deno.test("resolveClientConfig() prefers flags, then the environment, then defaults", () => {
  const cases: Array<{
    env: Record<string, string | undefined>;
    flags: { url?: string; token?: string };
    want: { url: string; token?: string };
  }> = [
    { env: {}, flags: {}, want: { url: DEFAULT_SWARM_URL } },
    {
      env: { SKILLLITE_SWARM_URL: "http://10.0.0.2:7700" },
      flags: {},
      want: { url: "http://10.0.0.2:7700" },
    },
    {
      env: { SKILLLITE_SWARM_URL: "http://10.0.0.2:7700" },
      flags: { url: "http://127.0.0.1:7701" },
      want: { url: "http://127.0.0.1:7701" },
    },
    { env: { SKILLLITE_SWARM_URL: "  " }, flags: {}, want: { url: DEFAULT_SWARM_URL } },
    {
      env: { SKILLLITE_SWARM_TOKEN: "  abc \n" },
      flags: {},
      want: { url: DEFAULT_SWARM_URL, token: "abc" },
    },
    { env: { SKILLLITE_SWARM_TOKEN: "   " }, flags: {}, want: { url: DEFAULT_SWARM_URL } },
    {
      env: { SKILLLITE_SWARM_TOKEN: "env" },
      flags: { token: "flag" },
      want: { url: DEFAULT_SWARM_URL, token: "flag" },
    },
    {
      env: { SKILLLITE_SWARM_TOKEN: "env" },
      flags: { token: "" },
      want: { url: DEFAULT_SWARM_URL },
    },
  ];
  for (const { env, flags, want } of cases) {
    assert.deepEqual(resolveClientConfig(env, flags), want, JSON.stringify({ env, flags }));
  }
});
