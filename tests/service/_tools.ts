/**
 * The independent checkers the service tests hold the generated files to: systemd's
 * own `systemd-analyze verify` for units, and libxml2's `xmllint` against Apple's
 * PropertyList-1.0 DTD (tests/fixtures/plist/) for launchd plists. Each has a reason
 * string when the tool is missing, so tests skip and say why.
 *
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Apple's plist DTD, as published at http://www.apple.com/DTDs/PropertyList-1.0.dtd. */
export const PLIST_DTD = fileURLToPath(
  new URL("../fixtures/plist/PropertyList-1.0.dtd", import.meta.url),
);

/** What a checker said. */
export interface Verdict {
  /** Whether the file passed: exit code 0 and no complaint about the file. */
  ok: boolean;
  /** Everything the tool printed. */
  output: string;
}

async function runTool(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** Why `program --version` cannot run here, or `null` when it can. */
async function missing(program: string, debianPackage: string): Promise<string | null> {
  try {
    const { code } = await runTool(program, ["--version"]);
    return code === 0 ? null : `${program} --version failed (Debian package ${debianPackage})`;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return `${program} is not installed (Debian package ${debianPackage})`;
    }
    throw err;
  }
}

/** Why units cannot be verified here, or `null`. */
export const systemdAnalyzeMissing: string | null = await missing("systemd-analyze", "systemd");

/** Why plists cannot be validated here, or `null`. */
export const xmllintMissing: string | null = await missing("xmllint", "libxml2-utils");

/**
 * Runs `systemd-analyze verify` on a unit file. It exits 0 on an unknown key or an
 * invalid value (it only warns, naming the file), so the verdict also requires that
 * no line of its output names the unit.
 */
export async function verifyUnit(path: string): Promise<Verdict> {
  const { code, output } = await runTool("systemd-analyze", ["verify", path]);
  const name = basename(path);
  const complaints = output.split("\n").filter((line) => line.includes(name));
  return { ok: code === 0 && complaints.length === 0, output };
}

/**
 * Validates a plist against Apple's DTD with `xmllint --noout --dtdvalid`, offline: an
 * XML catalog maps the plist's DOCTYPE to the local copy, so nothing is fetched.
 */
export async function validatePlist(path: string, workDir: string): Promise<Verdict> {
  const catalog = join(workDir, "plist-catalog.xml");
  await Deno.writeTextFile(
    catalog,
    `<?xml version="1.0"?>
<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
  <public publicId="-//Apple//DTD PLIST 1.0//EN" uri="file://${PLIST_DTD}"/>
</catalog>
`,
  );
  const { code, output } = await runTool(
    "xmllint",
    ["--noout", "--nonet", "--dtdvalid", PLIST_DTD, path],
    { XML_CATALOG_FILES: catalog },
  );
  return { ok: code === 0 && output.trim() === "", output };
}

async function xpath(path: string, expression: string): Promise<string> {
  const { code, output } = await runTool("xmllint", ["--nonet", "--xpath", expression, path]);
  if (code !== 0) throw new Error(`xmllint --xpath '${expression}' failed: ${output}`);
  return output.replace(/\n$/, ""); // xmllint ends its answer with a newline
}

/**
 * The value after `<key>KEY</key>` in a plist's top dictionary, read back by a real XML
 * parser (`xmllint --xpath`, entities decoded): its element name (`string`, `true`,
 * `dict`, …) and its text, or for an array the text of each entry.
 */
export async function plistValue(
  path: string,
  key: string,
): Promise<{ type: string; text: string; entries: string[] }> {
  const value = `/plist/dict/key[.="${key}"]/following-sibling::*[1]`;
  const type = await xpath(path, `name(${value})`);
  const count = Number(await xpath(path, `count(${value}/*)`));
  const entries: string[] = [];
  for (let i = 1; i <= count; i++) entries.push(await xpath(path, `string(${value}/*[${i}])`));
  return { type, text: await xpath(path, `string(${value})`), entries };
}
