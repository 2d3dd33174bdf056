/**
 * Each `lib/` folder's `mod.ts` is its public face: code in another folder imports only
 * that, nobody reaches into another folder's files (private `_` helpers least of all),
 * and a `mod.ts` lists its own folder's surface, not re-exports of other folders.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/** One import that crosses a boundary it should not. */
interface Violation {
  file: string;
  target: string;
  rule: string;
}

/** Every module specifier a TypeScript source names in an import or export. */
function specifiers(source: string): { specifier: string; reexport: boolean }[] {
  const found: { specifier: string; reexport: boolean }[] = [];
  // Comments may quote imports (JSDoc examples): they are not part of the graph.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const statement = /^\s*(import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms;
  for (const m of code.matchAll(statement)) {
    found.push({ specifier: m[2], reexport: m[1] === "export" });
  }
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) {
    found.push({ specifier: m[1], reexport: false });
  }
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push({ specifier: m[1], reexport: false });
  }
  return found;
}

/** The `lib/` folder a repository path is in (`lib/http/routes/x.ts` → `http`), if any. */
function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "lib" && parts.length > 2 ? parts[1] : undefined;
}

/**
 * The boundary violations in a tree given as repository path → source text. Only `lib/`
 * and `main.ts` are held to the boundary: tests may import the internals they test.
 */
function violations(tree: Map<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of tree) {
    const from = folderOf(file);
    if (from === undefined && file !== "main.ts") continue;
    for (const { specifier, reexport } of specifiers(source)) {
      if (!specifier.startsWith(".")) continue;
      const target = normalize(join(dirname(file), specifier)).replaceAll("\\", "/");
      const to = folderOf(target);
      if (to === undefined || to === from) continue;
      if (!target.endsWith(`lib/${to}/mod.ts`)) {
        const rule = target.split("/").pop()!.startsWith("_")
          ? "imports another folder's private file"
          : "bypasses the folder's mod.ts";
        out.push({ file, target, rule });
      } else if (reexport && file.endsWith("/mod.ts")) {
        out.push({ file, target, rule: "re-exports another folder from its mod.ts" });
      }
    }
  }
  return out;
}

async function readTree(): Promise<Map<string, string>> {
  const tree = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        tree.set(relative(ROOT, path).replaceAll("\\", "/"), await Deno.readTextFile(path));
      }
    }
  };
  await walk(join(ROOT, "lib"));
  tree.set("main.ts", await Deno.readTextFile(join(ROOT, "main.ts")));
  return tree;
}

Deno.test("import boundary: lib/ folders import each other only through mod.ts", async () => {
  const found = await readTree().then(violations);
  assert.deepEqual(
    found.map((v) => `${v.file} → ${v.target}: ${v.rule}`),
    [],
    "Import the folder's mod.ts (add the symbol to its public face if it belongs there)",
  );
});

Deno.test("import boundary: the checker finds each kind of violation", () => {
  const tree = new Map([
    ["lib/a/x.ts", 'import { y } from "../b/y.ts";\nimport { z } from "../b/_z.ts";'],
    ["lib/a/ok.ts", 'import type {\n  Y,\n} from "../b/mod.ts";\nimport { w } from "./w.ts";'],
    ["lib/a/mod.ts", 'export * from "./x.ts";\nexport type { Y } from "../b/mod.ts";'],
    ["lib/a/sub/deep.ts", 'import { x } from "../x.ts";\nconst m = await import("../../b/y.ts");'],
    ["lib/b/y.ts", '/** ```ts\nimport { x } from "../a/x.ts";\n``` */\nexport const y = 1;'],
    ["main.ts", 'import { runCli } from "./lib/cli/run.ts";'],
    ["tests/a/x_test.ts", 'import { z } from "../../lib/b/_z.ts";'],
  ]);
  assert.deepEqual(violations(tree), [
    { file: "lib/a/x.ts", target: "lib/b/y.ts", rule: "bypasses the folder's mod.ts" },
    { file: "lib/a/x.ts", target: "lib/b/_z.ts", rule: "imports another folder's private file" },
    {
      file: "lib/a/mod.ts",
      target: "lib/b/mod.ts",
      rule: "re-exports another folder from its mod.ts",
    },
    { file: "lib/a/sub/deep.ts", target: "lib/b/y.ts", rule: "bypasses the folder's mod.ts" },
    { file: "main.ts", target: "lib/cli/run.ts", rule: "bypasses the folder's mod.ts" },
  ]);
});
