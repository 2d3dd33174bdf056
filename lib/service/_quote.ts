/**
 * Escaping for the three languages a service definition is written in: systemd unit
 * syntax, XML (the launchd plist) and POSIX sh (the commands printed for the operator).
 *
 * @module
 */
/** Whether `value` holds a C0 control character or DEL. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Refuses a value with a control character: a newline in a path would otherwise start a
 * new line of the unit file (a new directive), and XML 1.0 cannot hold most of them.
 *
 * @param value What goes into the file.
 * @param what How the error names it (`--exec`, `--skills-dir value`).
 * @throws {RangeError} When `value` holds a control character.
 */
export function refuseControl(value: string, what: string): string {
  if (hasControl(value)) {
    throw new RangeError(
      `Cannot put ${what} into a service file: ${JSON.stringify(value)} holds a control character`,
    );
  }
  return value;
}

/** Words systemd takes as they are on a command line (no quotes, no specifiers). */
const SYSTEMD_PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * One literal word of a systemd command line (`ExecStart=`): `%` and `$` doubled so
 * neither a specifier nor a variable is expanded, double-quoted with `\` and `"`
 * escaped when it holds anything but plain characters (a space, a quote, `;`).
 *
 * @example
 * ```ts
 * import { systemdWord } from "./_quote.ts";
 * console.assert(systemdWord("/srv/skills") === "/srv/skills");
 * console.assert(systemdWord("/srv/my skills") === '"/srv/my skills"');
 * console.assert(systemdWord("50%") === '"50%%"');
 * ```
 */
export function systemdWord(word: string): string {
  if (SYSTEMD_PLAIN.test(word)) return word;
  const escaped = word.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%")
    .replaceAll("$", "$$$$");
  return `"${escaped}"`;
}

/**
 * A literal value of a systemd setting that is not a command line (a path in
 * `LoadCredential=`): only `%` is special there.
 */
export function systemdValue(value: string): string {
  return value.replaceAll("%", "%%");
}

/** Text escaped for an XML element: `&`, `<` and `>`. */
export function xmlText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Words a POSIX shell takes as they are. */
const SHELL_PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A word for a POSIX shell command line, single-quoted unless it is plain.
 *
 * @example
 * ```ts
 * import { shellWord } from "./_quote.ts";
 * console.assert(shellWord("/etc/credstore") === "/etc/credstore");
 * console.assert(shellWord("/Users/a/Library/Application Support") === "'/Users/a/Library/Application Support'");
 * ```
 */
export function shellWord(word: string): string {
  return SHELL_PLAIN.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
