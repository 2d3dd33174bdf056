/**
 * External tools the benchmarks drive (`wrk`, `nginx`): found on PATH, else installed
 * from Debian's packages with apt-get when allowed, else reported with the reason
 * their scenario rows are n/a.
 *
 * @module
 */
import { runBounded, which } from "./_proc.ts";

/** A tool found (its path) or why it is missing. */
export type ToolState = { path: string } | { missing: string };

/** Debian package of each tool. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = { wrk: "wrk", nginx: "nginx" };

/** Longest an apt-get install may take (it waits for another apt-get's lock meanwhile). */
const APT_TIMEOUT_MS = 300_000;

/**
 * Finds each tool; when some are missing and `install` is set, runs `apt-get install`
 * for their packages once (saying so through `log`), then looks again.
 */
export async function ensureTools(
  names: string[],
  options: { install: boolean; log: (line: string) => void },
): Promise<Map<string, ToolState>> {
  const missing = names.filter((name) => which(name) === null);
  let installError = "";
  if (missing.length > 0 && options.install) {
    const packages = missing.map((name) => TOOL_PACKAGES[name] ?? name);
    options.log(`Missing ${missing.join(", ")}: installing Debian packages ${packages.join(" ")}`);
    installError = await aptInstall(packages);
    if (installError) options.log(`apt-get install failed: ${installError}`);
  }
  const states = new Map<string, ToolState>();
  for (const name of names) {
    const path = which(name);
    if (path) states.set(name, { path });
    else {
      const pkg = TOOL_PACKAGES[name] ?? name;
      const why = !options.install
        ? `${name} is not installed and installing was turned off (Debian package ${pkg})`
        : `${name} is not installed and apt-get could not install ${pkg}: ${installError}`;
      states.set(name, { missing: why });
    }
  }
  return states;
}

/** Runs apt-get install (as root or through passwordless sudo); returns "" or the error. */
async function aptInstall(packages: string[]): Promise<string> {
  if (which("apt-get") === null) return "apt-get is not available";
  const prefix = Deno.uid() === 0 ? [] : which("sudo") ? ["sudo", "-n"] : null;
  if (prefix === null) return "not root and no sudo";
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    runBounded([
      ...prefix,
      "apt-get",
      "install",
      "-y",
      "-q",
      "--no-install-recommends",
      "-o",
      "DPkg::Lock::Timeout=120",
      ...packages,
    ], { env, timeoutMs: APT_TIMEOUT_MS });
  let run = await install();
  if (run.code !== 0 && !run.timedOut) {
    // The package lists may be missing or stale: refresh them once.
    await runBounded([...prefix, "apt-get", "update", "-q"], { env, timeoutMs: APT_TIMEOUT_MS });
    run = await install();
  }
  if (run.code === 0) return "";
  const tail = (run.stderr || run.stdout).trim().split("\n").slice(-2).join(" ");
  return run.timedOut ? `timed out after ${APT_TIMEOUT_MS / 1000} s` : tail;
}
