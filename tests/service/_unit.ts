/**
 * Reading generated unit files in tests: the directives (comments left out).
 *
 * @module
 */

/** The `Key=value` lines of a unit, in order, comments and section headers left out. */
export function directives(unit: string): Array<[key: string, value: string]> {
  return unit.split("\n")
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("["))
    .map((line) => {
      const eq = line.indexOf("=");
      return [line.slice(0, eq), line.slice(eq + 1)];
    });
}

/** The values of directive `key`, in order. */
export function valuesOf(unit: string, key: string): string[] {
  return directives(unit).filter(([k]) => k === key).map(([, v]) => v);
}

/** Writes a small executable shell script named `name` into `dir`, returning its path. */
export async function fakeExecutable(dir: string, name = "swarm"): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}
