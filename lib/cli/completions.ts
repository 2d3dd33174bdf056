/**
 * `swarm completions bash|zsh|fish`: shell completion scripts for every command, its
 * subcommands and its flags.
 *
 * Nothing here lists a command or a flag: the commands are the CLI's command table
 * (`COMMANDS` in `mod.ts`), each command's subcommands and flags are read from the help
 * it prints for `--help`, and a flag is kept only when the command accepts it (it does
 * not answer "Unknown option"). A new subcommand or flag therefore appears in the
 * scripts as soon as it is in the table and in its help.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { onePositional, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";

/** A subcommand's entry point, as the CLI's command table holds it. */
export type CommandRunner = (argv: string[]) => Promise<number>;

/** What can follow one command word (or one command and subcommand). */
export interface CompletionNode {
  /** The long flags accepted there (`--url`). */
  flags: string[];
  /** The flags among them whose value is a file (placeholder `FILE`, `PUBFILE`, …). */
  fileFlags: string[];
  /** The flags among them whose value is a directory (placeholder `DIR`). */
  dirFlags: string[];
  /** The flags among them that take a value (a placeholder follows them in the help). */
  valueFlags: string[];
}

/** One command: its own flags and, for a command group (`swarm token`), its subcommands. */
export interface CommandCompletion extends CompletionNode {
  /** The word after `swarm`. */
  name: string;
  /** Subcommands (`issue`, `list`), each with its flags; or fixed words (`bash`). */
  subcommands: Array<{ name: string } & CompletionNode>;
}

/** Everything the completion scripts know. */
export interface CompletionSpec {
  /** Flags of `swarm` itself: the node's flags (`swarm --listen …`), help and version. */
  top: CompletionNode;
  /** Every command, in table order, `help` last. */
  commands: CommandCompletion[];
}

/** Help of `swarm completions`. */
export const COMPLETIONS_HELP = `Usage: swarm completions bash|zsh|fish

Prints a completion script for the shell: commands, their subcommands and flags, and
file names after flags that take a FILE or DIR. Regenerate it after an upgrade.

  bash   source <(swarm completions bash)        (or save it as
         ~/.local/share/bash-completion/completions/swarm)
  zsh    source <(swarm completions zsh)         (after compinit; or save it as _swarm
         in a directory of $fpath)
  fish   swarm completions fish > ~/.config/fish/completions/swarm.fish

Options:
  -h, --help         show this help`;

/** The shells `swarm completions` writes for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** Runs `command(argv)` with `console.log`/`console.error` captured. */
async function captured(
  command: CommandRunner,
  argv: string[],
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  const keep = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  console.log = keep;
  console.error = keep;
  try {
    const code = await command(argv);
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** A long flag in help text: `--name`, not part of a longer word. */
const FLAG = /(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*/g;

/** Subcommands a group's help names: its `Commands:` block, or `swarm CMD a|b` lines. */
function subcommandsIn(name: string, help: string): string[] {
  const found: string[] = [];
  const add = (word: string) => {
    if (!found.includes(word)) found.push(word);
  };
  const lines = help.split("\n");
  const start = lines.findIndex((l) => /^Commands:\s*$/.test(l));
  if (start >= 0) {
    for (const line of lines.slice(start + 1)) {
      if (line !== "" && !line.startsWith(" ")) break;
      const word = /^ {2}([a-z][a-z0-9-]*)(?=\s|$)/.exec(line)?.[1];
      if (word) add(word);
    }
  }
  const usage = new RegExp(`\\bswarm ${name} ([a-z][a-z0-9-]*(?:\\|[a-z][a-z0-9-]*)*)`, "g");
  for (const m of help.matchAll(usage)) m[1].split("|").forEach(add);
  return found;
}

/**
 * The flags of `command` after the words `prefix`, from the help it prints there, each
 * checked against the command's own parser.
 */
async function nodeOf(command: CommandRunner, prefix: string[]): Promise<CompletionNode> {
  const help = (await captured(command, [...prefix, "--help"])).out;
  const flags: string[] = [];
  for (const flag of new Set(help.match(FLAG) ?? [])) {
    // `--flag=x`: a value flag takes it, a boolean one refuses it, but neither says unknown.
    const probe = await captured(command, [...prefix, `${flag}=x`, "--help"]);
    if (!probe.out.includes(`Unknown option '${flag}'`)) flags.push(flag);
  }
  const placeholder = (flag: string) =>
    new RegExp(`(?<![\\w-])${flag}[ =]\\[?([A-Z][A-Z0-9_:.|-]*)`).exec(help)?.[1];
  const valueFlags = flags.filter((f) => placeholder(f) !== undefined);
  return {
    flags,
    valueFlags,
    fileFlags: valueFlags.filter((f) => /FILE/.test(placeholder(f)!)),
    dirFlags: valueFlags.filter((f) => /DIR/.test(placeholder(f)!)),
  };
}

/**
 * Reads every command's subcommands and flags from its help (see the module doc).
 *
 * @param commands The CLI's command table: name → entry point.
 * @param nodeCommand The command whose flags `swarm` itself takes (`serve`).
 * @returns What the completion scripts offer.
 */
export async function completionSpec(
  commands: Record<string, CommandRunner>,
  nodeCommand = "serve",
): Promise<CompletionSpec> {
  const out: CommandCompletion[] = [];
  for (const [name, command] of Object.entries(commands)) {
    const help = (await captured(command, ["--help"])).out;
    const own = await nodeOf(command, []);
    const subcommands = [];
    for (const sub of subcommandsIn(name, help)) {
      subcommands.push({ name: sub, ...(await nodeOf(command, [sub])) });
    }
    out.push({ name, ...own, subcommands });
  }
  const none: CompletionNode = { flags: [], fileFlags: [], dirFlags: [], valueFlags: [] };
  const names = out.map((c) => c.name);
  out.push({
    name: "help",
    ...none,
    subcommands: names.map((name) => ({ name, ...none })),
  });
  const node = out.find((c) => c.name === nodeCommand) ?? { ...none, name: nodeCommand };
  const top: CompletionNode = {
    flags: [...node.flags, ...["--help", "--version"].filter((f) => !node.flags.includes(f))],
    fileFlags: node.fileFlags,
    dirFlags: node.dirFlags,
    valueFlags: node.valueFlags,
  };
  return { top, commands: out };
}

const HEADER = (shell: string) =>
  `# ${shell} completion for swarm ${VERSION}, generated by 'swarm completions ${shell}'.\n` +
  `# Regenerate it after an upgrade: it lists the commands and flags of this version.`;

/** Every flag of the spec that takes a value (to skip its value when finding words). */
function allValueFlags(spec: CompletionSpec): string[] {
  const all = new Set(spec.top.valueFlags);
  for (const c of spec.commands) {
    c.valueFlags.forEach((f) => all.add(f));
    for (const s of c.subcommands) s.valueFlags.forEach((f) => all.add(f));
  }
  return [...all].sort();
}

/** Every flag whose value is a file, and every one whose value is a directory. */
function pathFlags(spec: CompletionSpec): { files: string[]; dirs: string[] } {
  const files = new Set(spec.top.fileFlags);
  const dirs = new Set(spec.top.dirFlags);
  for (const node of spec.commands.flatMap((c) => [c, ...c.subcommands])) {
    node.fileFlags.forEach((f) => files.add(f));
    node.dirFlags.forEach((f) => dirs.add(f));
  }
  return { files: [...files].sort(), dirs: [...dirs].sort() };
}

/** The words offered at a command (its subcommands, or its flags once one is given). */
function wordsAt(command: CommandCompletion): string {
  return [...command.subcommands.map((s) => s.name), ...command.flags].join(" ");
}

/**
 * The bash completion script: `_swarm_complete`, registered with `complete -F`.
 *
 * @example
 * ```ts
 * import { bashCompletion } from "./completions.ts";
 * const none = { flags: [], fileFlags: [], dirFlags: [], valueFlags: [] };
 * const script = bashCompletion({
 *   top: { ...none, flags: ["--listen"] },
 *   commands: [{ name: "status", ...none, flags: ["--json"], subcommands: [] }],
 * });
 * console.assert(script.includes("complete -o default -F _swarm_complete swarm"));
 * ```
 */
export function bashCompletion(spec: CompletionSpec): string {
  const { files, dirs } = pathFlags(spec);
  const values = allValueFlags(spec);
  const alt = (words: string[]) => words.join("|");
  const cases = spec.commands.map((c) => {
    if (c.subcommands.length === 0) return `    ${c.name}) words="${c.flags.join(" ")}" ;;`;
    const subs = c.subcommands.map((s) =>
      `        ${s.name}) words="${[...s.flags].join(" ")}" ;;`
    );
    return [
      `    ${c.name})`,
      `      case "$sub" in`,
      `        "") words="${wordsAt(c)}" ;;`,
      ...subs,
      `        *) words="${c.flags.join(" ")}" ;;`,
      `      esac ;;`,
    ].join("\n");
  });
  return `${HEADER("bash")}
# Load it with: source <(swarm completions bash)
_swarm_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" sub="" flagged="" word words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      ${alt(values) || "--"}) flagged=1; i=$((i + 1)); continue ;;
      -*) flagged=1; continue ;;
    esac
    if [[ -z "$cmd" ]]; then cmd="$word"; elif [[ -z "$sub" ]]; then sub="$word"; fi
  done
  case "$prev" in
    ${alt(files) || "--"}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${alt(dirs) || "--"}) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  esac
  if [[ -z "$cmd" ]]; then
    if [[ -n "$flagged" || "$cur" == -* ]]; then
      words="${spec.top.flags.join(" ")}"
    else
      words="${spec.commands.map((c) => c.name).join(" ")}"
    fi
  else
    case "$cmd" in
${cases.join("\n")}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _swarm_complete swarm
`;
}

/**
 * The zsh completion script: `_swarm`, for `$fpath` (its `#compdef` line) or `source`.
 *
 * @example
 * ```ts
 * import { zshCompletion } from "./completions.ts";
 * const none = { flags: [], fileFlags: [], dirFlags: [], valueFlags: [] };
 * const script = zshCompletion({ top: none, commands: [] });
 * console.assert(script.startsWith("#compdef swarm"));
 * ```
 */
export function zshCompletion(spec: CompletionSpec): string {
  const { files, dirs } = pathFlags(spec);
  const values = allValueFlags(spec);
  const alt = (words: string[]) => words.join("|");
  const list = (words: string[]) => words.map((w) => `'${w}'`).join(" ");
  const cases = spec.commands.map((c) => {
    if (c.subcommands.length === 0) return `    (${c.name}) offer=(${list(c.flags)}) ;;`;
    const subs = c.subcommands.map((s) => `        (${s.name}) offer=(${list(s.flags)}) ;;`);
    return [
      `    (${c.name})`,
      `      case "$sub" in`,
      `        ("") offer=(${list([...c.subcommands.map((s) => s.name), ...c.flags])}) ;;`,
      ...subs,
      `        (*) offer=(${list(c.flags)}) ;;`,
      `      esac ;;`,
    ].join("\n");
  });
  return `#compdef swarm
${HEADER("zsh")}
# Load it with: source <(swarm completions zsh)   (after compinit)
_swarm() {
  local cmd="" sub="" flagged="" word i
  local -a offer
  for (( i = 2; i < CURRENT; i++ )); do
    word="\${words[i]}"
    case "$word" in
      (${alt(values) || "--"}) flagged=1; i=$(( i + 1 )); continue ;;
      (-*) flagged=1; continue ;;
    esac
    if [[ -z "$cmd" ]]; then cmd="$word"; elif [[ -z "$sub" ]]; then sub="$word"; fi
  done
  case "\${words[CURRENT-1]}" in
    (${alt(files) || "--"}) _files; return ;;
    (${alt(dirs) || "--"}) _files -/; return ;;
  esac
  if [[ -z "$cmd" ]]; then
    if [[ -n "$flagged" || "\${words[CURRENT]}" == -* ]]; then
      offer=(${list(spec.top.flags)})
    else
      offer=(${list(spec.commands.map((c) => c.name))})
    fi
  else
    case "$cmd" in
${cases.join("\n")}
    esac
  fi
  compadd -- "\${offer[@]}"
}
if [[ "\${funcstack[1]}" == _swarm ]]; then
  _swarm "$@"
else
  compdef _swarm swarm
fi
`;
}

/**
 * The fish completion script: one `complete` line per command, subcommand and flag.
 *
 * @example
 * ```ts
 * import { fishCompletion } from "./completions.ts";
 * const none = { flags: [], fileFlags: [], dirFlags: [], valueFlags: [] };
 * const script = fishCompletion({
 *   top: none,
 *   commands: [{ name: "status", ...none, flags: ["--json"], subcommands: [] }],
 * });
 * console.assert(script.includes("complete -c swarm -n '__swarm_in status' -l json"));
 * ```
 */
export function fishCompletion(spec: CompletionSpec): string {
  const values = allValueFlags(spec);
  const lines: string[] = [];
  const flagLines = (condition: string, node: CompletionNode) => {
    for (const flag of node.flags) {
      const kind = node.fileFlags.includes(flag) || node.dirFlags.includes(flag)
        ? " -r -F"
        : node.valueFlags.includes(flag)
        ? " -r"
        : "";
      lines.push(`complete -c swarm -n '${condition}' -l ${flag.slice(2)}${kind}`);
    }
  };
  lines.push(
    `complete -c swarm -n '__swarm_at' -f -a '${spec.commands.map((c) => c.name).join(" ")}'`,
  );
  flagLines("__swarm_at", spec.top);
  for (const c of spec.commands) {
    if (c.subcommands.length === 0) {
      flagLines(`__swarm_in ${c.name}`, c);
      continue;
    }
    const subs = c.subcommands.map((s) => s.name).join(" ");
    lines.push(`complete -c swarm -n '__swarm_at ${c.name}' -f -a '${subs}'`);
    flagLines(`__swarm_at ${c.name}`, c);
    for (const s of c.subcommands) flagLines(`__swarm_in ${c.name} ${s.name}`, s);
  }
  return `${HEADER("fish")}
# Install it with: swarm completions fish > ~/.config/fish/completions/swarm.fish

# The command words typed so far (flags and their values left out).
function __swarm_words
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for token in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $token
            case ${values.length ? values.map((v) => `'${v}'`).join(" ") : "'--'"}
                set skip 1
            case '-*'
            case '*'
                printf '%s\\n' $token
        end
    end
end

# True when the command words typed so far start with the arguments.
function __swarm_in
    set -l words (__swarm_words)
    for i in (seq (count $argv))
        test "$words[$i]" = "$argv[$i]"; or return 1
    end
end

# True when the command words typed so far are exactly the arguments.
function __swarm_at
    set -l words (__swarm_words)
    test (count $words) -eq (count $argv); and __swarm_in $argv
end

${lines.join("\n")}
`;
}

/** Parsed arguments of `swarm completions`. */
export interface CompletionsArgs {
  help: boolean;
  /** The shell to write for. */
  shell?: (typeof SHELLS)[number];
}

/**
 * Parses `swarm completions` arguments.
 *
 * @throws {UsageError} Without a shell, with an unknown one, or with more arguments.
 */
export function parseCompletionsArgs(argv: string[]): CompletionsArgs {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: { help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return { help: true };
  const shell = onePositional(positionals, "SHELL (bash, zsh or fish)");
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`Unknown shell '${shell}': expected bash, zsh or fish`);
  }
  return { help: false, shell: shell as CompletionsArgs["shell"] };
}

/**
 * Runs `swarm completions SHELL` and returns the exit code.
 *
 * @param argv The arguments after `completions`.
 * @param commands The CLI's command table the script is made from.
 */
export function runCompletions(
  argv: string[],
  commands: Record<string, CommandRunner>,
): Promise<number> {
  return runSubcommand(argv, {
    name: "completions",
    parse: parseCompletionsArgs,
    help: COMPLETIONS_HELP,
    run: async (args) => {
      const spec = await completionSpec(commands);
      const write = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };
      console.log(write[args.shell!](spec).trimEnd());
      return 0;
    },
  });
}
