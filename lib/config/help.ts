/**
 * `swarm serve --help`, generated from the option table so it cannot drift from the code.
 *
 * @module
 */
import { OPTIONS } from "./config.ts";

/** The node's help text. */
export function serveHelp(): string {
  const rows = OPTIONS.map((o) => {
    const left = `--${o.flag}${o.arg ? ` ${o.arg}` : ""}`;
    const env = o.env ? ` [env ${o.env}]` : "";
    return `  ${left.padEnd(30)} ${o.doc}\n  ${"".padEnd(30)} default: ${o.defaultText}${env}`;
  });
  return `Usage: swarm [serve] --listen [ADDR] [options]

Runs a swarm node: SkillLite's task API (POST /task, GET /status, GET /can-do) plus
GET /healthz, GET /readyz, GET /metrics and GET /events. Loopback-only unless
--allow-net opts into the LAN; a non-loopback bind needs authentication: a shared token
(SKILLLITE_SWARM_TOKEN or --token-file), a --keyring of scoped tokens, or mTLS
(--tls-client-ca). TLS and keyring files reload on change or SIGHUP.

Options (flags > environment > --config file > defaults; a "LAN:" default replaces the
loopback one once --allow-net and a non-loopback --listen opt into the LAN):
${rows.join("\n")}
  -h, --help                     show this help

Environment: SKILLLITE_SWARM_TOKEN (shared bearer token), SWARM_NODE_TOKEN (the node's
own credential), SKILLLITE_SWARM_LLM_ROUTING=0
(no LLM inference), SKILLLITE_API_KEY/OPENAI_API_KEY/API_KEY, SKILLLITE_API_BASE/
OPENAI_API_BASE/OPENAI_BASE_URL/BASE_URL, SKILLLITE_MODEL/OPENAI_MODEL/MODEL.`;
}
