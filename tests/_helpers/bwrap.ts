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
