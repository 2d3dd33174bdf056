/**
 * `swarm status`: a node's identity, permissions, skills, peers and current task.
 *
 * @module
 */
import { SwarmClient } from "../client/mod.ts";
import { toSwarmError } from "../protocol/mod.ts";
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  targetOfArgs,
  type TlsFlagValues,
  tlsFlagValues,
} from "./_client_flags.ts";
import { EXIT_FAILURE, EXIT_OK, parseCliArgs, runSubcommand, UsageError } from "./_usage.ts";
import { jsonForTerminal, terminalSafe, truncate } from "./_terminal.ts";
import { type Colour, colourEnabled, paint } from "./_colour.ts";
import { transportHint } from "./_transport_hint.ts";

/** Default pause between two snapshots of `--watch`, in milliseconds. */
export const DEFAULT_WATCH_INTERVAL_MS = 2_000;
/** Shortest `--interval-ms`: a node's /status is not to be polled in a busy loop. */
export const MIN_WATCH_INTERVAL_MS = 250;
/** Longest `--interval-ms` (one hour). */
export const MAX_WATCH_INTERVAL_MS = 3_600_000;

/** Help of `swarm status`. */
export const STATUS_HELP =
  `Usage: swarm status [--url URL] [--json] [--mesh] [--watch [--interval-ms MS]]

Shows a node's id, version, listen address, effective permissions, timeouts and
limits, capabilities, skills, peers (with source, state — alive, suspect or dead — and
last contact), in-flight and recent tasks and counters. --json prints the node's
GET /status body unchanged (status_version 1, docs/status.md, docs/status.schema.json).
--mesh asks every peer the node knows too (except peers that have not proven mesh
membership: they are listed, never sent the token) and prints one row per node
({"nodes": [...]} with --json). Long error messages are cut short in peer and task
lines and wrap within their column in the --mesh table; --json has them in full. On a
terminal, states are coloured (not with NO_COLOR set, and never when stdout is not a
terminal).

--watch asks again every --interval-ms. On a terminal it clears the screen and redraws;
otherwise (a pipe, a file) it prints each snapshot after a '# TIME' header line and a
blank line; with --json it prints one JSON object per line (the status body, or a
{"error", "message"} object when the node could not be asked). Ctrl+C ends it (exit 0).

Exits 1 when the node (with --mesh: any proven node) is unreachable or not ready
(without --watch).

Options:
  --mesh             the whole mesh: this node and every peer it knows
  --watch            refresh until interrupted
  --interval-ms MS   pause between two refreshes, ${MIN_WATCH_INTERVAL_MS}-${MAX_WATCH_INTERVAL_MS} (default
                     ${DEFAULT_WATCH_INTERVAL_MS}); only with --watch
${CLIENT_HELP}`;

/** Parsed arguments of `swarm status`. */
export interface StatusArgs {
  help: boolean;
  json: boolean;
  mesh: boolean;
  url?: string;
  tokenFile?: string;
  /** `--tls-ca`, `--tls-cert`, `--tls-key`, when any was given. */
  tls?: TlsFlagValues;
  /** `--watch`: the pause between snapshots, in milliseconds. Absent: one snapshot. */
  watchIntervalMs?: number;
}

/**
 * Parses `swarm status` arguments.
 *
 * @throws {UsageError} On unknown flags or stray arguments, an `--interval-ms` that is
 * not an integer within its bounds, or one without `--watch`.
 */
export function parseStatusArgs(argv: string[]): StatusArgs {
  const parsed = parseCliArgs({
    args: argv,
    options: {
      ...CLIENT_OPTIONS,
      mesh: { type: "boolean" },
      watch: { type: "boolean" },
      "interval-ms": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  const interval = values["interval-ms"];
  if (interval !== undefined && !values.watch) {
    throw new UsageError("Option --interval-ms needs --watch");
  }
  let watchIntervalMs: number | undefined;
  if (values.watch) {
    watchIntervalMs = interval === undefined ? DEFAULT_WATCH_INTERVAL_MS : Number(interval);
    if (
      !/^\d+$/.test(interval ?? "0") || watchIntervalMs < MIN_WATCH_INTERVAL_MS ||
      watchIntervalMs > MAX_WATCH_INTERVAL_MS
    ) {
      throw new UsageError(
        `Option --interval-ms must be an integer from ${MIN_WATCH_INTERVAL_MS} to ${MAX_WATCH_INTERVAL_MS}: current value is ${interval}`,
      );
    }
  }
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    mesh: values.mesh ?? false,
    url: values.url,
    tokenFile: values["token-file"],
    ...tlsFlagValues(values),
    ...(watchIntervalMs === undefined ? {} : { watchIntervalMs }),
  };
}

function ago(ms: unknown): string {
  if (typeof ms !== "number" || ms === 0) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return `${s}s ago`;
}

/** Options of {@link formatStatus} and {@link formatMesh}. */
export interface FormatOptions {
  /**
   * Colour states (see `_colour.ts`: only on a terminal, not with `NO_COLOR`).
   *
   * @default {false}
   */
  colour?: boolean;
}

/** Longest error message a line of `swarm status` shows; `--json` has the rest. */
export const MAX_ERROR_CHARS = 120;

/** The colour of a peer state as docs/reliability.md names them. */
const STATE_COLOUR: Record<string, Colour> = { alive: "green", suspect: "yellow", dead: "red" };

/** Milliseconds as people read them: whole seconds as `N s`, else `N ms`. */
function duration(ms: unknown): string {
  if (typeof ms !== "number") return "?";
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Bytes as people read them: whole MiB or KiB, else bytes. */
function size(bytes: unknown): string {
  if (typeof bytes !== "number") return "?";
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** The `timeouts` and `limits` lines of the `config` block, when the node sends one. */
function configLines(config: Record<string, unknown> | undefined): string[] {
  if (!config) return [];
  const c = config;
  return [
    `timeouts    task ${duration(c.task_timeout_ms)}, exec ${
      duration(c.exec_timeout_ms)
    }, forward ${duration(c.forward_timeout_ms)}, can-do ${duration(c.can_do_timeout_ms)}, drain ${
      duration(c.drain_timeout_ms)
    }`,
    `limits      hops ${c.max_hops ?? "?"}, tasks ${c.max_concurrent_tasks ?? "?"} running + ${
      c.max_queued_tasks ?? "?"
    } queued, body ${size(c.max_body_bytes)}, output ${size(c.max_output_bytes)}, peer result ${
      size(c.max_peer_result_bytes)
    }`,
  ];
}

/**
 * Renders a status body as text for people. Every value comes from the node (task ids,
 * skill and peer names, errors): control characters in them are printed as escapes,
 * and error messages are cut to {@link MAX_ERROR_CHARS}.
 */
export function formatStatus(body: Record<string, unknown>, options: FormatOptions = {}): string {
  const colour = options.colour ?? false;
  const lines: string[] = [];
  /** Adds a line of parts, each escaped, then painted when it comes with a colour. */
  const push = (...parts: Array<string | [string, Colour | undefined]>) =>
    lines.push(
      parts.map((p) =>
        typeof p === "string"
          ? terminalSafe(p)
          : p[1] === undefined
          ? terminalSafe(p[0])
          : paint(terminalSafe(p[0]), p[1], colour)
      ).join(""),
    );
  const list = (v: unknown) => Array.isArray(v) && v.length > 0 ? v.join(", ") : "none";
  const error = (v: unknown) => truncate(terminalSafe(v), MAX_ERROR_CHARS);
  push(`node        ${body.node_id ?? body.instance_name ?? "(SkillLite node: no id)"}`);
  if (body.version) push(`version     ${body.version}`);
  if (body.listen) push(`listen      ${body.listen}`);
  push(
    `status      `,
    [String(body.status), body.status === "busy" ? "yellow" : undefined],
    body.current_task_id ? ` (task ${body.current_task_id})` : "",
    body.ready === false ? ["  not ready", "red"] : "",
  );
  const perms = body.permissions as Record<string, unknown> | undefined;
  if (perms) {
    const net = (perms.network_worker as Record<string, unknown> | undefined)?.net;
    push(`allow-net   ${perms.allow_net}  (network grant: ${net === true ? "any" : list(net)})`);
  }
  if (body.auth) push(`auth        ${body.auth}`);
  if (body.executor) push(`executor    ${body.executor}`);
  for (const line of configLines(body.config as Record<string, unknown> | undefined)) push(line);
  push(`capabilities ${list(body.capabilities)}`);
  const skills = Array.isArray(body.skills) ? body.skills as Record<string, unknown>[] : [];
  push(`skills      ${skills.length}`);
  for (const s of skills) {
    push(
      `  ${s.name}${s.version ? `@${s.version}` : ""}  [${
        list(s.capabilities)
      }]  ${s.kind}, sandbox ${s.sandbox}`,
    );
  }
  const peers = Array.isArray(body.peers) ? body.peers as Record<string, unknown>[] : [];
  push(`peers       ${peers.length}`);
  for (const p of peers) {
    // The state as docs/reliability.md names it; a node without one says healthy or not.
    const state = typeof p.state === "string" ? p.state : p.healthy ? "alive" : "suspect";
    const why = p.last_error === undefined ? "" : `: ${error(p.last_error)}`;
    const trust = p.trust === undefined ? "" : `, trust ${p.trust}`;
    lines.push(
      terminalSafe(
        `  ${p.id}  ${p.address}  [${list(p.capabilities)}]  via ${list(p.sources)}, seen ${
          ago(p.last_seen_ms)
        }, `,
      ) + paint(terminalSafe(state), STATE_COLOUR[state] ?? "yellow", colour) + why +
        terminalSafe(trust),
    );
  }
  const tasks = body.tasks as
    | { in_flight?: string[]; recent?: Array<Record<string, unknown>> }
    | undefined;
  if (tasks) {
    push(`in flight   ${tasks.in_flight?.length ? tasks.in_flight.join(", ") : "none"}`);
    for (const t of (tasks.recent ?? []).slice(0, 5)) {
      const where = t.peer ? ` → ${t.peer}` : "";
      const outcome = terminalSafe(t.outcome);
      lines.push(
        terminalSafe(`  ${t.at}  ${t.task_id}  ${t.route}${where}  `) +
          paint(outcome, t.outcome === "completed" ? "green" : "red", colour) +
          (t.error ? ` (${error(t.error)})` : "") + terminalSafe(`  ${t.duration_ms}ms`),
      );
    }
  }
  const counters = body.counters as Record<string, number> | undefined;
  if (counters) {
    push(`counters    ${Object.entries(counters).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  }
  return lines.join("\n");
}

/**
 * One node of `swarm status --mesh`: its status body, or why it could not be read (the
 * error's stable `code`, e.g. `peer_unreachable`, and its message).
 */
export type MeshRow =
  | { address: string; status: Record<string, unknown> }
  | { address: string; node_id: string; code: string; error: string }
  /** A peer that has not proven mesh membership: not asked (it would get the token). */
  | { address: string; node_id: string; skipped: string };

/** Widest cell of each `--mesh` column; longer values wrap onto more lines. */
const MESH_WIDTHS = [40, 40, 5, 40, 32, 5, 7];

/**
 * `text` as lines of at most `width` characters: broken at spaces where it can be, in
 * the middle of a word longer than a line.
 */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let rest = [...word];
    const room = line === "" ? width : width - [...line].length - 1;
    if (rest.length <= room) {
      line = line === "" ? word : `${line} ${word}`;
      continue;
    }
    if (line !== "") lines.push(line);
    while (rest.length > width) {
      lines.push(rest.slice(0, width).join(""));
      rest = rest.slice(width);
    }
    line = rest.join("");
  }
  lines.push(line);
  return lines;
}

/**
 * Renders `--mesh` rows as an aligned table, control characters escaped. A value wider
 * than its column (an unreachable node's error) wraps onto lines of its own within the
 * column, so the other columns stay aligned; `--json` has every value on one line.
 */
export function formatMesh(rows: MeshRow[], options: FormatOptions = {}): string {
  const colour = options.colour ?? false;
  const table: Array<Array<[text: string, colour?: Colour]>> = [
    ["NODE", "ADDRESS", "READY", "STATUS", "CAPABILITIES", "PEERS", "RUNNING"].map((h) => [h]),
  ];
  for (const row of rows) {
    if ("skipped" in row) {
      table.push([
        [row.node_id],
        [row.address],
        ["-"],
        [`not asked: ${row.skipped}`, "dim"],
        [""],
        [""],
        [""],
      ]);
      continue;
    }
    if ("error" in row) {
      table.push([
        [row.node_id],
        [row.address],
        ["no", "red"],
        [`${row.code}: ${row.error}`, "red"],
        [""],
        [""],
        [""],
      ]);
      continue;
    }
    const s = row.status;
    const caps = Array.isArray(s.capabilities) ? s.capabilities.join(",") : "";
    const ready = s.ready !== false;
    table.push([
      [String(s.node_id ?? "(SkillLite node)")],
      [row.address],
      [ready ? "yes" : "no", ready ? "green" : "red"],
      [String(s.status ?? "?"), s.status === "busy" ? "yellow" : undefined],
      [caps || "-"],
      [String(Array.isArray(s.peers) ? s.peers.length : "-")],
      [String(s.running_tasks ?? "-")],
    ]);
  }
  // Each row becomes as many lines as its most wrapped cell needs.
  const lines = table.flatMap((row) => {
    const wrapped = row.map(([text], i) => wrap(terminalSafe(text), MESH_WIDTHS[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    return Array.from(
      { length: height },
      (_, k) => wrapped.map((w, i) => [w[k] ?? "", row[i][1]] as const),
    );
  });
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => [...l[i][0]].length)));
  return lines.map((l) =>
    l.map(([text, tint], i) => {
      const pad = " ".repeat(widths[i] - [...text].length);
      return (tint === undefined ? text : paint(text, tint, colour)) + pad;
    }).join("  ").trimEnd()
  ).join("\n");
}

async function meshRows(
  self: Record<string, unknown>,
  selfAddress: string,
  token: string | undefined,
  fetch?: typeof globalThis.fetch,
  signal?: AbortSignal,
): Promise<MeshRow[]> {
  const peers = Array.isArray(self.peers) ? self.peers as Array<Record<string, unknown>> : [];
  const others = await Promise.all(peers.map(async (peer): Promise<MeshRow> => {
    const address = String(peer.address);
    // The caller's token goes only to peers the node found to be mesh members: an
    // announcement on the LAN must not harvest it through `status --mesh`.
    if (peer.trust === "unproven") {
      const why = typeof peer.trust_reason === "string" ? ` (${peer.trust_reason})` : "";
      return { address, node_id: String(peer.id), skipped: `unproven peer${why}` };
    }
    try {
      const client = new SwarmClient({
        url: `${peer.scheme ?? "http"}://${address}`,
        token,
        timeoutMs: 5_000,
        fetch,
      });
      return { address, status: await client.status({ signal }) as Record<string, unknown> };
    } catch (err) {
      if (signal?.aborted) throw err;
      const { code, message } = toSwarmError(err);
      return { address, node_id: String(peer.id), code, error: message };
    }
  }));
  return [{ address: selfAddress, status: self }, ...others];
}

/** One answer of `swarm status`: what to print, and whether everything is healthy. */
interface Snapshot {
  /** The text for people, or the JSON (`jsonForTerminal`) with `--json`. */
  output: string;
  /** The JSON value printed with `--json`. */
  json: unknown;
  healthy: boolean;
}

async function snapshot(
  args: StatusArgs,
  target: ReturnType<typeof targetOfArgs>,
  colour: boolean,
  signal?: AbortSignal,
): Promise<Snapshot> {
  const client = new SwarmClient({ ...target, timeoutMs: 10_000 });
  const body = await client.status({ signal }) as Record<string, unknown>;
  if (args.mesh) {
    const rows = await meshRows(
      body,
      String(body.listen ?? new URL(target.url).host),
      target.token,
      target.fetch,
      signal,
    );
    const json = { nodes: rows };
    return {
      json,
      output: args.json ? jsonForTerminal(json, 2) : formatMesh(rows, { colour }),
      healthy: rows.every((r) => "skipped" in r || (!("error" in r) && r.status.ready !== false)),
    };
  }
  return {
    json: body,
    output: args.json ? jsonForTerminal(body, 2) : formatStatus(body, { colour }),
    healthy: body.ready !== false,
  };
}

/** Clears a terminal screen and puts the cursor at its top left. */
export const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/** What {@link watchStatus} needs: a snapshot source, a writer and when to stop. */
export interface WatchOptions {
  /** Pause between two snapshots, in milliseconds. */
  intervalMs: number;
  /**
   * One snapshot as printable text (already terminal-safe). A rejection is shown as the
   * snapshot's text ({@link WatchOptions.failure}) and the watch goes on.
   */
  take: (signal: AbortSignal) => Promise<string>;
  /** The text shown for a failed snapshot. */
  failure: (err: unknown) => string;
  /** Writes to stdout. */
  write: (text: string) => void;
  /**
   * How snapshots are separated: `screen` clears and redraws (a terminal), `blocks`
   * prints a `# TIME` header before each and a blank line between them, `lines` prints
   * each as one line (NDJSON).
   */
  mode: "screen" | "blocks" | "lines";
  /** What the header names, e.g. `swarm status http://127.0.0.1:7700`. */
  title: string;
  /** Ends the watch (Ctrl+C). */
  signal: AbortSignal;
  /** The time in headers. @default {() => new Date()} */
  now?: () => Date;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Shows a snapshot every `intervalMs` until `signal` aborts: on a terminal by clearing
 * the screen and redrawing, elsewhere one block (or line) after the other.
 *
 * @example
 * ```ts
 * import { watchStatus } from "./status.ts";
 * const stop = new AbortController();
 * const out: string[] = [];
 * await watchStatus({
 *   intervalMs: 1,
 *   take: () => Promise.resolve(`snapshot ${out.length}`),
 *   failure: String,
 *   write: (text) => {
 *     out.push(text);
 *     if (out.length === 2) stop.abort();
 *   },
 *   mode: "lines",
 *   title: "demo",
 *   signal: stop.signal,
 * });
 * console.assert(out.join("") === "snapshot 0\nsnapshot 1\n");
 * ```
 */
export async function watchStatus(options: WatchOptions): Promise<void> {
  const { intervalMs, take, failure, write, mode, title, signal } = options;
  const now = options.now ?? (() => new Date());
  for (let round = 0; !signal.aborted; round++) {
    let text: string;
    try {
      text = await take(signal);
    } catch (err) {
      if (signal.aborted) break;
      text = failure(err);
    }
    if (signal.aborted) break;
    const every = intervalMs % 1000 === 0 ? `${intervalMs / 1000} s` : `${intervalMs} ms`;
    const header = `${title}, every ${every}: ${now().toISOString()}`;
    if (mode === "screen") write(`${CLEAR_SCREEN}${header} (Ctrl+C to stop)\n\n${text}\n`);
    else if (mode === "blocks") write(`${round === 0 ? "" : "\n"}# ${header}\n${text}\n`);
    else write(`${text}\n`);
    await pause(intervalMs, signal);
  }
}

/** Runs `swarm status` and returns the exit code. */
export function runStatus(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    name: "status",
    parse: parseStatusArgs,
    help: STATUS_HELP,
    run: async (args) => {
      const target = targetOfArgs(args);
      const terminal = Deno.stdout.isTerminal();
      const colour = !args.json && colourEnabled(Deno.env.toObject(), terminal);
      if (args.watchIntervalMs !== undefined) {
        return await watch(args, target, args.watchIntervalMs, { terminal, colour });
      }
      const shot = await snapshot(args, target, colour);
      console.log(shot.output);
      if (!shot.healthy && !args.mesh) {
        console.error("swarm status: not_ready: The node is not ready");
      }
      return shot.healthy ? EXIT_OK : EXIT_FAILURE;
    },
  });
}

/** `--watch`: snapshots until Ctrl+C (SIGINT) or SIGTERM, then exit 0. */
async function watch(
  args: StatusArgs,
  target: ReturnType<typeof targetOfArgs>,
  intervalMs: number,
  { terminal, colour }: { terminal: boolean; colour: boolean },
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  const encoder = new TextEncoder();
  try {
    await watchStatus({
      intervalMs,
      signal: stop.signal,
      mode: args.json ? "lines" : terminal ? "screen" : "blocks",
      title: `swarm status${args.mesh ? " --mesh" : ""} ${target.url}`,
      take: async (signal) => {
        const shot = await snapshot(args, target, colour, signal);
        return args.json ? jsonForTerminal(shot.json) : shot.output;
      },
      failure: (err) => {
        const error = toSwarmError(err);
        const { code } = error;
        const message = code === "peer_unreachable" ? transportHint(error.message) : error.message;
        return args.json
          ? jsonForTerminal({ error: code, message })
          : paint(`swarm status: ${code}: ${terminalSafe(message)}`, "red", colour);
      },
      write: (text) => {
        // One write per snapshot: a redraw must not be seen half done.
        const bytes = encoder.encode(text);
        for (let written = 0; written < bytes.length;) {
          written += Deno.stdout.writeSync(bytes.subarray(written));
        }
      },
    });
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
  }
  return EXIT_OK;
}
