/**
 * Whether bubblewrap works on this machine, asked once per test process. A missing
 * `bwrap` makes `Deno.Command#output()` throw synchronously, which a `.then(…, onRejected)`
 * would not catch: the check must not take a test module down at load time.
 *
 * @module
 */

let usable: Promise<boolean> | undefined;

/** Resolves true when `bwrap` exists and can make a sandbox here (user namespaces allowed). */
export function bwrapUsable(): Promise<boolean> {
  usable ??= (async () => {
    try {
      const out = await new Deno.Command("bwrap", {
        args: ["--ro-bind", "/", "/", "true"],
        stdout: "null",
        stderr: "null",
      }).output();
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
    return (await new Deno.Command("python3", { args: ["--version"] }).output()).success;
  } catch {
    return false;
  }
}

/**
 * The node flags that let skills run here: none when bubblewrap works, else
 * `--allow-unsandboxed`, saying so once on the test's output so a run without
 * bubblewrap never proves less in silence.
 */
export async function sandboxFlags(): Promise<string[]> {
  if (await bwrapUsable()) return [];
  console.log("note: bubblewrap is not usable here: skills run unsandboxed (--allow-unsandboxed)");
  return ["--allow-unsandboxed"];
}
