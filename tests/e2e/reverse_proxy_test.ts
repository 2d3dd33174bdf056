/**
 * The reverse-proxy example of docs/reverse-proxy.md, run for real: nginx terminates TLS
 * with a certificate from `swarm tls` in front of a node on loopback, using
 * docs/examples/nginx/swarm.conf with only its path and port placeholders filled in.
 * Skipped, saying why, where nginx is not installed (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { FIXTURE_SKILLS, freePort, nodeTask, startNode, type TestNode } from "./_node.ts";
import { makeCliPki } from "./_pki.ts";
import { killOnExit } from "../_helpers/child_processes.ts";
import { exitWithin, fetchWithin, outputWithin, WaitTimeout } from "../_helpers/with_timeout.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";

// Their nodes hold the echo-deno skill (Deno, sandboxed in bubblewrap): without a sandbox it is
// not advertised, so those tests would route nothing.
const noSkills = await skillsUnavailable();
if (noSkills) {
  console.log(`reverse_proxy_test (tests whose nodes hold a fixture skill) skipped: ${noSkills}`);
}

const EXAMPLE = new URL("../../docs/examples/nginx/swarm.conf", import.meta.url);
const TOKEN = "reverse-proxy-test-token-6f1d2c";
const NDJSON = "application/x-ndjson";
/** How long the slow skill pauses before answering; streamed lines must arrive before it ends. */
const SLOW_SKILL_MS = 1500;

/** The nginx binary: on PATH, or in the sbin folders a non-root PATH often lacks. */
function nginxBinary(): string | undefined {
  const path = (Deno.env.get("PATH") ?? "").split(":");
  for (const dir of [...path, "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"]) {
    if (dir === "") continue;
    try {
      if (Deno.statSync(`${dir}/nginx`).isFile) return `${dir}/nginx`;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Why the real nginx cannot run this test, or null. `-e` (start-up error log) needs 1.19.5. */
function nginxUnavailable(binary: string | undefined): string | null {
  if (binary === undefined) {
    return "nginx is not installed (looked on PATH and in /usr/sbin, /usr/local/sbin)";
  }
  let text: string;
  try {
    const out = new Deno.Command(binary, { args: ["-v"], stdout: "piped", stderr: "piped" })
      .outputSync();
    text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  } catch (err) {
    return `${binary} -v failed: ${(err as Error).message}`;
  }
  const version = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (version === null) return `cannot tell nginx's version from: ${text.trim()}`;
  const [major, minor, patch] = version.slice(1).map(Number);
  if (major * 1_000_000 + minor * 1_000 + patch < 1_019_005) {
    return `nginx ${version[0]} is older than 1.19.5 (no -e flag)`;
  }
  return null;
}

const NGINX = nginxBinary();
const unavailable = nginxUnavailable(NGINX);
if (unavailable) console.log(`reverse_proxy_test skipped: ${unavailable}`);

/** The example config with its placeholders filled; fails if one is left (a new one added). */
function fillExample(template: string, values: Record<string, string>): string {
  let text = template;
  for (const [name, value] of Object.entries(values)) {
    assert.ok(text.includes(name), `The example has no ${name} placeholder`);
    text = text.replaceAll(name, value);
  }
  const left = text.match(/__[A-Z_]+__/g);
  assert.deepEqual(left ?? [], [], "The example has placeholders this test does not fill");
  return text;
}

/**
 * A throwaway nginx.conf around the example: everything nginx writes stays in `dir`.
 * As root, nginx would switch its workers to `nobody`, who cannot use the 0700 `dir`.
 */
function wrapperConf(dir: string): string {
  return [
    "# Written by tests/e2e/reverse_proxy_test.ts around docs/examples/nginx/swarm.conf.",
    "daemon off;",
    "worker_processes 1;",
    ...(Deno.uid() === 0 ? ["user root;"] : []),
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 64; }",
    "http {",
    `  client_body_temp_path ${dir}/client_body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    `  fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi;`,
    `  scgi_temp_path ${dir}/scgi;`,
    `  include ${dir}/swarm.conf;`,
    "}",
    "",
  ].join("\n");
}

/** Certificates made by `swarm tls`: the proxy's, an agent's, and an agent's from another CA. */
interface Pki {
  /** The mesh CA's certificate (PEM) and its path. */
  ca: string;
  caPath: string;
  /** Paths of the proxy's certificate (for 127.0.0.1 and localhost) and key. */
  cert: string;
  key: string;
  /** A client certificate from the mesh CA (PEM). */
  agent: { cert: string; key: string };
  /** A client certificate from another CA (PEM). */
  rogue: { cert: string; key: string };
}

async function makePki(dir: string): Promise<Pki> {
  const pki = await makeCliPki({ servers: [["proxy", "127.0.0.1"]], dir });
  return {
    ca: pki.ca,
    caPath: pki.caPath,
    cert: `${pki.dir}/proxy.crt`,
    key: `${pki.dir}/proxy.key`,
    agent: pki.agent,
    rogue: pki.rogueAgent,
  };
}

/** The example with its commented mTLS block switched on, trusting `caPath`. */
function withProxyMtls(conf: string, caPath: string): string {
  let text = conf;
  for (
    const [commented, on] of [
      ["# ssl_client_certificate /etc/swarm/tls/ca.crt;", `ssl_client_certificate ${caPath};`],
      ["# ssl_verify_client on;", "ssl_verify_client on;"],
      ["# ssl_verify_depth 1;", "ssl_verify_depth 1;"],
    ]
  ) {
    assert.ok(text.includes(commented), `The example has no line '${commented}'`);
    text = text.replace(commented, on);
  }
  return text;
}

/** A Deno skill that answers after {@link SLOW_SKILL_MS}, so a stream has time between lines. */
async function writeSlowSkill(dir: string): Promise<string> {
  const skill = `${dir}/slow-echo`;
  await Deno.mkdir(`${skill}/scripts`, { recursive: true });
  await Deno.writeTextFile(
    `${skill}/SKILL.md`,
    [
      "---",
      "name: slow-echo",
      "description: Echoes its JSON input after a pause.",
      "metadata:",
      '  version: "1.0.0"',
      "capabilities: [slow-echo]",
      "---",
      "",
      "# Slow echo",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${skill}/scripts/main.ts`,
    [
      "const raw = await new Response(Deno.stdin.readable).text();",
      `await new Promise((resolve) => setTimeout(resolve, ${SLOW_SKILL_MS}));`,
      'console.log(JSON.stringify({ echo: raw.trim() === "" ? {} : JSON.parse(raw) }));',
      "",
    ].join("\n"),
  );
  return skill;
}

/** A running nginx. */
interface Nginx {
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits. */
  stop(): Promise<void>;
  /** What nginx wrote to its error log so far. */
  errorLog(): string;
}

/** Checks the config with `nginx -t`, starts nginx in the foreground and waits for its port. */
async function startNginx(binary: string, dir: string, port: number): Promise<Nginx> {
  const args = ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`];
  const checked = await outputWithin(binary, { args: ["-t", ...args], ms: 30_000 });
  const text = new TextDecoder();
  assert.equal(
    checked.code,
    0,
    `nginx -t:\n${text.decode(checked.stdout)}${text.decode(checked.stderr)}`,
  );
  const child = killOnExit(
    new Deno.Command(binary, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn(),
  );
  const errorLog = () => {
    try {
      return Deno.readTextFileSync(`${dir}/error.log`);
    } catch {
      return "";
    }
  };
  const what = `nginx (PID ${child.pid})`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    // nginx gets 5 s to stop by itself; exitWithin then kills it, and the second wait
    // is for that kill.
    await exitWithin(child, { ms: 5_000, what, after: "SIGTERM" }).catch(async (err) => {
      if (!(err instanceof WaitTimeout)) throw err;
      await exitWithin(child, { ms: 10_000, what, after: "SIGKILL" });
    });
  };
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 5_000;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { stop, errorLog };
    } catch { /* not listening yet */ }
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on port ${port}:\n${errorLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One NDJSON line of a response and when it arrived (ms since the request was sent). */
interface TimedLine {
  at: number;
  value: Record<string, unknown>;
}

/**
 * Reads NDJSON lines from `body` as they arrive, until `enough` says stop, the body ends,
 * or `timeoutMs` passes. Blank lines (keep-alives) are skipped.
 */
async function readLines(
  body: ReadableStream<Uint8Array>,
  started: number,
  enough: (lines: TimedLine[]) => boolean,
  timeoutMs: number,
): Promise<TimedLine[]> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const lines: TimedLine[] = [];
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), timeoutMs)
  );
  try {
    while (!enough(lines)) {
      const read = await Promise.race([reader.read(), timeout]);
      if (read === "timeout" || read.done) break;
      buffer += read.value;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const part of parts) {
        if (part.trim() !== "") {
          lines.push({ at: performance.now() - started, value: JSON.parse(part) });
        }
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return lines;
}

/** Fetch options for a JSON POST /task. */
function postJson(body: unknown, client: Deno.HttpClient, headers: Record<string, string>) {
  return {
    method: "POST",
    client,
    headers: { ...headers, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  };
}

Deno.test({
  name: "reverse proxy: nginx terminates TLS in front of a loopback node, streaming included",
  ignore: unavailable !== null || noSkills !== null,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "swarm-nginx-" });
    let node: TestNode | undefined;
    let nginx: Nginx | undefined;
    const clients: Deno.HttpClient[] = [];
    /** A client trusting `ca`, presenting `identity` when given; closed at the end. */
    const httpClient = (ca: string, identity?: { cert: string; key: string }) => {
      const client = Deno.createHttpClient({ caCerts: [ca], ...(identity ?? {}) });
      clients.push(client);
      return client;
    };
    try {
      const pki = await makePki(`${dir}/tls`);
      node = await startNode({
        args: [
          "--skills-dir",
          `${FIXTURE_SKILLS}echo-deno`,
          "--skills-dir",
          await writeSlowSkill(`${dir}/skills`),
        ],
        env: { SKILLLITE_SWARM_TOKEN: TOKEN },
      });
      // The node stays on loopback: no --allow-net, only nginx faces the network.
      assert.match(node.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const example = await Deno.readTextFile(EXAMPLE);
      await Deno.writeTextFile(`${dir}/nginx.conf`, wrapperConf(dir));
      /** (Re)starts nginx with the example, changed by `edit`, on a fresh port. */
      const serve = async (edit: (conf: string) => string = (conf) => conf) => {
        await nginx?.stop();
        nginx = undefined;
        const port = freePort();
        const conf = fillExample(example, {
          __LISTEN__: `127.0.0.1:${port}`,
          __UPSTREAM__: `127.0.0.1:${node!.port}`,
          __CERT__: pki.cert,
          __KEY__: pki.key,
          __ACCESS_LOG__: `${dir}/access.log`,
        });
        await Deno.writeTextFile(`${dir}/swarm.conf`, edit(conf));
        nginx = await startNginx(NGINX!, dir, port);
        return port;
      };

      const port = await serve();
      const proxy = `https://127.0.0.1:${port}`;
      const client = httpClient(pki.ca);
      const auth = { authorization: `Bearer ${TOKEN}` };
      let requestId = "";

      await t.step("GET /status with the token: the node's 200 JSON over TLS", async () => {
        const res = await fetch(`${proxy}/status`, {
          client,
          headers: { ...auth, "x-request-id": "chosen-by-the-client" },
          signal: AbortSignal.timeout(5_000),
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal(body.node_id, node!.nodeId);
        // server_tokens off: no version for scanners.
        assert.equal(res.headers.get("server"), "nginx");
        // The node adopted nginx's $request_id (32 hex digits) and answered with it; the
        // client's own id was replaced, not trusted.
        requestId = res.headers.get("x-request-id") ?? "";
        assert.match(requestId, /^[0-9a-f]{32}$/);
      });

      await t.step("without the token: the node's own 401 JSON passes through", async () => {
        const res = await fetch(`${proxy}/status`, { client, signal: AbortSignal.timeout(5_000) });
        const body = await res.json();
        assert.equal(res.status, 401);
        assert.equal(body.error, "unauthorized");
        // The proxy's own refusals say "proxy"; this one is the node's.
        assert.doesNotMatch(body.message, /proxy/);
      });

      await t.step("POST /task runs a skill through the proxy", async () => {
        const task = nodeTask("echo this", { required: ["echo"], input: { n: 7 } });
        const res = await fetchWithin(`${proxy}/task`, postJson(task, client, auth));
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.task_completed, true, JSON.stringify(body));
        assert.match(body.response, /"n":7/);
      });

      await t.step("POST /task?stream=1: NDJSON lines arrive while the task runs", async () => {
        const task = nodeTask("echo slowly", { required: ["slow-echo"], input: { n: 8 } });
        const started = performance.now();
        const res = await fetch(`${proxy}/task?stream=1`, {
          ...postJson(task, client, auth),
          signal: AbortSignal.timeout(15_000),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), NDJSON);
        const lines = await readLines(
          res.body!,
          started,
          (seen) => seen.some((l) => l.value.event === "done" || l.value.event === "error"),
          10_000,
        );
        assert.deepEqual(
          lines.map((l) => l.value.event),
          ["received", "executing", "done"],
          JSON.stringify(lines),
        );
        const [received, executing, done] = lines;
        assert.equal(received.value.task_id, task.id);
        const result = done.value.result as Record<string, unknown>;
        assert.equal(result.task_completed, true, JSON.stringify(result));
        assert.match(String(result.response), /"n":8/);
        // Buffered by the proxy, every line would arrive together with `done`.
        const early = SLOW_SKILL_MS - 500;
        assert.ok(
          done.at - executing.at >= early,
          `"executing" came ${done.at - executing.at} ms before "done": buffered by the proxy?`,
        );
        assert.ok(done.at - received.at >= early);
      });

      await t.step("GET /events streams each event through as the node emits it", async () => {
        const started = performance.now();
        const events = await fetch(`${proxy}/events?types=task_received`, {
          client,
          headers: { ...auth, accept: NDJSON },
          signal: AbortSignal.timeout(15_000),
        });
        assert.equal(events.status, 200);
        assert.equal(events.headers.get("content-type"), NDJSON);
        const task = nodeTask("echo", { required: ["echo"] });
        const seen = readLines(
          events.body!,
          started,
          (lines) => lines.some((l) => l.value.task_id === task.id),
          10_000,
        );
        const res = await fetchWithin(`${proxy}/task`, postJson(task, client, auth));
        assert.equal(res.status, 200);
        await res.body?.cancel();
        // The event stream never ends, so its line reaches us only if nothing holds it
        // back (the node also asks nginx not to buffer it, with X-Accel-Buffering: no).
        const mine = (await seen).find((l) => l.value.task_id === task.id);
        assert.equal(mine?.value.type, "task_received", "The event did not come through");
      });

      await t.step(
        "plain HTTP to the TLS port: the proxy's 400 JSON, nothing from the node",
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/status`, {
            headers: auth,
            signal: AbortSignal.timeout(5_000),
          });
          const body = await res.json();
          assert.equal(res.status, 400);
          assert.equal(body.error, "invalid_request");
          assert.match(body.message, /plain HTTP/);
        },
      );

      await t.step(
        "a body over the node's 1 MiB limit is refused by the proxy: 413 JSON",
        async () => {
          const res = await fetchWithin(
            `${proxy}/task`,
            postJson("x".repeat(1024 * 1024 + 1), client, auth),
          );
          const body = await res.json();
          assert.equal(res.status, 413);
          assert.equal(body.error, "payload_too_large");
          assert.match(body.message, /proxy/);
        },
      );

      await t.step(
        "POST /task is rate-limited per address at the proxy: 429 JSON, Retry-After",
        async () => {
          // Without a token the node answers 401 at once, before its own (per-caller)
          // limit; the proxy's limit (20/s, burst 40) runs before that. Sent 10 at a time
          // so even a slow machine outpaces 20/s. Bounded: 400 requests.
          let refused: Response | undefined;
          let accepted = 0;
          for (let batch = 0; refused === undefined && batch < 40; batch++) {
            const answers = await Promise.all(
              Array.from(
                { length: 10 },
                () => fetchWithin(`${proxy}/task`, postJson("{}", client, {})),
              ),
            );
            for (const res of answers) {
              if (res.status === 429 && refused === undefined) {
                refused = res;
                continue;
              }
              if (res.status === 401) accepted++;
              else assert.equal(res.status, 429);
              await res.body?.cancel();
            }
          }
          assert.ok(refused, `No 429 after ${accepted} requests`);
          assert.ok(accepted >= 40, `Refused after ${accepted} requests: within the burst of 40`);
          assert.equal(refused.headers.get("retry-after"), "1");
          const body = await refused.json();
          assert.equal(body.error, "rate_limited");
          assert.match(body.message, /this address/);
        },
      );

      await t.step("nginx's logs carry the request id and never the token", async () => {
        const access = await Deno.readTextFile(`${dir}/access.log`);
        assert.ok(access.includes(`id=${requestId}`), access);
        assert.ok(!access.includes(TOKEN), "The access log holds the token");
        assert.ok(!nginx!.errorLog().includes(TOKEN), "The error log holds the token");
      });

      await t.step(
        "the example's mTLS block, switched on, admits only mesh certificates",
        async () => {
          const mtlsPort = await serve((conf) => withProxyMtls(conf, pki.caPath));
          const url = `https://127.0.0.1:${mtlsPort}/status`;
          const ask = async (identity?: { cert: string; key: string }) => {
            const res = await fetch(url, {
              client: httpClient(pki.ca, identity),
              headers: auth,
              signal: AbortSignal.timeout(5_000),
            });
            return { status: res.status, body: await res.json() };
          };
          const agent = await ask(pki.agent);
          assert.equal(agent.status, 200, JSON.stringify(agent.body));
          assert.equal(agent.body.node_id, node!.nodeId);
          for (const identity of [undefined, pki.rogue]) {
            const refused = await ask(identity);
            assert.equal(refused.status, 400);
            assert.equal(refused.body.error, "invalid_request");
            assert.match(refused.body.message, /client certificate/);
          }
        },
      );
    } finally {
      for (const client of clients) client.close();
      await nginx?.stop();
      await node?.kill();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
