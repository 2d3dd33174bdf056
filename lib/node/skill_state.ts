/**
 * The node's skills as loaded now: the catalog, what status shows of it, and the
 * capabilities it advertises. Reloaded when the skill directories change.
 *
 * @module
 */
import { networkScope } from "../execution/network_scope.ts";
import {
  chooseSandbox,
  type DetectedSandboxes,
  loadSkillCatalog,
  nodeCapabilities,
  type SkillCatalog,
} from "../skills/mod.ts";
import type { SkillSummary } from "./messages.ts";

/** Skills loaded from the skill directories. */
export interface SkillState {
  catalog: SkillCatalog;
  /** What `/status` shows of each skill. */
  summaries: SkillSummary[];
  /** Sorted union of the skills' tags: what the node advertises. */
  capabilities: string[];
}

/** Loads the skills of `dirs` and describes them for status output. */
export async function loadSkillState(
  dirs: string[],
  sandboxes: DetectedSandboxes,
  allowUnsandboxed: boolean,
): Promise<SkillState> {
  const catalog = await loadSkillCatalog(dirs);
  const env = { bwrap: sandboxes.bwrap !== null, deno: sandboxes.deno !== null, allowUnsandboxed };
  const summaries = catalog.skills.map((s): SkillSummary => {
    const sandbox = chooseSandbox(s, env);
    return {
      name: s.name,
      ...(s.version ? { version: s.version } : {}),
      kind: s.kind,
      capabilities: s.capabilities,
      capability_source: s.capabilitySource,
      sandbox,
      network: networkScope(s, sandbox),
      fingerprint: s.fingerprint,
    };
  });
  return { catalog, summaries, capabilities: nodeCapabilities(catalog.skills) };
}

/** Whether two states differ in anything peers or status would see. */
export function skillStateChanged(a: SkillState, b: SkillState): boolean {
  return JSON.stringify(a.summaries) !== JSON.stringify(b.summaries);
}
