import assert from "node:assert/strict";
import {
  type Config,
  DEAD_PROBE_INTERVAL_MS,
  DEFAULT_CONFIG,
  executionPolicyOf,
  healthPolicyOf,
  LAN_CONFIG,
  LATENCY_EWMA_ALPHA,
  loadConfig,
  RETRY_JITTER,
  retryPolicyOf,
} from "../../lib/config/mod.ts";
import { validateRetryPolicy } from "../../lib/routing/mod.ts";
import { detectionTimeBoundMs, validateHealthPolicy } from "../../lib/peers/mod.ts";
import { checkSkillLimits } from "../../lib/execution/mod.ts";

function loaded(args: string[]): Config {
  const result = loadConfig({ args: [...args, "--data-dir", ":memory:"], env: {} });
  if (result.help) throw new Error("unexpected help");
  return result.config;
}

Deno.test("retryPolicyOf() and healthPolicyOf() give valid policies for both presets", () => {
  const cases: Array<[name: string, preset: typeof DEFAULT_CONFIG, boundMs: number]> = [
    ["loopback", DEFAULT_CONFIG, 2_500],
    ["LAN", LAN_CONFIG, 3_000],
  ];
  for (const [name, preset, boundMs] of cases) {
    const retry = retryPolicyOf(preset);
    assert.equal(validateRetryPolicy(retry), retry, name);
    assert.equal(retry.jitter, RETRY_JITTER);
    const health = healthPolicyOf(preset);
    assert.equal(validateHealthPolicy(health), health, name);
    assert.equal(health.deadProbeIntervalMs, DEAD_PROBE_INTERVAL_MS);
    assert.equal(health.ewmaAlpha, LATENCY_EWMA_ALPHA);
    assert.equal(detectionTimeBoundMs(health), boundMs, `${name} detection bound`);
    checkSkillLimits(executionPolicyOf(preset).limits);
  }
});

Deno.test("retryPolicyOf(), healthPolicyOf() and executionPolicyOf() read the loaded config", () => {
  const config = loaded([
    ...["--max-forward-attempts", "5", "--retry-base-delay-ms", "10", "--retry-max-delay-ms", "20"],
    ...["--health-interval-ms", "300", "--health-timeout-ms", "200", "--dead-after-failures", "4"],
    ...["--exec-timeout-ms", "7000", "--max-output-bytes", "99", "--allow-unsandboxed"],
    ...["--skill-memory-bytes", "0", "--skill-max-processes", "8", "--skill-disk-bytes", "1024"],
  ]);
  assert.deepEqual(retryPolicyOf(config), {
    maxAttempts: 5,
    baseDelayMs: 10,
    maxDelayMs: 20,
    jitter: RETRY_JITTER,
  });
  assert.deepEqual(healthPolicyOf(config), {
    deadProbeIntervalMs: DEAD_PROBE_INTERVAL_MS,
    ewmaAlpha: LATENCY_EWMA_ALPHA,
    intervalMs: 300,
    timeoutMs: 200,
    deadAfterFailures: 4,
  });
  assert.deepEqual(executionPolicyOf(config), {
    timeoutMs: 7000,
    maxOutputBytes: 99,
    allowUnsandboxed: true,
    limits: { memoryBytes: 0, maxProcesses: 8, diskBytes: 1024 },
  });
});
