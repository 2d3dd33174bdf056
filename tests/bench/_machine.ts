/**
 * The machine and software versions a benchmark run happened on.
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { runBounded, which } from "./_proc.ts";
import type { MachineInfo } from "./_types.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

async function firstLine(argv: string[]): Promise<string> {
  if (which(argv[0]) === null && !argv[0].startsWith("/")) return "not installed";
  try {
    const run = await runBounded(argv, { timeoutMs: 10_000 });
    const text = (run.stdout + run.stderr).trim();
    return text.split("\n")[0] || `exit code ${run.code}`;
  } catch (err) {
    return `unavailable: ${(err as Error).message}`;
  }
}

/** The load average now, as `/proc/loadavg`'s first three fields. */
export async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ");
}

/** Describes this machine: CPU, cores, memory, kernel, load, tool versions, commit. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const memoryGiB = Math.round((Deno.systemMemoryInfo().total / 2 ** 30) * 10) / 10;
  const [kernel, wrk, nginx, python, bwrap, avahi, commit] = await Promise.all([
    firstLine(["uname", "-sr"]),
    firstLine(["wrk", "--version"]),
    firstLine(["nginx", "-v"]),
    firstLine(["python3", "--version"]),
    firstLine(["bwrap", "--version"]),
    firstLine(["avahi-daemon", "--version"]),
    firstLine(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
  ]);
  const dirty = await firstLine([
    "git",
    "-C",
    ROOT,
    "status",
    "--porcelain",
    "--",
    "lib",
    "main.ts",
  ]);
  return {
    date: new Date().toISOString(),
    host: Deno.hostname(),
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGiB,
    kernel,
    loadAverageStart: await loadAverage(),
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      wrk: wrk.replace(/ Copyright.*/, ""),
      nginx: nginx.replace(/^nginx version: /, ""),
      python: python,
      bubblewrap: bwrap,
      "avahi-daemon": avahi,
    },
    commit: commit + (dirty && !dirty.startsWith("exit code") ? " (lib/ modified)" : ""),
  };
}
