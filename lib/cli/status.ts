/**
 * `swarm status`: a node's identity, permissions, skills, peers and current task.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SwarmClient } from "../client/client.ts";
import { CLIENT_HELP, CLIENT_OPTIONS, clientTarget } from "./_client_flags.ts";
import { EXIT_OK, reportError, UsageError } from "./_usage.ts";

/** Help of `swarm status`. */
export const STATUS_HELP = `Usage: swarm status [--url URL] [--json]

Shows a node's id, version, listen address, effective permissions, capabilities,
skills, peers (with source and last contact) and current task. --json prints the
node's GET /status body unchanged (documented in docs/status.md).

Options:
${CLIENT_HELP}`;

/** Parsed arguments of `swarm status`. */
export interface StatusArgs {
  help: boolean;
  json: boolean;
  url?: string;
  tokenFile?: string;
}

/**
 * Parses `swarm status` arguments.
 *
 * @throws {UsageError} On unknown flags or stray arguments.
 */
export function parseStatusArgs(argv: string[]): StatusArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: CLIENT_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    url: values.url,
    tokenFile: values["token-file"],
  };
}

function ago(ms: unknown): string {
  if (typeof ms !== "number" || ms === 0) return "never";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return `${s}s ago`;
}

/** Renders a status body as text for people. */
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
    lines.push(
      `  ${p.id}  ${p.address}  [${list(p.capabilities)}]  via ${list(p.sources)}, seen ${
        ago(p.last_seen_ms)
      }, ${health}`,
    );
  }
  return lines.join("\n");
}

/** Runs `swarm status` and returns the exit code. */
export async function runStatus(argv: string[]): Promise<number> {
  try {
    const args = parseStatusArgs(argv);
    if (args.help) {
      console.log(STATUS_HELP);
      return EXIT_OK;
    }
    const target = clientTarget(
      { url: args.url, "token-file": args.tokenFile },
      Deno.env.toObject(),
    );
    const client = new SwarmClient({ ...target, timeoutMs: 10_000 });
    const body = await client.status() as Record<string, unknown>;
    console.log(args.json ? JSON.stringify(body, null, 2) : formatStatus(body));
    return EXIT_OK;
  } catch (err) {
    return reportError("status", err);
  }
}
