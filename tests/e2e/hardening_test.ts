/**
 * Issue 12, findings 7, 8 and 9 (HTTP part), and the public health endpoints: each
 * attack replayed against a real node started through the installed launcher. Every
 * refusal is checked for WHY it was refused (status, code and reason), not only that it
 * was refused.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { CompactSign, importJWK } from "jose";
import { parseKeyring } from "../../lib/security/keyring.ts";
import {
  FIXTURE_SKILLS,
  nodeTask,
  postTask,
  runSwarm,
  runSwarmOk,
  startNode,
  stopAll,
  type TestNode,
} from "./_node.ts";
import { fetchWithin } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`hardening_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A keyring in a fresh directory, made with `swarm token`. */
async function makeKeyring(dir: string, file = join(dir, "keyring.json")) {
  await runSwarmOk(["token", "keygen", "--keyring", file, "--audience", "mesh-hardening"]);
  return {
    file,
    issue: (subject: string, extra: string[] = []) =>
      runSwarmOk(["token", "issue", "--keyring", file, "--subject", subject, ...extra]),
  };
}

/** The claims of a compact JWT. */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(payload));
}

/** A JSON error or status body, loosely typed for assertions. */
type Body = Record<string, unknown> & { error?: string; reason?: string; node_id?: string };

async function get(url: string, token?: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: Body = { text };
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body };
}

/** Sends raw bytes on a fresh connection; resolves with what came back until close. */
async function rawExchange(port: number, text: string, timeoutMs = 10_000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  let out = "";
  try {
    await conn.write(encoder.encode(text));
    const buffer = new Uint8Array(16_384);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      out += decoder.decode(buffer.subarray(0, n));
      if (/\r\n\r\n/.test(out) && /content-length: (\d+)/i.test(out)) {
        const length = Number(/content-length: (\d+)/i.exec(out)![1]);
        if (out.length - out.indexOf("\r\n\r\n") - 4 >= length) break;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
  return out;
}

/** Writes a skill directory: SKILL.md with `capabilities` and a Deno script printing `says`. */
async function writeSkill(
  root: string,
  name: string,
  capabilities: string[],
  says: string,
): Promise<void> {
  await Deno.mkdir(join(root, name, "scripts"), { recursive: true });
  await Deno.writeTextFile(
    join(root, name, "SKILL.md"),
    `---\nname: ${name}\ndescription: Test skill ${name}.\ncapabilities: [${
      capabilities.join(", ")
    }]\n---\n\n# ${name}\n`,
  );
  await Deno.writeTextFile(
    join(root, name, "scripts", "main.ts"),
    `await new Response(Deno.stdin.readable).text();\nconsole.log(${JSON.stringify(says)});\n`,
  );
}

/** Polls until `check` holds; returns the ms it took, or throws after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Condition not met within ${limitMs} ms`);
}

Deno.test(
  "hardening (finding 7): a keyring reached through a symlink, with a skills dir holding symlinks, reloads a revocation without SIGHUP",
  async (t) => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-hardening-kr-" }));
    let node: TestNode | undefined;
    try {
      // conf/keyring.json -> ../real/keyring.json; the skills dir holds links to a skill
      // and to the keyring's real directory.
      await Deno.mkdir(join(dir, "real"));
      await Deno.mkdir(join(dir, "conf"));
      await Deno.mkdir(join(dir, "skills"));
      const kr = await makeKeyring(dir, join(dir, "real", "keyring.json"));
      const link = join(dir, "conf", "keyring.json");
      await Deno.symlink("../real/keyring.json", link);
      await Deno.symlink(join(FIXTURE_SKILLS, "echo-deno"), join(dir, "skills", "echo-deno"));
      await Deno.symlink(join(dir, "real"), join(dir, "skills", "keys"));
      node = await startNode({ args: ["--keyring", link, "--skills-dir", join(dir, "skills")] });

      await t.step(
        "revoked through the real file: refused within 8 s (reason revoked)",
        async () => {
          const token = await kr.issue("reader", ["--scope", "read"]);
          assert.equal((await get(`${node!.url}/status`, token)).status, 200);
          await runSwarmOk(["token", "revoke", "--keyring", kr.file, String(claimsOf(token).jti)]);
          const took = await within(8_000, async () => {
            const answer = await get(`${node!.url}/status`, token);
            return answer.status === 401 && answer.body.error === "unauthorized" &&
              answer.body.reason === "revoked";
          });
          console.log(`  revocation applied after ${took} ms`);
        },
      );

      await t.step("revoked through the link: the link is kept and the token refused", async () => {
        const token = await kr.issue("reader-2", ["--scope", "read"]);
        assert.equal((await get(`${node!.url}/status`, token)).status, 200);
        await runSwarmOk(["token", "revoke", "--keyring", link, String(claimsOf(token).jti)]);
        assert.ok((await Deno.lstat(link)).isSymlink, "swarm token replaced the link by a file");
        await within(8_000, async () => {
          const answer = await get(`${node!.url}/status`, token);
          return answer.status === 401 && answer.body.reason === "revoked";
        });
      });
    } finally {
      await stopAll([node]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "hardening (finding 8): scopes, error names, terminal escapes, auth floods and token lifetime",
  { ignore: noSkills !== null },
  async (t) => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "swarm-hardening-8-" }));
    let node: TestNode | undefined;
    try {
      const kr = await makeKeyring(dir);
      const skills = join(dir, "skills");
      await writeSkill(skills, "calc-plain", ["calc"], "plain ran");
      await writeSkill(skills, "calc-danger", ["calc", "danger"], "DANGER RAN");
      await writeSkill(skills, "calc-secret", ["calc", "secret"], "SECRET RAN");
      await Deno.symlink(join(FIXTURE_SKILLS, "echo-deno"), join(skills, "echo-deno"));
      node = await startNode({ args: ["--keyring", kr.file, "--skills-dir", skills] });
      const url = node.url;
      const calcOnly = await kr.issue("calc-user", [
        "--scope",
        "task,read",
        "--capability",
        "calc",
      ]);

      await t.step(
        "(a) a calc-only token naming a calc+danger skill: 403 capability:danger",
        async () => {
          for (const required of [[], ["calc"]]) {
            const res = await postTask(
              url,
              nodeTask("go", { tool_hint: "calc-danger", required }),
              { token: calcOnly },
            );
            assert.equal(res.status, 403, res.text);
            const body = res.body as Record<string, unknown>;
            assert.equal(body.error, "forbidden");
            assert.equal(body.missing_scope, "capability:danger");
            assert.ok(!res.text.includes("DANGER RAN"));
          }
        },
      );

      await t.step("(b) errors name only skills the token may run", async () => {
        const res = await postTask(url, nodeTask("add", { required: ["calc"] }), {
          token: calcOnly,
        });
        assert.ok(!res.text.includes("calc-danger"), res.text);
        assert.ok(!res.text.includes("calc-secret"), res.text);
        // The one calc skill this token may run is the one chosen.
        assert.equal(res.status, 200, res.text);
        assert.match(String((res.body as Record<string, unknown>).response), /plain ran/);
        const wide = await kr.issue("wide", [
          "--scope",
          "task",
          "--capability",
          "calc",
          "--capability",
          "danger",
        ]);
        const ambiguous = await postTask(url, nodeTask("add", { required: ["calc"] }), {
          token: wide,
        });
        assert.equal(ambiguous.status, 409, ambiguous.text);
        const body = ambiguous.body as Record<string, unknown>;
        assert.equal(body.error, "ambiguous_skill");
        assert.deepEqual([...(body.candidates as string[])].sort(), ["calc-danger", "calc-plain"]);
        assert.ok(!ambiguous.text.includes("calc-secret"), ambiguous.text);
      });

      await t.step("(c) swarm status prints a hostile task id escaped", async () => {
        const id = "evil\x1b[2J\x1b]0;owned\x07\u009b31m-id";
        const admin = await kr.issue("admin", ["--scope", "admin"]);
        const ran = await postTask(url, nodeTask("echo", { id, required: ["echo"] }), {
          token: admin,
        });
        assert.equal(ran.status, 200, ran.text);
        const out = await runSwarm(["status", "--url", url], { SKILLLITE_SWARM_TOKEN: admin });
        assert.equal(out.code, 0, out.stderr);
        assert.ok(out.stdout.includes("evil\\x1b[2J"), out.stdout);
        // deno-lint-ignore no-control-regex
        assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(out.stdout), out.stdout);
      });

      await t.step(
        "(d) a flood of bad tokens is throttled (429 + Retry-After) and folded in the event history",
        async () => {
          const admin = await kr.issue("admin-2", ["--scope", "admin"]);
          const statuses: number[] = [];
          let retryAfter: string | null = null;
          let limited: Record<string, unknown> | undefined;
          for (let batch = 0; batch < 30; batch++) {
            await Promise.all(Array.from({ length: 10 }, async () => {
              const res = await fetchWithin(`${url}/status`, {
                headers: { authorization: "Bearer not-a-real-token" },
              });
              statuses.push(res.status);
              if (res.status === 429 && !limited) {
                retryAfter = res.headers.get("retry-after");
                limited = await res.json();
              } else await res.body?.cancel();
            }));
          }
          const refused = statuses.filter((s) => s === 429).length;
          assert.ok(statuses.every((s) => s === 401 || s === 429), String(statuses));
          assert.ok(statuses.filter((s) => s === 401).length <= 60, `401s: ${statuses}`);
          assert.ok(refused >= 240, `only ${refused} of 300 throttled`);
          assert.equal(limited?.error, "rate_limited");
          assert.equal(limited?.reason, "auth_failures");
          assert.match(String(retryAfter), /^[1-9]\d*$/);
          // An honest caller from the same address is not locked out.
          assert.equal((await get(`${url}/status`, admin)).status, 200);
          // The event history holds one folded event, not 300.
          const res = await fetchWithin(`${url}/events?types=auth_failed`, {
            headers: {
              accept: "application/x-ndjson",
              authorization: `Bearer ${admin}`,
              "last-event-id": "0",
            },
          });
          assert.equal(res.status, 200);
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let text = "";
          const stop = setTimeout(() => reader.cancel().catch(() => {}), 1_500);
          for (;;) {
            const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
            if (done) break;
            text += value;
          }
          clearTimeout(stop);
          const events = text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
            .filter((e) => e.type === "auth_failed" && e.reason === "malformed");
          assert.ok(events.length >= 1 && events.length <= 3, text.slice(0, 2_000));
          const total = events.reduce((n, e) => n + (e.count ?? 1), 0);
          assert.ok(total >= 300, `folded count ${total}: ${text.slice(0, 2_000)}`);
        },
      );

      await t.step(
        "(e) a keyring-signed token with an unrecorded jti and exp 10 years out: 401 lifetime_too_long",
        async () => {
          // Let the flood's bucket refill first: this step checks the 401 reason.
          await new Promise((r) => setTimeout(r, 1_500));
          const keyring = parseKeyring(await Deno.readTextFile(kr.file));
          const key = keyring.keys.find((k) => k.kid === keyring.activeKid)!;
          const now = Math.floor(Date.now() / 1000);
          const claims = {
            sub: "forged",
            aud: keyring.audience,
            jti: crypto.randomUUID(),
            iat: now,
            nbf: now,
            exp: now + 10 * 366 * 86_400,
            scope: "admin",
            capabilities: ["*"],
            skills: ["*"],
          };
          const token = await new CompactSign(encoder.encode(JSON.stringify(claims)))
            .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT" })
            .sign(await importJWK(key.privateJwk!, "EdDSA"));
          const answer = await get(`${url}/status`, token);
          assert.equal(answer.status, 401, JSON.stringify(answer.body));
          assert.equal(answer.body.error, "unauthorized");
          assert.equal(answer.body.reason, "lifetime_too_long");
        },
      );
    } finally {
      await stopAll([node]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "hardening (finding 9): slow bodies are cut off, forged Host headers refused, health is public",
  { ignore: noSkills !== null },
  async (t) => {
    const token = `hardening-${crypto.randomUUID()}`;
    let tokenNode: TestNode | undefined;
    let openNode: TestNode | undefined;
    try {
      tokenNode = await startNode({
        // No per-client task rate limit: every slow connection must reach the body read.
        args: ["--skills-dir", join(FIXTURE_SKILLS, "echo-deno"), "--task-rate", "0"],
        env: { SKILLLITE_SWARM_TOKEN: token },
      });
      openNode = await startNode({ args: ["--skills-dir", join(FIXTURE_SKILLS, "echo-deno")] });

      await t.step(
        "(a) 150 slow-body connections are answered 400 body_timeout, and others are served while they wait",
        async () => {
          const port = tokenNode!.port;
          const conns = await Promise.all(
            Array.from({ length: 150 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
          );
          // What finished in which order: the others' answers, then the slow ones'.
          const order: string[] = [];
          const answers = conns.map(async (conn) => {
            await conn.write(encoder.encode(
              `POST /task HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
                `Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{`,
            ));
            const drip = setInterval(() => conn.write(encoder.encode(" ")).catch(() => {}), 1_000);
            // Without a body deadline nothing would ever come back: give up (and fail) at 20 s.
            const giveUp = setTimeout(() => conn.close(), 20_000);
            const buffer = new Uint8Array(4_096);
            let text = "";
            try {
              while (!/\r\n\r\n[\s\S]*\}$/.test(text)) {
                const n = await conn.read(buffer);
                if (n === null) break;
                text += decoder.decode(buffer.subarray(0, n));
              }
            } catch { /* reset */ }
            clearInterval(drip);
            clearTimeout(giveUp);
            try {
              conn.close();
            } catch { /* closed by giveUp */ }
            order.push("slow");
            return text;
          });
          // Meanwhile the node answers others, before any slow connection's deadline.
          assert.equal((await get(`${tokenNode!.url}/status`, token)).status, 200);
          const task = await postTask(tokenNode!.url, nodeTask("hi", { required: ["echo"] }), {
            token,
          });
          assert.equal(task.status, 200, task.text);
          order.push("others served");
          const texts = await Promise.all(answers);
          assert.equal(
            order.indexOf("others served"),
            0,
            "a slow connection was answered before the others were served",
          );
          for (const text of texts) {
            assert.match(text, /^HTTP\/1\.1 400/, text.slice(0, 300));
            const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
            assert.equal(body.error, "invalid_request");
            assert.equal(body.reason, "body_timeout");
            assert.match(text, /\r\nconnection: close\r\n/i);
          }
        },
      );

      await t.step("(b) a forged Host on a token-less loopback node: 421 misdirected", async () => {
        const port = openNode!.port;
        for (const host of [`evil.example:${port}`, `0.0.0.0:${port}`, `192.168.1.20:${port}`]) {
          const text = await rawExchange(
            port,
            `GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          );
          assert.match(text, /^HTTP\/1\.1 421/, `${host}: ${text.slice(0, 200)}`);
          const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
          assert.equal(body.error, "misdirected");
          assert.equal(body.reason, "host_not_allowed");
          assert.ok(!text.includes(openNode!.nodeId), "the refusal reveals the node");
        }
        for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
          const text = await rawExchange(
            port,
            `GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          );
          assert.match(text, /^HTTP\/1\.1 200/, `${host}: ${text.slice(0, 200)}`);
        }
      });

      await t.step(
        "(public) /healthz and /readyz answer without a credential, /status does not",
        async () => {
          for (const path of ["/healthz", "/readyz"]) {
            const answer = await get(`${tokenNode!.url}${path}`);
            assert.equal(answer.status, 200, path);
            assert.equal(answer.body.node_id, tokenNode!.nodeId);
            assert.ok(!JSON.stringify(answer.body).includes(token));
            const wrong = await get(`${tokenNode!.url}${path}`, "wrong-token");
            assert.equal(wrong.status, 200, `${path} with a wrong token`);
          }
          const status = await get(`${tokenNode!.url}/status`);
          assert.equal(status.status, 401);
          assert.equal(status.body.error, "unauthorized");
        },
      );
    } finally {
      await stopAll([tokenNode, openNode]);
    }
  },
);
