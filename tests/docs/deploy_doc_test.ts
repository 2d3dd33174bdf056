/**
 * Keeps the production deployment guide honest: docs/deploy.en.md and its Chinese
 * version docs/deploy.zh.md have the same sections, code blocks and checklist; every test
 * the checklist names exists; every `swarm` flag they name is a real one (taken from the
 * option table and the CLI's own help texts); the metric names and error codes they and
 * the Prometheus examples use exist; and the examples pass `promtool` (and the blackbox
 * exporter's own check, when it is installed).
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { OPTIONS } from "../../lib/config/config.ts";
import { serveHelp } from "../../lib/config/help.ts";
import { MAIN_HELP, runCli } from "../../lib/cli/mod.ts";
import { NodeMetrics } from "../../lib/observability/metrics.ts";
import { ERROR_STATUS } from "../../lib/protocol/errors.ts";

const root = new URL("../../", import.meta.url);
const EN = "docs/deploy.en.md";
const ZH = "docs/deploy.zh.md";
const EXAMPLES = "docs/examples/prometheus/";
const examplesDir = new URL(EXAMPLES, root).pathname;

// ---------------------------------------------------------------------------------------
// Reading the guides

interface Guide {
  path: string;
  /** Every heading outside code blocks: its level and text. */
  headings: { level: number; text: string }[];
  /** Every fenced code block: its info string, then its lines (fence indent removed). */
  codeBlocks: { info: string; text: string }[];
  /** Each `- [ ]` item of the checklist, whitespace collapsed. */
  checklist: string[];
  /** Every inline code span outside code blocks. */
  inlineCode: string[];
  /** The text outside code blocks and code spans. */
  prose: string;
}

/** The `(start, end, content)` of each CommonMark code span of `text`. */
function codeSpans(text: string): { start: number; end: number; content: string }[] {
  const spans: { start: number; end: number; content: string }[] = [];
  const runs = [...text.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i++) {
    const open = runs[i];
    const close = runs.findIndex((run, j) => j > i && run[0].length === open[0].length);
    if (close === -1) continue;
    let content = text.slice(open.index + open[0].length, runs[close].index).replace(/\n/g, " ");
    if (/^ .*[^ ].* $/s.test(content)) content = content.slice(1, -1);
    spans.push({ start: open.index, end: runs[close].index + open[0].length, content });
    i = close;
  }
  return spans;
}

async function readGuide(path: string): Promise<Guide> {
  const text = await Deno.readTextFile(new URL(path, root));
  const guide: Guide = {
    path,
    headings: [],
    codeBlocks: [],
    checklist: [],
    inlineCode: [],
    prose: "",
  };
  const prose: string[] = [];
  let fence: { indent: number; marker: string; info: string; lines: string[] } | undefined;
  let item: string[] | undefined;
  const endItem = () => {
    if (item) guide.checklist.push(item.join(" ").replace(/\s+/g, " ").trim());
    item = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (fence) {
      const close = /^ *(`{3,}|~{3,}) *$/.exec(line);
      if (close && close[1][0] === fence.marker[0] && close[1].length >= fence.marker.length) {
        guide.codeBlocks.push({ info: fence.info, text: fence.lines.join("\n") });
        fence = undefined;
      } else {
        const indent = /^ */.exec(line)![0].length;
        fence.lines.push(line.slice(Math.min(indent, fence.indent)));
      }
      continue;
    }
    const open = /^( *)(`{3,}|~{3,})(.*)$/.exec(line);
    if (open) {
      endItem();
      fence = { indent: open[1].length, marker: open[2], info: open[3].trim(), lines: [] };
      prose.push("");
      continue;
    }
    prose.push(line);
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) guide.headings.push({ level: heading[1].length, text: heading[2].trim() });
    const task = /^- \[[ x]\] (.*)$/.exec(line);
    if (task) {
      endItem();
      item = [task[1]];
    } else if (item && /^\s+\S/.test(line)) {
      item.push(line.trim());
    } else {
      endItem();
    }
  }
  endItem();
  assert.equal(fence, undefined, `${path}: a code block is not closed`);
  const proseText = prose.join("\n");
  let rest = "";
  let last = 0;
  for (const span of codeSpans(proseText)) {
    guide.inlineCode.push(span.content);
    rest += proseText.slice(last, span.start) + " ";
    last = span.end;
  }
  guide.prose = rest + proseText.slice(last);
  return guide;
}

const english = await readGuide(EN);
const chinese = await readGuide(ZH);
const guides = [english, chinese];

/** The `tests/…` › "name" references of a checklist item, in order. */
function references(item: string): { file: string; name: string }[] {
  return [...item.matchAll(/`(tests\/[\w/.-]+\.ts)` › "([^"]+)"/g)].map((m) => ({
    file: m[1],
    name: m[2],
  }));
}

// ---------------------------------------------------------------------------------------
// The real flags, from the code

/** Every `--flag` name in `text` (`--tls-cert`, not `--tls-cert=FILE`). */
function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g)].map((m) => m[1]);
}

/** What `swarm ARGS` prints (stdout and stderr) and its exit code, run in this process. */
async function cliOutput(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => lines.push(parts.map(String).join(" "));
  console.error = console.log;
  try {
    const code = await runCli(args);
    return { code, text: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * The flags each `swarm` command takes: those its `--help` text names, plus those of its
 * subcommands' own help texts when it says they have one ("Run 'swarm CMD COMMAND
 * --help'"); for `serve`, every option of the config table. The commands are those the
 * top-level help lists.
 */
async function realFlags(): Promise<Map<string, Set<string>>> {
  const commands = new Set(
    [...MAIN_HELP.matchAll(/^\s+swarm ([a-z]+)\b/gm)].map((m) => m[1]).filter((c) => c !== "help"),
  );
  const flags = new Map<string, Set<string>>();
  flags.set("serve", new Set([...OPTIONS.map((o) => o.flag), ...flagsIn(serveHelp())]));
  for (const command of commands) {
    if (command === "serve") continue;
    const help = await cliOutput([command, "--help"]);
    assert.equal(help.code, 0, `swarm ${command} --help: ${help.text}`);
    const names = new Set(flagsIn(help.text));
    if (new RegExp(`swarm ${command} COMMAND --help`).test(help.text)) {
      const subs = new Set(
        [...`${MAIN_HELP}\n${help.text}`.matchAll(new RegExp(`swarm ${command} ([a-z|]+)`, "g"))]
          .flatMap((m) => m[1].split("|")).filter((s) => s !== ""),
      );
      for (const sub of subs) {
        const subHelp = await cliOutput([command, sub, "--help"]);
        assert.equal(subHelp.code, 0, `swarm ${command} ${sub} --help: ${subHelp.text}`);
        for (const flag of flagsIn(subHelp.text)) names.add(flag);
      }
    }
    flags.set(command, names);
  }
  return flags;
}

const FLAGS = await realFlags();
const FLAGS_OF_MAIN = new Set(flagsIn(MAIN_HELP));
const ANY_FLAG = new Set([...FLAGS.values()].flatMap((s) => [...s]).concat(...FLAGS_OF_MAIN));

/** The shell commands of a code block: continuation lines joined, comments dropped, split on `&&`, `|`, `;`, `$(`. */
function shellCommands(block: string): string[] {
  return block.replace(/\\\n/g, " ").split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, ""))
    .flatMap((line) => line.split(/&&|\|\||\||;|\$\(|\)/))
    .map((command) => command.trim())
    .filter((command) => command !== "");
}

/**
 * The problems of one command line: when it runs `swarm` (after any `VAR=value`), every
 * `--flag` must be one the command takes. Other programs' flags are theirs.
 */
function swarmCommandProblems(command: string, where: string): string[] {
  const words = command.split(/\s+/);
  while (words.length > 0 && (/^[A-Z_][A-Z0-9_]*=/.test(words[0]) || words[0] === "sudo")) {
    words.shift();
  }
  if (words[0] !== "swarm" && !words[0]?.endsWith("/swarm")) return [];
  const next = words[1];
  // `swarm --version`, `swarm --help`: the top-level flags; `swarm COMMAND …`: any command.
  if (next !== undefined && FLAGS_OF_MAIN.has(next.replace(/^--/, "")) && words.length === 2) {
    return [];
  }
  const placeholder = next !== undefined && /^[A-Z]+$/.test(next);
  const name = next === undefined || next.startsWith("-") ? "serve" : next;
  const known = placeholder ? ANY_FLAG : FLAGS.get(name);
  if (!known) return [`${where}: 'swarm ${name}' is not a swarm command: ${command}`];
  // After a bare `--`, `swarm service` passes the rest on to the node: serve's flags.
  const end = words.indexOf("--");
  const own = end === -1 ? words.slice(1) : words.slice(1, end);
  const passed = end === -1 ? [] : words.slice(end + 1);
  const serve = FLAGS.get("serve")!;
  return [
    ...flagsIn(own.join(" ")).filter((flag) => !known.has(flag))
      .map((flag) => `${where}: 'swarm ${name}' has no flag --${flag}: ${command}`),
    ...flagsIn(passed.join(" ")).filter((flag) => !serve.has(flag))
      .map((flag) => `${where}: 'swarm serve' has no flag --${flag} (after --): ${command}`),
  ];
}

// ---------------------------------------------------------------------------------------
// The two guides agree

Deno.test(`${ZH} has the section structure of ${EN}: heading levels, count and order`, () => {
  assert.ok(english.headings.length >= 10, `${EN}: only ${english.headings.length} headings`);
  assert.deepEqual(
    chinese.headings.map((h) => h.level),
    english.headings.map((h) => h.level),
    `heading levels in order; ${EN} has ${JSON.stringify(english.headings.map((h) => h.text))}`,
  );
});

Deno.test(`${ZH} has the code blocks of ${EN}, commands identical`, () => {
  assert.ok(english.codeBlocks.length >= 5, `${EN}: only ${english.codeBlocks.length} code blocks`);
  assert.equal(chinese.codeBlocks.length, english.codeBlocks.length, "number of code blocks");
  english.codeBlocks.forEach((block, i) => {
    assert.deepEqual(chinese.codeBlocks[i], block, `code block ${i + 1} of ${EN}`);
  });
});

Deno.test(`${ZH} has the checklist of ${EN}: same items, same test references`, () => {
  assert.ok(english.checklist.length >= 10, `${EN}: only ${english.checklist.length} items`);
  assert.equal(chinese.checklist.length, english.checklist.length, "number of checklist items");
  english.checklist.forEach((item, i) => {
    assert.deepEqual(
      references(chinese.checklist[i]),
      references(item),
      `test references of checklist item ${i + 1}: ${item}`,
    );
  });
});

// ---------------------------------------------------------------------------------------
// The checklist points at real tests

Deno.test(`${EN}: every checklist item names at least one test`, () => {
  for (const item of english.checklist) {
    assert.ok(references(item).length > 0, `no \`tests/…\` › "name" reference in: ${item}`);
  }
});

/** The names of the tests and steps declared in a test file, as string literals. */
async function testNames(file: string): Promise<Set<string>> {
  // A name may be split by the formatter into concatenated literals.
  const text = (await Deno.readTextFile(new URL(file, root))).replace(/(["'`])\s*\+\s*\1/g, "");
  const declared = /(?:Deno\.test\(|\.step\(|\bname:)\s*(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
  return new Set(
    [...text.matchAll(declared)].map((m) => m[2].replace(/\\(["'`\\])/g, "$1")),
  );
}

const checklistReferences = english.checklist.flatMap(references);
for (const { file, name } of checklistReferences) {
  Deno.test(`${EN} checklist: ${file} declares the test "${name}"`, async () => {
    const exists = await Deno.stat(new URL(file, root)).then((s) => s.isFile, () => false);
    assert.ok(exists, `${file} does not exist`);
    const names = await testNames(file);
    assert.ok(names.has(name), `${file} declares no Deno.test or t.step named "${name}"`);
  });
}

// ---------------------------------------------------------------------------------------
// Flags, metrics and codes are real

Deno.test("deploy guides: every swarm flag they name is a real flag of its command", () => {
  // The set comes from the code: enough commands and flags means it was read.
  assert.ok(FLAGS.size >= 10 && (FLAGS.get("serve")?.size ?? 0) >= 50, "flags read from the CLI");
  const problems: string[] = [];
  for (const guide of guides) {
    guide.codeBlocks.forEach((block, i) => {
      if (!["sh", "bash", "shell", ""].includes(block.info)) return;
      for (const command of shellCommands(block.text)) {
        problems.push(...swarmCommandProblems(command, `${guide.path} code block ${i + 1}`));
      }
    });
    for (const code of guide.inlineCode) {
      if (/^(\S*\/)?swarm(\s|$)/.test(code)) {
        problems.push(...swarmCommandProblems(code, `${guide.path} \`${code}\``));
      } else if (/^--[a-z]/.test(code)) {
        const flag = flagsIn(code)[0];
        if (!ANY_FLAG.has(flag)) problems.push(`${guide.path}: \`${code}\` is no swarm flag`);
      }
    }
    for (const flag of flagsIn(guide.prose)) {
      if (!ANY_FLAG.has(flag)) {
        problems.push(`${guide.path}: --${flag} in the text is no swarm flag`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

/** The metric names a node exposes, read from its own `/metrics` rendering. */
async function metricNames(): Promise<Set<string>> {
  const metrics = new NodeMetrics({
    nodeId: "n",
    version: "0",
    gauges: () => ({ peersByState: {}, queued: 0, running: 0 }),
  });
  const { body } = await metrics.render();
  const names = new Set<string>();
  for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === "histogram") {
      for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    }
  }
  return names;
}

Deno.test("deploy guides and Prometheus examples: every swarm_ metric they name exists", async () => {
  const names = await metricNames();
  assert.ok(names.size >= 15, `only ${names.size} metrics rendered`);
  const texts = [
    ...guides.map((g) => ({ where: g.path, text: g.inlineCode.join("\n") })),
    ...["alerts.yml", "alerts_test.yml"].map((f) => ({
      where: EXAMPLES + f,
      text: Deno.readTextFileSync(join(examplesDir, f)),
    })),
  ];
  const unknown: string[] = [];
  for (const { where, text } of texts) {
    for (const [name] of text.matchAll(/(?<![\w/.$-])swarm_[a-z_]+[a-z]\b/g)) {
      if (!names.has(name) && name !== "swarm_readyz") {
        unknown.push(`${where}: ${name}`);
      }
    }
  }
  assert.deepEqual(unknown, []);
});

Deno.test(`${EXAMPLES}alerts.yml: error codes are real, jobs are scraped by prometheus.yml`, () => {
  const alerts = Deno.readTextFileSync(join(examplesDir, "alerts.yml"));
  const codes = [...alerts.matchAll(/\bcode="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length > 0, "alerts.yml matches on error codes");
  for (const code of codes) assert.ok(Object.hasOwn(ERROR_STATUS, code), `code ${code}`);
  const config = parseYaml(Deno.readTextFileSync(join(examplesDir, "prometheus.yml")));
  const jobs = new Set(config.scrape_configs.map((s: { job_name: string }) => s.job_name));
  for (const [, job] of alerts.matchAll(/\bjob="([^"]+)"/g)) {
    assert.ok(jobs.has(job), `job ${job} of alerts.yml is scraped by prometheus.yml`);
  }
});

Deno.test(`${EXAMPLES}alerts_test.yml tests every alert of alerts.yml firing and silent`, () => {
  const rules = parseYaml(Deno.readTextFileSync(join(examplesDir, "alerts.yml")));
  const alerts: string[] = rules.groups.flatMap((g: { rules: { alert?: string }[] }) =>
    g.rules.map((r) => r.alert).filter(Boolean)
  );
  const tests = parseYaml(Deno.readTextFileSync(join(examplesDir, "alerts_test.yml")));
  const cases: { alertname: string; exp_alerts?: unknown[] }[] = tests.tests.flatMap((
    t: { alert_rule_test?: unknown[] },
  ) => t.alert_rule_test ?? []);
  assert.ok(alerts.length >= 5, `alerts.yml has ${alerts.length} alerts`);
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} is tested firing`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} is tested silent`);
  }
  // And the guide's table names exactly these alerts.
  const documented = english.inlineCode.filter((c) => /^Swarm[A-Z]\w+$/.test(c));
  assert.deepEqual([...new Set(documented)].sort(), [...alerts].sort());
});

// ---------------------------------------------------------------------------------------
// The examples pass the tools they are written for

/** The first of `names` that runs here (`--version` succeeds), or undefined. */
async function findTool(...names: string[]): Promise<string | undefined> {
  for (const name of names) {
    try {
      const command = new Deno.Command(name, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      });
      if ((await command.output()).success) return name;
    } catch {
      // Not installed (spawning fails at once with NotFound).
    }
  }
  return undefined;
}

const promtool = await findTool("promtool");
if (!promtool) console.log("deploy_doc_test (promtool checks) skipped: promtool not found");
const blackbox = await findTool("prometheus-blackbox-exporter", "blackbox_exporter");
if (!blackbox) {
  console.log("deploy_doc_test (blackbox.yml check) skipped: no blackbox exporter installed");
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${cmd} ${args.join(" ")} failed:\n${text}`);
}

Deno.test({
  name: "docs/examples/prometheus: promtool check config passes on prometheus.yml",
  ignore: !promtool,
  async fn() {
    // The files the config names (token, CA, ...) exist on a real Prometheus host; here
    // empty stand-ins in a copy of the directory, so promtool checks everything else.
    const dir = await Deno.makeTempDir({ prefix: "swarm-prometheus-" });
    try {
      for await (const entry of Deno.readDir(examplesDir)) {
        if (entry.isFile) await Deno.copyFile(join(examplesDir, entry.name), join(dir, entry.name));
      }
      const config = await Deno.readTextFile(join(dir, "prometheus.yml"));
      const named = /^\s*(?:credentials_file|ca_file|cert_file|key_file):\s*(\S+)\s*$/gm;
      for (const [, file] of config.matchAll(named)) {
        assert.ok(!file.startsWith("/"), `${file}: relative to the config, as the guide says`);
        await Deno.writeTextFile(join(dir, file), "");
      }
      await run(promtool!, ["check", "config", "prometheus.yml"], dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "docs/examples/prometheus: promtool check rules passes on alerts.yml",
  ignore: !promtool,
  async fn() {
    await run(promtool!, ["check", "rules", "alerts.yml"], examplesDir);
  },
});

Deno.test({
  name: "docs/examples/prometheus: promtool test rules passes on alerts_test.yml",
  ignore: !promtool,
  async fn() {
    await run(promtool!, ["test", "rules", "alerts_test.yml"], examplesDir);
  },
});

Deno.test({
  name: "docs/examples/prometheus: the blackbox exporter accepts blackbox.yml",
  ignore: !blackbox,
  async fn() {
    await run(blackbox!, ["--config.check", "--config.file=blackbox.yml"], examplesDir);
  },
});

// ---------------------------------------------------------------------------------------
// The backup recipe

const sqlite3 = await findTool("sqlite3");
if (!sqlite3) console.log("deploy_doc_test (sqlite3 backup check) skipped: sqlite3 not found");

Deno.test({
  name: `${EN}: sqlite3 ".backup" copies the Deno KV store of a running node, readable by Deno KV`,
  ignore: !sqlite3,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "swarm-kv-backup-" });
    const kv = await Deno.openKv(join(dir, "swarm.kv"));
    try {
      await kv.set(["peers", "n1"], { address: "127.0.0.1:7701" });
      await kv.set(["tasks", "t1"], { state: "done" });
      // The store stays open, as in a running node, while sqlite3 copies it.
      await run(sqlite3!, [join(dir, "swarm.kv"), `.backup ${join(dir, "copy.kv")}`], dir);
      const copy = await Deno.openKv(join(dir, "copy.kv"));
      try {
        assert.deepEqual((await copy.get(["peers", "n1"])).value, { address: "127.0.0.1:7701" });
        assert.deepEqual((await copy.get(["tasks", "t1"])).value, { state: "done" });
      } finally {
        copy.close();
      }
    } finally {
      kv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
