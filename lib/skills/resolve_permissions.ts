/**
 * A skill's effective permissions: swarm's `permissions` key plus SkillLite's
 * network-from-compatibility rule.
 *
 * @module
 */
import { CAPABILITY_KEYWORDS } from "./keywords.ts";
import type { SkillManifest } from "./parse_skill_md.ts";
import type { SkillPermissions } from "./types.ts";

const NETWORK_KEYWORDS: readonly string[] = CAPABILITY_KEYWORDS.find(([tag]) => tag === "web")
  ?.[1] ?? [];

/**
 * Fills in a skill's permissions. Fields given under `permissions` are used as
 * written; `net` not given is `true` when `compatibility` mentions network access (the
 * `web` keywords: network, 网络, http, internet; case-insensitive), else `false`;
 * `read`, `write` and `env` default to `[]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePermissions } from "./resolve_permissions.ts";
 * const p = resolvePermissions({ compatibility: "Requires network access", permissions: {} });
 * assert.ok(p.net === true && p.read.length === 0);
 * ```
 */
export function resolvePermissions(
  manifest: Pick<SkillManifest, "compatibility" | "permissions">,
): SkillPermissions {
  const declared = manifest.permissions;
  const compatibility = (manifest.compatibility ?? "").toLowerCase();
  const net = declared.net ?? NETWORK_KEYWORDS.some((k) => compatibility.includes(k));
  return {
    net: Array.isArray(net) ? [...net] : net,
    read: [...(declared.read ?? [])],
    write: [...(declared.write ?? [])],
    env: [...(declared.env ?? [])],
  };
}
