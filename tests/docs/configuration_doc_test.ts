import { strict as assert } from "node:assert";
import { OPTIONS } from "../../lib/config/config.ts";
import { serveHelp } from "../../lib/config/help.ts";

const doc = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));

Deno.test("docs/configuration.md lists every option with its env variable and default", () => {
  for (const o of OPTIONS) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`--${o.flag}`));
    assert.ok(row, `--${o.flag} is documented`);
    if (o.env) assert.ok(row.includes(o.env), `${o.env} is documented`);
    assert.ok(row.includes(o.defaultText), `default of --${o.flag} is documented`);
  }
});

Deno.test("serveHelp() lists every option with its env variable", () => {
  const help = serveHelp();
  for (const o of OPTIONS) {
    assert.ok(help.includes(`--${o.flag}`), o.flag);
    if (o.env) assert.ok(help.includes(o.env), o.env);
  }
});
