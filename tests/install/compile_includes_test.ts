/**
 * `deno compile` bundles only what it can see statically: a worker module started with
 * `new Worker(new URL(...))` must be named with `--include` in the compile task, or the
 * binary fails when it starts that worker; so must a directory of data lib/ reads at run
 * time (`new URL("./dir/", import.meta.url)`, such as the starter skills).
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

/** The lib/ modules started as workers, as repository paths. */
async function workerModules(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: URL) => {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const source = await Deno.readTextFile(url);
        for (
          const m of source.matchAll(/new Worker\(\s*new URL\(\s*"([^"]+)",\s*import\.meta\.url/g)
        ) {
          found.push(new URL(m[1], url).pathname.slice(root.pathname.length));
        }
        for (const m of source.matchAll(/new URL\(\s*"(\.\/[^"]+)\/",\s*import\.meta\.url/g)) {
          found.push(new URL(m[1], url).pathname.slice(root.pathname.length));
        }
      }
    }
  };
  await walk(new URL("lib/", root));
  return found.sort();
}

Deno.test("the compile task includes every worker module and data directory lib/ uses", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const included = [...String(deno.tasks.compile).matchAll(/--include\s+(\S+)/g)].map((m) => m[1])
    .sort();
  const workers = await workerModules();
  assert.ok(workers.length >= 3, `only ${workers.join(", ")} found`);
  assert.ok(workers.includes("lib/skills/starter"), workers.join(", "));
  assert.deepEqual(included, workers);
});
