import assert from "node:assert/strict";
import { OPTIONS } from "../../lib/config/config.ts";
import { serveHelp } from "../../lib/config/help.ts";
import { loadConfig } from "../../lib/config/load.ts";

Deno.test("serveHelp() mentions every option flag with its placeholder", () => {
  const help = serveHelp();
  for (const option of OPTIONS) {
    const left = `--${option.flag}${option.arg ? ` ${option.arg}` : ""}`;
    assert.ok(help.includes(`  ${left} `), `help lists ${left}`);
  }
});

Deno.test("serveHelp() mentions every option's environment variable and default", () => {
  const help = serveHelp();
  for (const option of OPTIONS) {
    if (option.env) assert.ok(help.includes(`[env ${option.env}]`), option.env);
    assert.ok(help.includes(`default: ${option.defaultText}`), `default of --${option.flag}`);
    assert.ok(help.includes(option.doc), `doc of --${option.flag}`);
  }
});

Deno.test("serveHelp() mentions -h/--help and the token variable", () => {
  const help = serveHelp();
  assert.match(help, /-h, --help/);
  assert.match(help, /SKILLLITE_SWARM_TOKEN/);
  assert.match(help, /^Usage: swarm/);
});

Deno.test("serveHelp() lists only flags loadConfig() accepts", () => {
  // Every `--flag` word in the help must parse: a flag in the help text that the loader
  // refuses as unknown means the two drifted apart.
  const flags = new Set(serveHelp().match(/--[a-z][a-z-]*/g));
  assert.ok(flags.size >= OPTIONS.length);
  for (const flag of flags) {
    if (flag === "--help") continue;
    const option = OPTIONS.find((o) => `--${o.flag}` === flag);
    assert.ok(option, `${flag} in the help is in the option table`);
    const args = option.type === "boolean" ? [flag] : [`${flag}=1`];
    try {
      loadConfig({ args: [...args, "--help"], env: {} });
    } catch (err) {
      assert.fail(`${flag} from the help is refused: ${(err as Error).message}`);
    }
  }
});

Deno.test("OPTIONS has unique keys, flags and environment variables", () => {
  for (const field of ["key", "flag", "env"] as const) {
    const values = OPTIONS.map((o) => o[field]).filter((v) => v !== undefined);
    assert.equal(new Set(values).size, values.length, `unique ${field}`);
  }
});
