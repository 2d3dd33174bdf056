import assert from "node:assert/strict";
import { redact } from "../../lib/log/log.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

Deno.test("redact() hides secret-looking properties at any depth, keeps the rest", () => {
  const input = {
    token: "s3cret",
    headers: { Authorization: "Bearer s3cret", accept: "x" },
    nested: [{ api_key: "k" }, { apiKey: "k2", password: "p", peer: "n1" }],
    peer: "n2",
  };
  assert.deepEqual(redact(input), {
    token: "[REDACTED]",
    headers: { Authorization: "[REDACTED]", accept: "x" },
    nested: [{ api_key: "[REDACTED]" }, {
      apiKey: "[REDACTED]",
      password: "[REDACTED]",
      peer: "n1",
    }],
    peer: "n2",
  });
  assert.equal(input.token, "s3cret", "the input is not modified");
});

async function logLines(format: "json" | "pretty"): Promise<string> {
  const script = `
    import { logger, setupLogging } from "${new URL(
    "../../lib/log/log.ts",
    import.meta.url,
  )}";
    import { withTask } from "${new URL(
    "../../lib/log/task_context.ts",
    import.meta.url,
  )}";
    setupLogging("info", "${format}");
    withTask({ task_id: "t1", trace_id: "${"a".repeat(32)}", node_id: "n1", hop: 2 }, () => {
      logger("test").info("forwarding", { peer: "p1", token: "tok-123", authorization: "Bearer tok-123" });
    });`;
  const out = await outputWithin(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    ms: 60_000,
    what: `deno eval of the ${format} logging script`,
  });
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stderr);
}

Deno.test("setupLogging() writes JSON lines with the task context and no secrets", async () => {
  const text = await logLines("json");
  const line = JSON.parse(text.trim());
  assert.equal(line.message, "forwarding");
  assert.equal(line.task_id, "t1");
  assert.equal(line.trace_id, "a".repeat(32));
  assert.equal(line.node_id, "n1");
  assert.equal(line.hop, 2);
  assert.equal(line.peer, "p1");
  assert.equal(line.token, "[REDACTED]");
  assert.ok(!text.includes("tok-123"));
});

Deno.test("setupLogging() pretty format is one readable line with key=value fields", async () => {
  const text = await logLines("pretty");
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /INF.*forwarding.*peer=p1/);
  assert.match(lines[0], /task_id=t1/);
  assert.ok(!text.includes("tok-123"));
});

const JWT = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz";
const PEM_KEY =
  "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFakeKeyBytesHere\n-----END PRIVATE KEY-----";

const SECRET_TEXTS: Array<[name: string, text: string, secret: string]> = [
  ["a JWT inside an error message", `verification failed for ${JWT} at hop 2`, JWT],
  ["a JWT alone", JWT, "c2lnbmF0dXJlLWJ5dGVz"],
  ["a PEM private key", `loaded ${PEM_KEY} ok`, "FakeKeyBytesHere"],
  ["a truncated PEM private key", PEM_KEY.slice(0, 50), "MC4CAQAw"],
  ["a Bearer credential", "peer said: Authorization: Bearer s3cr3t-value", "s3cr3t-value"],
  ["a lower-case bearer credential", "bearer abc.def", "abc.def"],
];

for (const [name, text, secret] of SECRET_TEXTS) {
  Deno.test(`redact() blanks ${name} in any string value`, () => {
    const out = JSON.stringify(redact({ error: text, nested: [{ detail: text }] }));
    assert.ok(!out.includes(secret), out);
    assert.ok(out.includes("[REDACTED]"), out);
  });
}

Deno.test("redact() leaves ordinary text and certificate fingerprints alone", () => {
  const text = "peer 10.0.0.2:7700 fingerprint AB:CD:EF, bearer-less note";
  assert.equal(redact(text), text);
  assert.equal(
    redact("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
  );
});
