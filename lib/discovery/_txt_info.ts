/**
 * What a peer's decoded TXT entries mean to discovery.
 *
 * @module
 */
import { TXT_KEYS } from "./constants.ts";
import { type Problems, quote } from "./_problems.ts";
import { parseCapabilities } from "./txt.ts";
import type { TxtInfo } from "./types.ts";

/**
 * Reads capabilities, scheme, node id and protocol version from TXT entries of peer
 * `id`, reporting what it had to ignore.
 */
export function txtInfo(entries: Record<string, string>, id: string, problems: Problems): TxtInfo {
  const raw = entries[TXT_KEYS.capabilities];
  const capabilities = parseCapabilities(raw);
  if (raw !== undefined && capabilities === null) {
    problems.add(`Ignored invalid TXT capabilities of ${quote(id)}: ${quote(raw)}`);
  }
  const info: TxtInfo = { capabilities: capabilities ?? [], scheme: "http" };
  const scheme = entries[TXT_KEYS.scheme]?.toLowerCase();
  if (scheme === "https" || scheme === "http") info.scheme = scheme;
  else if (scheme !== undefined) {
    problems.add(`Ignored unknown TXT scheme of ${quote(id)}: ${quote(entries[TXT_KEYS.scheme])}`);
  }
  const nodeId = entries[TXT_KEYS.nodeId];
  if (nodeId !== undefined && nodeId !== "") {
    info.nodeId = nodeId;
    if (nodeId.toLowerCase() !== id.toLowerCase()) {
      problems.add(`TXT node_id ${quote(nodeId)} differs from instance ${quote(id)}`);
    }
  }
  const proto = entries[TXT_KEYS.proto];
  if (proto !== undefined && /^\d{1,9}$/.test(proto)) info.protocolVersion = Number(proto);
  else if (proto !== undefined) {
    problems.add(`Ignored invalid TXT proto of ${quote(id)}: ${quote(proto)}`);
  }
  return info;
}
