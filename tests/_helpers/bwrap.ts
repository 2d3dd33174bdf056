/**
 * What this machine offers the skills of a test: whether bubblewrap works (asked once
 * per test process), whether python3 runs, and {@link skillsUnavailable}, the skip
 * reason of a test that runs skills. A missing `bwrap` makes spawning it throw
 * synchronously, which a `.then(…, onRejected)` would not catch: the checks must not
 * take a test module down at load time.
 *
 * @module
 */
import { outputWithin } from "./with_timeout.ts";

let usable: Promise<boolean> | undefined;

/** Resolves true when `bwrap` exists and can make a sandbox here (user namespaces allowed). */
export function bwrapUsable(): Promise<boolean> {
  usable ??= (async () => {
    try {
      const out = await outputWithin("bwrap", {
        args: ["--ro-bind", "/", "/", "true"],
        stdout: "null",
        stderr: "null",
        ms: 30_000,
      });
      return out.success;
    } catch {
      return false;
    }
  })();
  return usable;
}

/** Whether `python3` runs here (the skills of many tests are Python skills). */
export async function pythonUsable(): Promise<boolean> {
  try {
    return (await outputWithin("python3", { args: ["--version"], ms: 30_000 })).success;
  } catch {
    return false;
  }
}

/** What {@link skillsUnavailable} checks besides bubblewrap. */
export interface SkillsNeeds {
  /** The skills are Python skills: python3 must run too. @default {false} */
  python?: boolean;
}

/**
 * Why skills cannot run here as a node runs them — inside bubblewrap (a node never
 * falls back to running a skill unsandboxed unless told to) — or null when they can:
 * bubblewrap missing or unusable, or, for Python skills, python3 missing. A test (or
 * step) that runs a skill prints the reason and is skipped on it, rather than passing
 * `--allow-unsandboxed` and proving less than it says:
 *
 * @example
 * ```ts ignore
 * const noSkills = await skillsUnavailable({ python: true });
 * if (noSkills) console.log(`my_test skipped: ${noSkills}`);
 * Deno.test({ name: "…", ignore: noSkills !== null, fn() {} });
 * ```
 */
export async function skillsUnavailable(needs: SkillsNeeds = {}): Promise<string | null> {
  if (!await bwrapUsable()) {
    return "bubblewrap is not usable here (not installed, or user namespaces are off), " +
      "and skills run only sandboxed";
  }
  if (needs.python && !await pythonUsable()) return "python3 is not installed";
  return null;
}
