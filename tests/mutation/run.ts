/**
 * The mutation check of the security-critical decisions: for each mutant of
 * `mutants.ts`, a throwaway copy of the working tree (tracked and untracked files, not
 * ignored ones; `node_modules` and `.deno` symlinked) gets the mutant, and the test files
 * it names, run with the flags of `deno task test`, must fail. First the same files must
 * pass on an unmutated copy, else a failure proves nothing.
 *
 * Usage: `scripts/deno run -A tests/mutation/run.ts [--only id,…] [--jobs N] [--timeout-s S]`
 *
 * Prints one line per mutant (`killed` / `SURVIVED` / `NOT APPLIED` / `INVALID`, its
 * seconds, its test files, the first failing test) and a summary line; exits 1 when a
 * mutant survived, could not be applied or does not type-check, or the baseline failed.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyMutant } from "./_apply.ts";
import { type Mutant, MUTANTS } from "./mutants.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
/** Linked into every copy instead of copied: big, and only read by the tests. */
const LINKED = ["node_modules", ".deno"];

/** Options of one run of the check. */
interface RunOptions {
  /** Ids of the mutants to run; all when empty. */
  only: string[];
  /** Mutants tested at the same time. */
  jobs: number;
  /** Time limit of one `deno test`, in seconds; a mutant that hangs the tests is killed. */
  timeoutS: number;
}

/** The outcome of one `deno test`. */
interface TestRun {
  code: number;
  seconds: number;
  timedOut: boolean;
  output: string;
}

type Verdict = "killed" | "SURVIVED" | "NOT APPLIED" | "INVALID";

function parseArgs(args: string[]): RunOptions {
  const options: RunOptions = { only: [], jobs: 2, timeoutS: 300 };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => inline ?? args[++i] ?? "";
    if (flag === "--only") options.only.push(...value().split(",").filter((id) => id !== ""));
    else if (flag === "--jobs") options.jobs = Number(value());
    else if (flag === "--timeout-s") options.timeoutS = Number(value());
    else throw new TypeError(`Cannot run the mutation check: unknown argument '${args[i]}'`);
  }
  if (!Number.isSafeInteger(options.jobs) || options.jobs < 1) {
    throw new RangeError(`Cannot run the mutation check as '--jobs' must be a positive integer`);
  }
  if (!(options.timeoutS > 0)) {
    throw new RangeError(`Cannot run the mutation check as '--timeout-s' must be positive`);
  }
  const unknown = options.only.filter((id) => !MUTANTS.some((m) => m.id === id));
  if (unknown.length > 0) {
    throw new TypeError(`Cannot run the mutation check: no mutant ${unknown.join(", ")}`);
  }
  return options;
}

/** The flags `deno task test` passes to `deno test`, read from deno.json. */
async function testFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words = String(config.tasks?.test ?? "").trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "test") {
    throw new TypeError(`Cannot read the test flags: deno.json's 'test' task is not 'deno test …'`);
  }
  return words.slice(2);
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, cwd }).output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/** The working tree's files: tracked (unless deleted) and untracked, ignored ones left out. */
async function workingTreeFiles(): Promise<string[]> {
  const listed = await run(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    ROOT,
  );
  const linked = (f: string) => LINKED.some((name) => f === name || f.startsWith(`${name}/`));
  const files = [...new Set(listed.split("\0").filter((f) => f !== "" && !linked(f)))];
  const present = await Promise.all(files.map(async (file) => {
    try {
      await Deno.lstat(join(ROOT, file));
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }));
  return files.filter((_, i) => present[i]);
}

/** Copies `files` of the working tree into the new folder `dir`. */
async function copyTree(files: string[], dir: string): Promise<void> {
  await Deno.mkdir(dir);
  for (const folder of new Set(files.map((f) => dirname(f)))) {
    await Deno.mkdir(join(dir, folder), { recursive: true });
  }
  const batch = 64;
  for (let i = 0; i < files.length; i += batch) {
    await Promise.all(
      files.slice(i, i + batch).map(async (file) => {
        const from = join(ROOT, file);
        const info = await Deno.lstat(from);
        if (info.isSymlink) await Deno.symlink(await Deno.readLink(from), join(dir, file));
        else await Deno.copyFile(from, join(dir, file));
      }),
    );
  }
  for (const name of LINKED) {
    try {
      await Deno.stat(join(ROOT, name));
    } catch {
      continue;
    }
    await Deno.symlink(join(ROOT, name), join(dir, name));
  }
}

async function denoTest(
  dir: string,
  flags: string[],
  files: string[],
  timeoutS: number,
  stop: AbortSignal,
): Promise<TestRun> {
  const timeout = AbortSignal.timeout(timeoutS * 1000);
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...flags, ...files],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.any([timeout, stop]),
  });
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return {
    code,
    seconds: (performance.now() - started) / 1000,
    timedOut: timeout.aborted,
    output: decoder.decode(stdout) + decoder.decode(stderr),
  };
}

/** The tests Deno lists as failed, in order. */
function failedTests(output: string): string[] {
  const section = output.split(/^ FAILURES $/m)[1] ?? "";
  return [...section.matchAll(/^(.+?) => \.\/\S+:\d+:\d+$/gm)].map((m) => m[1]);
}

function typeCheckFailed(output: string): boolean {
  return /^(TS\d+ \[ERROR\]|error: Type checking failed)/m.test(output);
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const mutants = options.only.length === 0
    ? [...MUTANTS]
    : MUTANTS.filter((m) => options.only.includes(m.id));
  const flags = await testFlags();
  const files = await workingTreeFiles();
  const parent = await Deno.makeTempDir({ prefix: "swarm-mutation-" });
  const stop = new AbortController();
  const cleanUp = () => {
    stop.abort();
    try {
      Deno.removeSync(parent, { recursive: true });
    } catch {
      // Already gone.
    }
  };
  const onSignal = () => {
    cleanUp();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const started = performance.now();
  try {
    // Every mutant first, cheaply: one that cannot be applied fails the check anyway.
    const mutated = new Map<string, string>();
    const notApplied = new Map<string, string>();
    for (const mutant of mutants) {
      try {
        const source = await Deno.readTextFile(join(ROOT, mutant.file));
        mutated.set(mutant.id, applyMutant(source, mutant));
      } catch (err) {
        notApplied.set(mutant.id, err instanceof Error ? err.message : String(err));
      }
    }

    const union = [...new Set(mutants.flatMap((m) => m.tests))].sort();
    const baselineDir = join(parent, "baseline");
    await copyTree(files, baselineDir);
    const baseline = await denoTest(baselineDir, flags, union, options.timeoutS, stop.signal);
    await Deno.remove(baselineDir, { recursive: true });
    console.log(
      `baseline  ${baseline.code === 0 ? "passed" : "FAILED"}  ${
        baseline.seconds.toFixed(1)
      }s  ${union.length} test files`,
    );
    if (baseline.code !== 0) {
      console.log(baseline.output.split("\n").slice(-60).join("\n"));
      console.log(
        "Mutation check: the unmutated tests fail, so no mutant can be judged (fix them first)",
      );
      return 1;
    }

    const width = Math.max(...mutants.map((m) => m.id.length));
    const judge = async (mutant: Mutant, index: number): Promise<[Verdict, string]> => {
      const error = notApplied.get(mutant.id);
      if (error !== undefined) return ["NOT APPLIED", error];
      const dir = join(parent, `m${index}`);
      try {
        await copyTree(files, dir);
        await Deno.writeTextFile(join(dir, mutant.file), mutated.get(mutant.id)!);
        const result = await denoTest(dir, flags, mutant.tests, options.timeoutS, stop.signal);
        const where = `${result.seconds.toFixed(1)}s  ${mutant.tests.join(" ")}`;
        if (result.timedOut) return ["killed", `${where}  (timed out)`];
        if (result.code === 0) return ["SURVIVED", `${where}  (${mutant.description})`];
        if (typeCheckFailed(result.output)) {
          const first = result.output.match(/^TS\d+ \[ERROR\].*$/m)?.[0] ?? "type error";
          return ["INVALID", `${where}  (the mutant does not type-check: ${first})`];
        }
        const failed = failedTests(result.output);
        const why = failed.length > 0
          ? `${failed.length} failed, first: ${failed[0]}`
          : "failed before any test ran";
        return ["killed", `${where}  (${why})`];
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    };

    // A small pool; lines are printed in table order as soon as they are known.
    const verdicts = mutants.map(() => Promise.withResolvers<[Verdict, string]>());
    let next = 0;
    const worker = async () => {
      while (next < mutants.length) {
        const i = next++;
        await judge(mutants[i], i).then(verdicts[i].resolve, verdicts[i].reject);
      }
    };
    const workers = Array.from({ length: Math.min(options.jobs, mutants.length) }, worker);
    const counts: Record<Verdict, number> = {
      "killed": 0,
      "SURVIVED": 0,
      "NOT APPLIED": 0,
      "INVALID": 0,
    };
    for (let i = 0; i < mutants.length; i++) {
      const [verdict, detail] = await verdicts[i].promise;
      counts[verdict]++;
      console.log(`${verdict.padEnd(11)} ${mutants[i].id.padEnd(width)}  ${detail}`);
    }
    await Promise.all(workers);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `Mutation check: ${counts.killed} killed, ${counts.SURVIVED} survived, ${
        counts["NOT APPLIED"]
      } not applied, ${counts.INVALID} invalid of ${mutants.length} mutants in ${seconds}s`,
    );
    return counts.killed === mutants.length ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    cleanUp();
  }
}

if (import.meta.main) Deno.exit(await main());
