/**
 * The end-to-end tutorial, run as written: every command block of docs/tutorial.en.md, in
 * order, in one root bash session with the installed `swarm` first on its PATH, each output
 * compared with the one the tutorial shows. docs/tutorial.zh.md must hold exactly the same
 * command and output blocks (checked below), so the one run proves both.
 *
 * How a tutorial is written so that it can be run (parsed by `_tutorial.ts`):
 *
 * - A fenced block with the info string `sh` is a command block. Its text runs as written, in
 *   one bash session kept across blocks (variables, `cd` and background jobs carry over), with
 *   stdin closed and stderr merged into stdout. Its status, that of its last command, must be
 *   0: a command expected to fail is followed by `echo "exit status $?"`.
 * - A command that starts a node ends with `&` (and sends the node's log to a file): the node
 *   runs in the background until a later block stops it. Checked below for every
 *   `swarm --listen` / `swarm serve` line.
 * - `sh retry` marks a command block that waits for the mesh (a node starting, a peer found or
 *   declared dead): the test runs it again every 0.5 s until its output matches, within
 *   {@link RETRY_MS}; the tutorial tells the reader to run it again.
 * - The next `text` block after a command block (prose may come between, another command
 *   block may not) is what the command prints; a command block without one must print
 *   nothing. `text unordered`: the lines may come in any order (table rows ordered by random
 *   node ids).
 * - Placeholders in an output block:
 *   - `…` matches any text within a line (also none); a line holding only `…` matches any
 *     number of lines;
 *   - `<name>` (lowercase letters, digits, `-`: `<id-a>`, `<kid>`) matches a run of non-blank
 *     characters. It is bound on first use for the whole run: `<id-a>` is the same node id in
 *     every later block, and two different names never stand for the same text (so the
 *     failover step proves that `<id-c>`, not `<id-a>`, ran the task);
 *   - a run of spaces matches any run of spaces (columns align around real ids).
 *   Spaces at either end of a line (`deno fmt` dedents a block whose lines are all indented)
 *   and blank lines at either end of the output are ignored, and so are the lines bash
 *   prints when it reaps a background job killed by a signal (`bash: line 12:  4321 Killed
 *   …`), which appear whenever bash notices, not with any command.
 *
 * Isolation (`_tutorial_shell.ts`): the session runs in a network namespace of its own, so
 * the tutorial's bridge and 10.77.0.0/24 addresses never touch the root namespace; with a
 * private `/run/netns`, so its namespace names (`swarm-a`, …) cannot clash with the host's;
 * and as PID 1 of its own PID namespace, so closing it kills every node it started, whether
 * the tutorial's clean-up ran or not. Each block is bounded in time, retries in count and
 * time, the whole run by {@link TOTAL_MS}.
 *
 * Skipped, printing `tutorial_test skipped: <reason>`, without root and network namespaces,
 * without bubblewrap or python3 (the tutorial runs Python and Deno skills in their sandbox),
 * or without a tool the tutorial uses.
 */
import { strict as assert } from "node:assert";
import { dirname } from "node:path";
import { installedSwarm } from "./_launcher.ts";
import { testbedUnavailable } from "./_testbed.ts";
import { type BlockResult, openTutorialShell, type TutorialShell } from "./_tutorial_shell.ts";
import { type Bindings, matchOutput, parseTutorial, type TutorialStep } from "./_tutorial.ts";
import { skillsUnavailable } from "../_helpers/bwrap.ts";
import { outputWithin } from "../_helpers/with_timeout.ts";

const ROOT = new URL("../../", import.meta.url);
const EN = "docs/tutorial.en.md";
const ZH = "docs/tutorial.zh.md";
/** Longest run of one command block. */
const STEP_MS = 60_000;
/** Longest time a `sh retry` block is tried for, and the most attempts. */
const RETRY_MS = 45_000;
const MAX_ATTEMPTS = 90;
const RETRY_PAUSE_MS = 500;
/** Longest run of the whole tutorial. */
const TOTAL_MS = 180_000;
/** Programs the tutorial runs besides `swarm` and the shell's builtins. */
const TOOLS = ["bash", "unshare", "openssl", "curl", "jq", "grep"];

const english = parseTutorial(await Deno.readTextFile(new URL(EN, ROOT)));
const chinese = parseTutorial(await Deno.readTextFile(new URL(ZH, ROOT)));

async function missingTool(): Promise<string | null> {
  for (const tool of TOOLS) {
    const found = await outputWithin("sh", { args: ["-c", 'command -v "$0"', tool], ms: 10_000 });
    if (!found.success) return `${tool} is not installed`;
  }
  return null;
}

const unavailable = await testbedUnavailable() ?? await skillsUnavailable({ python: true }) ??
  await missingTool();
if (unavailable) console.log(`tutorial_test skipped: ${unavailable}`);

/** What a failure says about where it happened: "step 7 (line 120, ## 4. Discovery)". */
function where(step: TutorialStep): string {
  return `step ${step.index} of ${EN} (line ${step.line}, under "${step.heading}")`;
}

function indent(text: string): string {
  return text.split("\n").map((line) => `    ${line}`).join("\n");
}

function mismatch(
  step: TutorialStep,
  result: BlockResult,
  bindings: Bindings,
  tries: string,
): Error {
  const bound = [...bindings].map(([name, value]) => `<${name}> = ${value}`).join(", ");
  return new Error(
    [
      `${where(step)} does not do what the tutorial shows${tries}:`,
      indent(`$ ${step.command}`),
      `exit status: ${result.code}${result.code === 0 ? "" : " (must be 0)"}`,
      `expected${step.unordered ? " (lines in any order)" : ""}:`,
      step.expected.length ? indent(step.expected.join("\n")) : "    (no output)",
      "actual:",
      result.output.trim() ? indent(result.output.trimEnd()) : "    (no output)",
      `placeholders bound so far: ${bound || "none"}`,
    ].join("\n"),
  );
}

/** Runs one step (again and again for `sh retry`) and returns the bindings it extended. */
async function runStep(
  shell: TutorialShell,
  step: TutorialStep,
  bindings: Bindings,
  deadline: number,
): Promise<Bindings> {
  const started = Date.now();
  const budget = Math.min(step.retry ? RETRY_MS : STEP_MS, deadline - started);
  if (budget <= 0) throw new Error(`${where(step)}: no time left of the tutorial's ${TOTAL_MS} ms`);
  let attempts = 0;
  while (true) {
    attempts++;
    let result: BlockResult;
    try {
      result = await shell.run(step.command, Math.max(1, budget - (Date.now() - started)));
    } catch (err) {
      const output = (err as { output?: string }).output;
      const printed = output === undefined
        ? ""
        : `; it printed so far:\n${output.trim() ? indent(output.trimEnd()) : "    (nothing)"}`;
      throw new Error(
        `${where(step)} did not finish: ${(err as Error).message}${printed}\n` +
          indent(`$ ${step.command}`),
        { cause: err },
      );
    }
    if (result.code === 0) {
      const bound = matchOutput(step.expected, result.output, {
        unordered: step.unordered,
        bindings,
      });
      if (bound) return bound;
    }
    const elapsed = Date.now() - started;
    if (!step.retry || attempts >= MAX_ATTEMPTS || elapsed + RETRY_PAUSE_MS >= budget) {
      const tries = step.retry ? `, after ${attempts} attempts in ${elapsed} ms` : "";
      throw mismatch(step, result, bindings, tries);
    }
    await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
  }
}

function firstLine(command: string): string {
  const line = command.split("\n")[0];
  return command.includes("\n") ? `${line} …` : line;
}

Deno.test(`tutorial: ${ZH} has exactly the command and output blocks of ${EN}`, () => {
  assert.ok(english.length >= 20, `${EN} has only ${english.length} command blocks`);
  const blocks = (steps: TutorialStep[]) =>
    steps.map(({ command, retry, expected, unordered }) => ({
      command,
      retry,
      expected,
      unordered,
    }));
  assert.deepEqual(blocks(chinese), blocks(english));
});

Deno.test("tutorial: every command that starts a node runs it in the background", () => {
  const starts: string[] = [];
  for (const step of english) {
    const commands = step.command.replace(/\\\n/g, " ").split("\n");
    for (const command of commands.filter((c) => /\bswarm (?:serve\b|--listen\b)/.test(c))) {
      starts.push(command);
      assert.match(command, /&\s*$/, `${where(step)} starts a node in the foreground`);
      assert.match(command, /> *\S+\.log 2>&1 &\s*$/, `${where(step)}: the node's log to a file`);
    }
  }
  assert.ok(starts.length >= 3, `only ${starts.length} nodes started:\n${starts.join("\n")}`);
});

Deno.test("matchOutput() compares an output with a tutorial's expected lines", async (t) => {
  const cases: {
    name: string;
    expected: string[];
    actual: string;
    unordered?: boolean;
    bindings?: [string, string][];
    bound: [string, string][] | null;
  }[] = [
    { name: "equal text", expected: ["a b"], actual: "a b\n", bound: [] },
    { name: "a different word", expected: ["exit status 1"], actual: "exit status 0", bound: null },
    { name: "a missing line", expected: ["a", "b"], actual: "a", bound: null },
    { name: "an extra line", expected: ["a"], actual: "a\nb", bound: null },
    { name: "no output expected", expected: [], actual: "\n  \n", bound: [] },
    { name: "no output expected, some given", expected: [], actual: "oops", bound: null },
    { name: "runs of spaces", expected: ["x  y z"], actual: "x y      z   ", bound: [] },
    { name: "spaces are not optional", expected: ["x y"], actual: "xy", bound: null },
    { name: "spaces at either end", expected: ["x y"], actual: "   x y  ", bound: [] },
    { name: "… within a line", expected: ["seen …, dead"], actual: "seen 3s ago, dead", bound: [] },
    { name: "… may be empty", expected: ["a…b"], actual: "ab", bound: [] },
    { name: "… line: any lines", expected: ["{", "…", "}"], actual: "{\n1\n2\n}", bound: [] },
    { name: "… line: also none", expected: ["{", "…", "}"], actual: "{\n}", bound: [] },
    {
      name: "placeholders bind",
      expected: ['"node_id": "<id-a>",'],
      actual: '"node_id": "5a6f-2408",',
      bound: [["id-a", "5a6f-2408"]],
    },
    {
      name: "a bound placeholder must repeat its value",
      expected: ["executing on <id-a>"],
      actual: "executing on 7777",
      bindings: [["id-a", "5a6f"]],
      bound: null,
    },
    {
      name: "a bound placeholder repeated",
      expected: ["executing on <id-a>"],
      actual: "executing on 5a6f",
      bindings: [["id-a", "5a6f"]],
      bound: [["id-a", "5a6f"]],
    },
    {
      name: "two names, one value",
      expected: ["forwarding to <id-c>"],
      actual: "forwarding to 5a6f",
      bindings: [["id-a", "5a6f"]],
      bound: null,
    },
    {
      name: "one name twice in a line",
      expected: ["<x> and <x>"],
      actual: "1 and 2",
      bound: null,
    },
    { name: "a placeholder is not blank", expected: ["id <x>"], actual: "id ", bound: null },
    {
      name: "bash's job reports are ignored",
      expected: ["ok"],
      actual: "bash: line 48:    29 Killed                  ip netns exec swarm-a swarm\nok",
      bound: [],
    },
    { name: "order matters", expected: ["a", "b"], actual: "b\na", bound: null },
    {
      name: "unordered rows",
      expected: ["H", "<id-a> 1", "<id-c> 3"],
      actual: "H\nccc 3\naaa 1",
      unordered: true,
      bound: [["id-a", "aaa"], ["id-c", "ccc"]],
    },
    {
      name: "unordered rows still all needed",
      expected: ["H", "a", "c"],
      actual: "H\nc",
      unordered: true,
      bound: null,
    },
    {
      name: "unordered rows, none extra",
      expected: ["H", "a"],
      actual: "H\na\nb",
      unordered: true,
      bound: null,
    },
    {
      name: "regular expression characters are literal",
      expected: ["(attempt 1) [calc, json] *.+?"],
      actual: "(attempt 1) [calc, json] *.+?",
      bound: [],
    },
    {
      name: "a dot is not any character",
      expected: ["10.77.0.1"],
      actual: "10x77x0x1",
      bound: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const bound = matchOutput(c.expected, c.actual, {
        unordered: c.unordered,
        bindings: new Map(c.bindings ?? []),
      });
      assert.deepEqual(bound === null ? null : [...bound], c.bound);
    });
  }
});

Deno.test("parseTutorial() reads command and output blocks, and refuses others", () => {
  const steps = parseTutorial(
    "# T\n\n## One\n\n```sh\necho hi\n```\n\nIt prints:\n\n```text\nhi\n```\n\n" +
      "```sh retry\ntrue\n```\n\n```text unordered\nb\na\n```\n",
  );
  assert.deepEqual(steps, [
    {
      index: 1,
      line: 5,
      heading: "## One",
      command: "echo hi",
      retry: false,
      expected: ["hi"],
      unordered: false,
    },
    {
      index: 2,
      line: 15,
      heading: "## One",
      command: "true",
      retry: true,
      expected: ["b", "a"],
      unordered: true,
    },
  ]);
  assert.throws(() => parseTutorial("```bash\nls\n```\n"), {
    name: "SyntaxError",
    message: /info string 'bash'/,
  });
  assert.throws(() => parseTutorial("```text\nhi\n```\n"), {
    name: "SyntaxError",
    message: /follows no command block/,
  });
  assert.throws(() => parseTutorial("```sh\nls\n```\n```text\n```\n```text\n```\n"), {
    name: "SyntaxError",
    message: /follows no command block/,
  });
  assert.throws(() => parseTutorial("```sh\nls\n"), {
    name: "SyntaxError",
    message: /not closed/,
  });
});

Deno.test({
  name: `tutorial: every command of ${EN} runs on three namespaces and prints what it shows`,
  ignore: unavailable !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const started = Date.now();
    const deadline = started + TOTAL_MS;
    const swarm = await installedSwarm();
    const work = await Deno.makeTempDir({ prefix: "swarm-tutorial-" });
    const shell = await openTutorialShell({
      cwd: work,
      env: {
        PATH: `${dirname(swarm)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: Deno.env.get("HOME") ?? "/root",
        LANG: "C.UTF-8",
      },
    });
    let bindings: Bindings = new Map();
    let passed = 0;
    try {
      for (const step of english) {
        const ok = await t.step(`step ${step.index}: ${firstLine(step.command)}`, async () => {
          bindings = await runStep(shell, step, bindings, deadline);
        });
        if (!ok) break;
        passed++;
      }
      if (passed === english.length) {
        await t.step("the clean-up step leaves no node, namespace, bridge or file", async () => {
          // Running jobs, namespaces and bridges the tutorial made, and any process of the
          // session but the shell itself and `ps`.
          const left = await shell.run(
            "jobs -rp; ip netns list; ip -o link show type bridge; " +
              "ps -e -o pid=,args= | grep -v -e ' bash --noprofile --norc$' -e ' ps -e -o '; true",
            10_000,
          );
          assert.deepEqual({ left: left.output.trim(), code: left.code }, { left: "", code: 0 });
          assert.deepEqual(await Array.fromAsync(Deno.readDir(work)), []);
        });
      }
    } finally {
      await shell.close();
      await Deno.remove(work, { recursive: true }).catch(() => {});
      console.log(
        `tutorial_test: ${passed} of ${english.length} steps of ${EN} passed in ${
          ((Date.now() - started) / 1000).toFixed(1)
        } s`,
      );
    }
  },
});
