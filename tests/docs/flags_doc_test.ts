/**
 * Every flag the docs name is real: each `swarm …` command written in README.md or docs/ (code
 * blocks and inline code, both languages) uses only flags its subcommand's `--help` lists, and a
 * flag named on its own (`--max-hops`) is one of swarm's, or of a tool the docs name with it.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../lib/cli/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Flags of other programs the docs show beside swarm's, with the program: a flag here that
 * swarm grew too would still be checked in `swarm …` lines.
 */
const OTHER_TOOLS: Record<string, string> = {
  "--allow-read": "deno",
  "--allow-": "deno (a flag family)",
  "--deny-": "deno (a flag family)",
  "--unstable": "deno",
  "--no-prompt": "deno",
  "--include": "deno compile",
  "--frozen": "deno install",
  "--size": "bwrap",
  "--setenv": "bwrap",
  "--quick": "deno task bench",
  "--only": "deno task bench, tests/mutation/run.ts",
  "--no-profile": "deno task bench",
  "--jobs": "tests/mutation/run.ts",
  "--no-install": "deno task bench",
  "--output": "deno compile",
  "--cached-only": "deno run",
  "--network": "podman",
  "--layers": "podman build",
  "--runtime": "podman",
  "--security-opt": "podman",
  "--tag": "deploy/container/build.sh",
  "--engine": "deploy/container/build.sh",
  "--context": "deploy/container/build.sh",
};

/** What `swarm ARGS` prints on stdout, or `undefined` when it exits non-zero. */
async function cliOutput(args: string[]): Promise<string | undefined> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  console.error = () => {};
  try {
    return (await runCli(args)) === 0 ? lines.join("\n") : undefined;
  } finally {
    console.log = log;
    console.error = error;
  }
}

const subHelp = new Map<string, Promise<string | undefined>>();

/** The help of `swarm COMMAND SUB` (e.g. `skill publish`), when SUB is one of its commands. */
function subcommandHelp(command: string, sub: string | undefined): Promise<string | undefined> {
  if (sub === undefined || !/^[a-z][a-z-]*$/.test(sub)) return Promise.resolve(undefined);
  const key = `${command} ${sub}`;
  if (!subHelp.has(key)) subHelp.set(key, cliOutput([command, sub, "--help"]));
  return subHelp.get(key)!;
}

/** The help text of every subcommand (`serve` for the node), by name. */
async function helpTexts(): Promise<Map<string, string>> {
  const main = await cliOutput(["help"]) ?? "";
  const names = new Set(
    [...main.matchAll(/^ {2}swarm ([a-z]+)\b/gm)].map((m) => m[1]).filter((n) => n !== "help"),
  );
  names.add("serve");
  const texts = new Map<string, string>();
  for (const name of names) texts.set(name, await cliOutput([name, "--help"]) ?? "");
  texts.set("", main);
  return texts;
}

async function markdownFiles(): Promise<string[]> {
  const found = [join(ROOT, "README.md")];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  await walk(join(ROOT, "docs"));
  return found.sort();
}

/** Code in a Markdown text: each line of a fenced block, and each inline code span. */
function codeOf(text: string): string[] {
  const code: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) code.push(line);
    else for (const m of line.matchAll(/`([^`]+)`/g)) code.push(m[1]);
  }
  return code;
}

/**
 * The `swarm …` invocations in a line of code: the words after `swarm`, up to a shell
 * separator. Only where a command starts (the line's start, after `;`, `&&`, `|`, `(`, `$(`,
 * `sudo`, `exec` or `VAR=value`): `/var/lib/swarm` as another program's argument is a path.
 */
function invocations(line: string): string[][] {
  const found: string[][] = [];
  const pattern = /(?:[~\w.${}/-]*\/)?swarm(?=\s|$)((?:\s+[^\s;&|#)]+)*)/g;
  for (const m of line.matchAll(pattern)) {
    const before = line.slice(0, m.index);
    const starts = /(^|[;&|(]|\$\()\s*((sudo|exec|env)\s+|[A-Z_][A-Z0-9_]*=\S*\s+)*$/;
    if (!starts.test(before.replace(/^\s*[$#>]\s/, ""))) continue;
    found.push(m[1].trim().split(/\s+/).filter(Boolean));
  }
  return found;
}

const flagOf = (word: string) => word.match(/^--[a-z][a-z0-9-]*/)?.[0];

Deno.test("docs: every `swarm …` command uses only flags its subcommand's help lists", async () => {
  const help = await helpTexts();
  const wrong: string[] = [];
  let checked = 0;
  for (const file of await markdownFiles()) {
    for (const line of codeOf(await Deno.readTextFile(file))) {
      for (const words of invocations(line)) {
        const first = words[0] ?? "";
        const command = help.has(first) && first !== ""
          ? first
          : ["--version", "-V", "--help", "-h"].includes(first)
          ? ""
          : "serve";
        const text = help.get(command)! + "\n" + (await subcommandHelp(command, words[1]) ?? "");
        for (const flag of words.map(flagOf)) {
          if (flag === undefined) continue;
          checked++;
          if (!new RegExp(`(^|[\\s\\[,(|])${flag}(?![a-z0-9-])`, "m").test(text)) {
            wrong.push(`${relative(ROOT, file)}: swarm ${command}: ${flag} (in "${line.trim()}")`);
          }
        }
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} flags found: the extraction is broken`);
  assert.deepEqual(wrong, []);
});

Deno.test("docs: a flag named on its own is swarm's, or a named tool's", async () => {
  const help = [...(await helpTexts()).values()].join("\n");
  const wrong: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/`(--[a-z][a-z0-9-]*)(?:[ =][^`]*)?`/g)) {
      const flag = m[1];
      if (flag in OTHER_TOOLS) continue;
      if (!new RegExp(`${flag}(?![a-z0-9-])`).test(help)) {
        wrong.push(`${relative(ROOT, file)}: ${flag}`);
      }
    }
  }
  assert.deepEqual([...new Set(wrong)], []);
});

Deno.test("docs flag check: the extraction finds what it should, and no more", () => {
  assert.deepEqual(invocations('~/.local/bin/swarm task "1+1" --url http://x | jq .'), [[
    "task",
    '"1+1"',
    "--url",
    "http://x",
  ]]);
  assert.deepEqual(invocations("skilllite swarm --listen 0.0.0.0:7700"), []);
  assert.deepEqual(invocations("tar -C /var/lib/swarm --exclude=./work"), []);
  assert.deepEqual(invocations("$ SKILLLITE_SWARM_TOKEN=x swarm status"), [["status"]]);
  assert.deepEqual(invocations("_skilllite-swarm._udp.local"), []);
  assert.deepEqual(invocations("sudo swarm --listen 0.0.0.0:7700 && swarm status --json"), [
    ["--listen", "0.0.0.0:7700"],
    ["status", "--json"],
  ]);
  assert.deepEqual(codeOf("a `swarm x` b\n```sh\nswarm y\n```\n`c`"), ["swarm x", "swarm y", "c"]);
});
