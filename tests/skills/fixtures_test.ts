/**
 * The fixture skills' scripts do what their SKILL.md says. They are run directly
 * (python3 / deno), not through an executor: executors are tested elsewhere.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURES } from "./_helpers.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

async function run(
  command: string,
  args: string[],
  input: string,
): Promise<{ code: number; output: unknown }> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout } = await withTimeout(child.output(), {
    ms: 60_000,
    waitingFor: `${command} ${args.join(" ")} to finish`,
    onTimeout: () => child.kill("SIGKILL"),
  });
  return { code, output: JSON.parse(new TextDecoder().decode(stdout)) };
}

const python = (skill: string, input: string) =>
  run("python3", [join(FIXTURES, skill, "scripts/main.py")], input);
const deno = (skill: string, input: string, ...flags: string[]) =>
  run(
    Deno.execPath(),
    ["run", "--no-prompt", ...flags, join(FIXTURES, skill, "scripts/main.ts")],
    input,
  );

const calculations: [input: unknown, code: number, output: unknown][] = [
  [{ expression: "2*(3+4)" }, 0, { result: 14, expression: "2*(3+4)" }],
  [{ description: "1+1等于几？" }, 0, { result: 2, expression: "1+1" }],
  [{ description: "What is 10 / 4?" }, 0, { result: 2.5, expression: "10 / 4" }],
  [{ expression: "-(1.5 - 3) * 2" }, 0, { result: 3, expression: "-(1.5 - 3) * 2" }],
  [{ expression: "０.１＋０.２" }, 0, { result: 0.3, expression: "0.1+0.2" }],
  [{ expression: "6 ÷ 4 × 2" }, 0, { result: 3, expression: "6 / 4 * 2" }],
  [{ expression: "1/0" }, 1, { error: "Division by zero" }],
  [{ expression: "__import__('os').system('true')" }, 1, { error: "Unexpected character: _" }],
  [{ expression: "(1+2" }, 1, { error: "Missing closing parenthesis" }],
  [{ description: "hello" }, 1, { error: "No arithmetic expression found in: hello" }],
  [{}, 1, { error: "Give 'expression' or 'description'" }],
];

for (const [input, code, output] of calculations) {
  Deno.test(`calculator fixture answers ${JSON.stringify(input)}`, async () => {
    assert.deepEqual(await python("calculator", JSON.stringify(input)), { code, output });
  });
}

Deno.test("calculator fixture treats empty input as {}", async () => {
  assert.deepEqual(await python("calculator", ""), {
    code: 1,
    output: { error: "Give 'expression' or 'description'" },
  });
});

Deno.test("sleeper fixture sleeps the given time", async () => {
  const start = performance.now();
  assert.deepEqual(await python("sleeper", '{"seconds": 0.3}'), {
    code: 0,
    output: { slept: 0.3 },
  });
  assert.ok(performance.now() - start >= 300);
  assert.deepEqual(await python("sleeper", ""), { code: 0, output: { slept: 0 } });
  assert.equal((await python("sleeper", '{"seconds": -1}')).code, 1);
});

Deno.test("net-probe fixture reports a refused and an accepted connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const accepted = listener.accept().then((conn) => conn.close());
  try {
    assert.deepEqual(await python("net-probe", JSON.stringify({ host: "127.0.0.1", port })), {
      code: 0,
      output: { connected: true, error: null },
    });
    await accepted;
  } finally {
    listener.close();
  }
  const refused = await python("net-probe", JSON.stringify({ host: "127.0.0.1", port }));
  assert.equal(refused.code, 0);
  assert.equal((refused.output as { connected: boolean }).connected, false);
  assert.match((refused.output as { error: string }).error, /ConnectionRefusedError/);
});

Deno.test("echo-deno fixture echoes its input with no permissions", async () => {
  assert.deepEqual(await deno("echo-deno", '{"a": [1, "x"]}'), {
    code: 0,
    output: { echo: { a: [1, "x"] }, runtime: "deno" },
  });
  assert.deepEqual(await deno("echo-deno", ""), { code: 0, output: { echo: {}, runtime: "deno" } });
});

Deno.test("web-fetch-deno fixture reaches 127.0.0.1 and nothing else", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => new Response("ok", { status: 202 }),
  );
  try {
    const port = server.addr.port;
    const url = `http://127.0.0.1:${port}/`;
    assert.deepEqual(
      await deno("web-fetch-deno", JSON.stringify({ url }), "--allow-net=127.0.0.1"),
      {
        code: 0,
        output: { url, status: 202 },
      },
    );
    const other = `http://127.0.0.2:${port}/`;
    const denied = await deno(
      "web-fetch-deno",
      JSON.stringify({ url: other }),
      "--allow-net=127.0.0.1",
    );
    assert.equal(denied.code, 1);
    assert.match((denied.output as { error: string }).error, /NotCapable/);
  } finally {
    ac.abort();
    await server.finished;
  }
});
