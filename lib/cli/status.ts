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
import { jsonForTerminal, terminalSafe } from "./_terminal.ts";

/** Help of `swarm status`. */
export const STATUS_HELP = `Usage: swarm status [--url URL] [--json] [--mesh]

Shows a node's id, version, listen address, effective permissions, capabilities,
skills, peers (with source, state and last contact), in-flight and recent tasks and
counters. --json prints the node's GET /status body unchanged (status_version 1,
docs/status.md, docs/status.schema.json). --mesh asks every peer the node knows too
(except peers that have not proven mesh membership: they are listed, never sent the token)
and prints one row per node ({"nodes": [...]} with --json).

Exits 1 when the node (with --mesh: any proven node) is unreachable or not ready.

Options:
  --mesh             the whole mesh: this node and every peer it knows
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
}

/**
 * Parses `swarm status` arguments.
 *
 * @throws {UsageError} On unknown flags or stray arguments.
 */
export function parseStatusArgs(argv: string[]): StatusArgs {
  const parsed = parseCliArgs({
    args: argv,
    options: { ...CLIENT_OPTIONS, mesh: { type: "boolean" } },
    strict: true,
    allowPositionals: true,
  });
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    mesh: values.mesh ?? false,
    url: values.url,
    tokenFile: values["token-file"],
    ...tlsFlagValues(values),
  };
}

function ago(ms: unknown): string {
  if (typeof ms !== "number" || ms === 0) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return `${s}s ago`;
}

/**
 * Renders a status body as text for people. Every value comes from the node (task ids,
 * skill and peer names, errors): control characters in them are printed as escapes.
 */
export function formatStatus(body: Record<string, unknown>): string {
  const lines: string[] = [];
  const list = (v: unknown) => Array.isArray(v) && v.length > 0 ? v.join(", ") : "none";
  lines.push(`node        ${body.node_id ?? body.instance_name ?? "(SkillLite node: no id)"}`);
  if (body.version) lines.push(`version     ${body.version}`);
  if (body.listen) lines.push(`listen      ${body.listen}`);
  lines.push(
    `status      ${body.status}${body.current_task_id ? ` (task ${body.current_task_id})` : ""}`,
  );
  const perms = body.permissions as Record<string, unknown> | undefined;
  if (perms) {
    const net = (perms.network_worker as Record<string, unknown> | undefined)?.net;
    lines.push(
      `allow-net   ${perms.allow_net}  (network grant: ${net === true ? "any" : list(net)})`,
    );
  }
  if (body.auth) lines.push(`auth        ${body.auth}`);
  if (body.executor) lines.push(`executor    ${body.executor}`);
  lines.push(`capabilities ${list(body.capabilities)}`);
  const skills = Array.isArray(body.skills) ? body.skills as Record<string, unknown>[] : [];
  lines.push(`skills      ${skills.length}`);
  for (const s of skills) {
    lines.push(
      `  ${s.name}${s.version ? `@${s.version}` : ""}  [${
        list(s.capabilities)
      }]  ${s.kind}, sandbox ${s.sandbox}`,
    );
  }
  const peers = Array.isArray(body.peers) ? body.peers as Record<string, unknown>[] : [];
  lines.push(`peers       ${peers.length}`);
  for (const p of peers) {
    const health = p.healthy ? "healthy" : `unhealthy: ${p.last_error ?? "?"}`;
    const trust = p.trust === undefined ? "" : `, trust ${p.trust}`;
    lines.push(
      `  ${p.id}  ${p.address}  [${list(p.capabilities)}]  via ${list(p.sources)}, seen ${
        ago(p.last_seen_ms)
      }, ${health}${trust}`,
    );
  }
  const tasks = body.tasks as
    | { in_flight?: string[]; recent?: Array<Record<string, unknown>> }
    | undefined;
  if (tasks) {
    lines.push(`in flight   ${tasks.in_flight?.length ? tasks.in_flight.join(", ") : "none"}`);
    for (const t of (tasks.recent ?? []).slice(0, 5)) {
      const where = t.peer ? ` → ${t.peer}` : "";
      lines.push(
        `  ${t.at}  ${t.task_id}  ${t.route}${where}  ${t.outcome}${
          t.error ? ` (${t.error})` : ""
        }  ${t.duration_ms}ms`,
      );
    }
  }
  const counters = body.counters as Record<string, number> | undefined;
  if (counters) {
    lines.push(`counters    ${Object.entries(counters).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  }
  return lines.map((line) => terminalSafe(line)).join("\n");
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

/** Renders `--mesh` rows as an aligned table, control characters escaped. */
export function formatMesh(rows: MeshRow[]): string {
  const table = [["NODE", "ADDRESS", "READY", "STATUS", "CAPABILITIES", "PEERS", "RUNNING"]];
  for (const row of rows) {
    if ("skipped" in row) {
      table.push([row.node_id, row.address, "-", `not asked: ${row.skipped}`, "", "", ""]);
      continue;
    }
    if ("error" in row) {
      table.push([row.node_id, row.address, "no", `${row.code}: ${row.error}`, "", "", ""]);
      continue;
    }
    const s = row.status;
    const caps = Array.isArray(s.capabilities) ? s.capabilities.join(",") : "";
    table.push([
      String(s.node_id ?? "(SkillLite node)"),
      row.address,
      s.ready === false ? "no" : "yes",
      String(s.status ?? "?"),
      caps || "-",
      String(Array.isArray(s.peers) ? s.peers.length : "-"),
      String(s.running_tasks ?? "-"),
    ]);
  }
  for (const row of table) row.forEach((cell, i) => row[i] = terminalSafe(cell));
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function meshRows(
  self: Record<string, unknown>,
  selfAddress: string,
  token: string | undefined,
  fetch?: typeof globalThis.fetch,
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
      return { address, status: await client.status() as Record<string, unknown> };
    } catch (err) {
      const { code, message } = toSwarmError(err);
      return { address, node_id: String(peer.id), code, error: message };
    }
  }));
  return [{ address: selfAddress, status: self }, ...others];
}

/** Runs `swarm status` and returns the exit code. */
export function runStatus(argv: string[]): Promise<number> {
  return runSubcommand(argv, {
    name: "status",
    parse: parseStatusArgs,
    help: STATUS_HELP,
    run: async (args) => {
      const target = targetOfArgs(args);
      const client = new SwarmClient({ ...target, timeoutMs: 10_000 });
      const body = await client.status() as Record<string, unknown>;
      if (args.mesh) {
        const rows = await meshRows(
          body,
          String(body.listen ?? new URL(target.url).host),
          target.token,
          target.fetch,
        );
        console.log(args.json ? jsonForTerminal({ nodes: rows }, 2) : formatMesh(rows));
        const healthy = rows.every((r) =>
          "skipped" in r || (!("error" in r) && r.status.ready !== false)
        );
        return healthy ? EXIT_OK : EXIT_FAILURE;
      }
      console.log(args.json ? jsonForTerminal(body, 2) : formatStatus(body));
      if (body.ready === false) {
        console.error("swarm status: not_ready: The node is not ready");
        return EXIT_FAILURE;
      }
      return EXIT_OK;
    },
  });
}
