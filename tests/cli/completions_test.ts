import assert from "node:assert/strict";
import { COMMANDS, runCli } from "../../lib/cli/mod.ts";
import {
  bashCompletion,
  type CommandRunner,
  type CompletionSpec,
  completionSpec,
  fishCompletion,
  parseCompletionsArgs,
  zshCompletion,
} from "../../lib/cli/completions.ts";
import { UsageError } from "../../lib/cli/_usage.ts";
import { withTempDir } from "../_helpers/temp_dir.ts";
import { capture } from "./_capture.ts";

/**
 * A command added to the table the way a new subcommand is: its own help and parser,
 * nothing in the completions. Its help mentions `--nope` in prose, which its parser
 * refuses: the completions must not offer it.
 */
const demo: CommandRunner = (argv) => {
  if (argv.some((a) => a.startsWith("--nope"))) {
    console.error("swarm demo: invalid_argument: Unknown option '--nope'");
    return Promise.resolve(2);
  }
  console.log(`Usage: swarm demo start|stop [--frob N] [--conf FILE]

Not a real command. (--nope is not one of its flags.)`);
  return Promise.resolve(0);
};

const TABLE: Record<string, CommandRunner> = { ...COMMANDS, demo };
const spec: CompletionSpec = await completionSpec(TABLE);
const command = (name: string) => spec.commands.find((c) => c.name === name);

Deno.test("completionSpec() has every command of the table, and help", () => {
  assert.deepEqual(spec.commands.map((c) => c.name), [...Object.keys(TABLE), "help"]);
  assert.deepEqual(command("help")?.subcommands.map((s) => s.name), Object.keys(TABLE));
});

Deno.test("completionSpec() picks up a new command's subcommands and flags from its help alone", () => {
  const added = command("demo")!;
  assert.deepEqual(added.subcommands.map((s) => s.name), ["start", "stop"]);
  // `--nope` is in its help's prose, but its parser refuses it: not offered.
  assert.deepEqual(added.flags, ["--frob", "--conf"]);
  assert.deepEqual(added.valueFlags, ["--frob", "--conf"]);
  assert.deepEqual(added.fileFlags, ["--conf"]);
});

Deno.test("completionSpec() reads the real commands' flags and subcommands", () => {
  const status = command("status")!;
  for (const flag of ["--url", "--json", "--mesh", "--watch", "--interval-ms", "--tls-ca"]) {
    assert.ok(status.flags.includes(flag), flag);
  }
  assert.ok(status.fileFlags.includes("--tls-ca") && status.fileFlags.includes("--token-file"));
  assert.ok(command("serve")!.flags.includes("--max-hops"));
  assert.ok(command("serve")!.dirFlags.includes("--skills-dir"));
  assert.deepEqual(command("tls")!.subcommands.map((s) => s.name), ["init", "issue", "show"]);
  assert.ok(command("token")!.subcommands.some((s) => s.name === "issue"));
  assert.deepEqual(command("completions")!.subcommands.map((s) => s.name), [
    "bash",
    "zsh",
    "fish",
  ]);
  for (const flag of ["--listen", "--peer", "--help", "--version"]) {
    assert.ok(spec.top.flags.includes(flag), flag);
  }
});

const REFUSED: Array<[argv: string[], message: RegExp]> = [
  [[], /^Missing argument SHELL \(bash, zsh or fish\)$/],
  [["ksh"], /^Unknown shell 'ksh': expected bash, zsh or fish$/],
  [["bash", "zsh"], /^Unexpected argument 'zsh'$/],
];

for (const [argv, message] of REFUSED) {
  Deno.test(`parseCompletionsArgs() refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseCompletionsArgs(argv), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, message);
      return true;
    });
  });
}

Deno.test("swarm completions SHELL prints the script for that shell", async () => {
  const real = await completionSpec(COMMANDS);
  const scripts = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };
  for (const [shell, script] of Object.entries(scripts)) {
    const out = await capture(() => runCli(["completions", shell], {}));
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, script(real).trimEnd());
  }
  const usage = await capture(() => runCli(["completions"], {}));
  assert.equal(usage.code, 2);
});

/** Runs `program args` to its end; returns its exit code and output (stdout, then stderr). */
async function run(program: string, args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(program, { args, stdin: "null" })
    .output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

/** Why `shell` cannot be run here, or null. */
async function shellUnavailable(shell: string): Promise<string | null> {
  try {
    const { code } = await run(shell, ["-c", "exit 0"]);
    return code === 0 ? null : `'${shell} -c "exit 0"' exited ${code}`;
  } catch (err) {
    return `${shell} is not installed (${(err as Error).name})`;
  }
}

/** Runs `fn` with `text` written to a file in a fresh temporary directory. */
async function withScript(
  text: string,
  fn: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const path = `${dir}/swarm-completion`;
    await Deno.writeTextFile(path, text);
    await fn(path, dir);
  });
}

const noBash = await shellUnavailable("bash");
const noZsh = await shellUnavailable("zsh");
const noFish = await shellUnavailable("fish");
for (const [shell, why] of [["bash", noBash], ["zsh", noZsh], ["fish", noFish]]) {
  if (why) console.log(`completions_test: ${shell} tests skipped: ${why}`);
}

/** Bash: what `_swarm_complete` offers for the words typed (the last one being completed). */
const BASH_COMPLETE = `
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=()
_swarm_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;

Deno.test({
  name: "bash: the script parses with bash -n, registers swarm and completes from the table",
  ignore: noBash !== null,
  async fn() {
    await withScript(bashCompletion(spec), async (path, dir) => {
      const syntax = await run("bash", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.out);
      const registered = await run("bash", ["-c", `source "${path}"; complete -p swarm`]);
      assert.equal(registered.out.trim(), "complete -o default -F _swarm_complete swarm");
      await Deno.writeTextFile(`${dir}/ca.crt`, "");
      const cases: Array<[words: string[], offered: string[]]> = [
        [["swarm", "sta"], ["status"]],
        [["swarm", "comp"], ["completions"]],
        [["swarm", "completions", ""], ["bash", "zsh", "fish", "--help"]],
        [["swarm", "status", "--wa"], ["--watch"]],
        [["swarm", "token", "is"], ["issue"]],
        [["swarm", "tls", "issue", "--out"], ["--out-dir"]],
        [["swarm", "--listen", "7700", "--max-h"], [
          "--max-hops",
          "--max-header-bytes",
          "--max-headers",
        ]],
        [["swarm", "help", "tr"], ["trust"]],
        [["swarm", "demo", "st"], ["start", "stop"]],
        [["swarm", "demo", "start", "--fr"], ["--frob"]],
        [["swarm", "status", "--tls-ca", `${dir}/ca`], [`${dir}/ca.crt`]],
      ];
      for (const [words, offered] of cases) {
        const out = await run("bash", ["-c", BASH_COMPLETE, "bash", path, ...words]);
        assert.equal(out.code, 0, out.out);
        assert.deepEqual(out.out.trim().split("\n").sort(), [...offered].sort(), words.join(" "));
      }
    });
  },
});

Deno.test({
  name: "zsh: the script parses with zsh -n and offers commands and flags",
  ignore: noZsh !== null,
  async fn() {
    await withScript(zshCompletion(spec), async (path) => {
      const syntax = await run("zsh", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.out);
      // compadd and compdef exist only inside the completion system: stand-ins print
      // what would be offered (compadd filters by prefix itself, so all are printed).
      const offer = (words: string[]) =>
        run("zsh", [
          "-f",
          "-c",
          `compdef() { :; }; compadd() { shift; print -l -- "$@"; }; _files() { print FILES "$@"; }
source "$1"; shift; words=("$@"); CURRENT=$#; _swarm`,
          "zsh",
          path,
          ...words,
        ]);
      const top = (await offer(["swarm", ""])).out.split("\n");
      assert.ok(top.includes("status") && top.includes("demo"), top.join(" "));
      const status = (await offer(["swarm", "status", "--"])).out.split("\n");
      assert.ok(status.includes("--watch") && !status.includes("--listen"), status.join(" "));
      assert.equal((await offer(["swarm", "status", "--tls-ca", ""])).out.trim(), "FILES");
      assert.equal((await offer(["swarm", "--data-dir", ""])).out.trim(), "FILES -/");
    });
  },
});

Deno.test({
  name: "fish: the script parses with fish -n and completes from the table",
  ignore: noFish !== null,
  async fn() {
    await withScript(fishCompletion(spec), async (path) => {
      const syntax = await run("fish", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.out);
      const complete = async (line: string) => {
        const out = await run("fish", ["-N", "-c", `source '${path}'; complete -C '${line}'`]);
        assert.equal(out.code, 0, out.out);
        return out.out.trim().split("\n").map((l) => l.split("\t")[0]);
      };
      assert.deepEqual(await complete("swarm sta"), ["status"]);
      assert.deepEqual(await complete("swarm token is"), ["issue"]);
      assert.deepEqual(await complete("swarm status --wa"), ["--watch"]);
      assert.deepEqual((await complete("swarm demo ")).sort(), ["start", "stop"]);
      assert.ok((await complete("swarm --listen 7700 --pe")).includes("--peer"));
    });
  },
});
