import { strict as assert } from "node:assert";

const root = new URL("../../", import.meta.url);
const doc = await Deno.readTextFile(new URL("docs/architecture.md", root));

/** The `lib/` folders named in the layout block: lines `  name/   description`. */
function namedFolders(): string[] {
  const block = doc.split("```")[1] ?? "";
  const start = block.indexOf("lib/\n");
  const end = block.indexOf("\ntests/", start);
  return [...block.slice(start, end).matchAll(/^ {2}([a-z_]+)\/ /gm)].map((m) => m[1]).sort();
}

async function libFolders(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(new URL("lib/", root))) {
    if (entry.isDirectory) names.push(entry.name);
  }
  return names.sort();
}

Deno.test("docs/architecture.md names every lib/ folder, and only folders that exist", async () => {
  const named = namedFolders();
  assert.ok(named.length >= 10, `only ${named.length} folders found in the layout block`);
  assert.deepEqual(named, await libFolders());
});

Deno.test("docs/architecture.md names only lib/ files that exist", async () => {
  for (const [, path] of doc.matchAll(/`((?:lib\/)?[a-z_]+\/[a-z_]+\.ts)`/g)) {
    const full = path.startsWith("lib/") ? path : `lib/${path}`;
    const exists = await Deno.stat(new URL(full, root)).then(() => true, () => false);
    assert.ok(exists, `${full} is named in docs/architecture.md but does not exist`);
  }
});
