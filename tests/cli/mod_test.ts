import assert from "node:assert/strict";
import { MAIN_HELP, runCli } from "../../lib/cli/mod.ts";
import { serveHelp } from "../../lib/config/help.ts";
import { VERSION } from "../../lib/version.ts";
import { capture } from "./_capture.ts";

Deno.test("runCli() prints the version and returns 0 for --version, -V and version", async () => {
  for (const argv of [["--version"], ["-V"], ["version"]]) {
    const { code, stdout, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 0);
    assert.equal(stdout, `swarm ${VERSION}`);
    assert.equal(stderr, "");
  }
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

Deno.test("runCli() prints the main help and returns 0 with no arguments, -h, --help and help", async () => {
  for (const argv of [[], ["-h"], ["--help"], ["help"], ["help", "help"]]) {
    const { code, stdout } = await capture(() => runCli(argv));
    assert.equal(code, 0, JSON.stringify(argv));
    assert.equal(stdout, MAIN_HELP);
  }
  for (const command of ["serve", "status", "skills", "task", "help", "--version"]) {
    assert.ok(MAIN_HELP.includes(`swarm ${command}`), command);
  }
});

Deno.test("runCli() returns 2 and names an unknown command", async () => {
  const { code, stdout, stderr } = await capture(() => runCli(["nope"]));
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr, "swarm: invalid_argument: Unknown command 'nope' (see 'swarm --help')");
});

Deno.test("runCli() returns 2 for help on an unknown command", async () => {
  const { code, stderr } = await capture(() => runCli(["help", "nope"]));
  assert.equal(code, 2);
  assert.match(stderr, /Unknown command 'nope'/);
});

Deno.test("runCli() prints a subcommand's help for help COMMAND and COMMAND --help", async () => {
  const viaHelp = await capture(() => runCli(["help", "task"]));
  const viaFlag = await capture(() => runCli(["task", "--help"]));
  assert.equal(viaHelp.code, 0);
  assert.equal(viaFlag.code, 0);
  assert.match(viaHelp.stdout, /^Usage: swarm task/);
  assert.equal(viaHelp.stdout, viaFlag.stdout);
  const status = await capture(() => runCli(["help", "status"]));
  assert.equal(status.code, 0);
  assert.match(status.stdout, /^Usage: swarm status/);
});

Deno.test("runCli() prints the node's help for serve --help and a bare --help after node flags", async () => {
  for (const argv of [["serve", "--help"], ["help", "serve"], ["--listen", "7701", "--help"]]) {
    const { code, stdout } = await capture(() => runCli(argv));
    assert.equal(code, 0, JSON.stringify(argv));
    assert.equal(stdout, serveHelp());
  }
});

Deno.test("runCli() returns 2 for a usage mistake in a subcommand", async () => {
  for (
    const argv of [["task"], ["task", "--bogus", "x"], ["status", "extra"], ["status", "--nope"]]
  ) {
    const { code, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 2, JSON.stringify(argv));
    assert.match(
      stderr,
      /^swarm (task|status): invalid_argument: .*\(see 'swarm (task|status) --help'\)$/,
    );
  }
});

Deno.test("runCli() returns 2 for a bad node flag without starting a node", async () => {
  for (const argv of [["--bogus"], ["serve", "--listen", "70000"], ["--listen", "0.0.0.0:7700"]]) {
    const { code, stderr } = await capture(() => runCli(argv));
    assert.equal(code, 2, JSON.stringify(argv));
    assert.match(stderr, /^swarm: config_invalid: [^\n]+$/);
  }
});

Deno.test("runCli() returns 1 when the node cannot be reached", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const { code, stderr } = await capture(() =>
    runCli(["status", "--url", `http://127.0.0.1:${port}`])
  );
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(
      `^swarm status: peer_unreachable: Cannot reach http://127\\.0\\.0\\.1:${port}: [^\\n]+$`,
    ),
  );
});
