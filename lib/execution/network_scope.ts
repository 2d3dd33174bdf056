/**
 * What network a skill really gets in its sandbox, for status output.
 *
 * @module
 */
import type { SandboxKind, Skill } from "../skills/mod.ts";
import { bwrapSharesNet } from "./bwrap_args.ts";

/** The network a skill can reach when it runs. */
export interface NetworkScope {
  /** `"none"`, `"all"`, or the hosts Deno enforces. */
  network: "none" | "all" | string[];
  /** Why the scope differs from what the skill declared, when it does. */
  note?: string;
}

/**
 * The network a skill reaches under a sandbox. Deno enforces a declared host list;
 * bubblewrap can only give all of the network or none, so a host list there means the
 * whole network; an unsandboxed skill reaches everything.
 *
 * @param skill The skill (only `permissions.net` is read).
 * @param sandbox The sandbox that runs it.
 * @returns The effective scope, with a note when it is wider than declared.
 * @example
 * ```ts
 * import { networkScope } from "./network_scope.ts";
 * const skill = { permissions: { net: ["api.example.com"], read: [], write: [], env: [] } };
 * console.assert(networkScope(skill, "bwrap").network === "all");
 * console.assert(networkScope(skill, "deno").network[0] === "api.example.com");
 * ```
 */
export function networkScope(
  skill: Pick<Skill, "permissions">,
  sandbox: SandboxKind,
): NetworkScope {
  const net = skill.permissions.net;
  switch (sandbox) {
    case "unavailable":
      return { network: "none" };
    case "none":
      return net === true
        ? { network: "all" }
        : { network: "all", note: "Unsandboxed: the skill can reach any network" };
    case "deno":
    case "deno-flags":
      if (net === true) return { network: "all" };
      return Array.isArray(net) && net.length > 0 ? { network: [...net] } : { network: "none" };
    case "bwrap":
      if (!bwrapSharesNet(skill.permissions)) return { network: "none" };
      if (net === true) return { network: "all" };
      return {
        network: "all",
        note: `bubblewrap cannot filter by host: declared hosts ${
          (net as string[]).join(", ")
        } mean the whole network`,
      };
  }
}
