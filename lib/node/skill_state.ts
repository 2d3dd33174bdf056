/**
 * The node's skills as loaded now: the catalog, what status shows of it, and the
 * capabilities it advertises. Reloaded when the skill directories change.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { declaredPath, networkScope } from "../execution/mod.ts";
import {
  chooseSandbox,
  type DetectedSandboxes,
  loadSkillCatalog,
  nodeCapabilities,
  type ProtectedPath,
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

/** Options of {@link loadSkillState}. */
export interface SkillStateOptions {
  /**
   * The node's files no skill may declare (see {@link nodeProtectedPaths}); a skill
   * whose read/write paths cover one is not loaded.
   *
   * @default {[]}
   */
  protectedPaths?: readonly ProtectedPath[];
}

/**
 * Loads the skills of `dirs` and describes them for status output, every declared
 * permission included. Skills that declare one of the node's secrets (its environment
 * variables, or a path covering `protectedPaths`) or hold a symlink leading out of
 * their directory are problems, not skills.
 */
export async function loadSkillState(
  dirs: string[],
  sandboxes: DetectedSandboxes,
  allowUnsandboxed: boolean,
  options: SkillStateOptions = {},
): Promise<SkillState> {
  const catalog = await loadSkillCatalog(dirs, { protectedPaths: options.protectedPaths });
  const env = { bwrap: sandboxes.bwrap !== null, deno: sandboxes.deno !== null, allowUnsandboxed };
  const summaries = catalog.skills.map((s): SkillSummary => {
    const sandbox = chooseSandbox(s, env);
    const { net, read, write, env: names } = s.permissions;
    return {
      name: s.name,
      ...(s.version ? { version: s.version } : {}),
      kind: s.kind,
      capabilities: s.capabilities,
      capability_source: s.capabilitySource,
      sandbox,
      network: networkScope(s, sandbox),
      permissions: {
        net: Array.isArray(net) ? [...net] : net,
        read: read.map((p) => declaredPath(s, p)),
        write: write.map((p) => declaredPath(s, p)),
        env: [...names],
      },
      fingerprint: s.fingerprint,
    };
  });
  return { catalog, summaries, capabilities: nodeCapabilities(catalog.skills) };
}

/**
 * The node's files and directories that no skill may be given: its data directory
 * (node id, Deno KV store and write-ahead log, the skills' work directories), keyring,
 * TLS private key and token files, each with symlinks resolved when it exists.
 *
 * @param config The node's configuration.
 * @returns The protected paths, for {@link loadSkillState}.
 */
export async function nodeProtectedPaths(
  config: Pick<
    Config,
    "dataDir" | "keyringFile" | "tlsKeyFile" | "tokenFile" | "nodeTokenFile" | "publisherKeyFile"
  >,
): Promise<ProtectedPath[]> {
  const given: Array<[string | undefined, string]> = [
    [config.dataDir === ":memory:" ? undefined : config.dataDir, "the node's data directory"],
    [config.keyringFile, "the node's keyring"],
    [config.tlsKeyFile, "the node's TLS private key"],
    [config.tokenFile, "the node's token file"],
    [config.nodeTokenFile, "the node's own token file"],
    [config.publisherKeyFile, "the node's skill publisher key"],
  ];
  const paths: ProtectedPath[] = [];
  for (const [path, what] of given) {
    if (path === undefined) continue;
    paths.push({ path, what });
    const real = await Deno.realPath(path).catch(() => path);
    if (real !== path) paths.push({ path: real, what });
  }
  return paths;
}

/** Whether two states differ in anything peers or status would see. */
export function skillStateChanged(a: SkillState, b: SkillState): boolean {
  return JSON.stringify(a.summaries) !== JSON.stringify(b.summaries);
}
