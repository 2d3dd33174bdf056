/**
 * The node's skills as loaded now: the catalog, what status shows of it, and the
 * capabilities it advertises. Reloaded when the skill directories change.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { declaredPath, networkScope } from "../execution/mod.ts";
import {
  cannotRunReason,
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
  /**
   * Sorted union of the tags of the skills that can run here (and of reference and
   * bash-tool skills, as SkillLite counts them): what the node advertises. A script
   * skill without a usable sandbox adds none, so peers do not forward what would fail.
   */
  capabilities: string[];
  /** Script skills that cannot run here, and why: flagged at start and in status. */
  unrunnable: Array<{ name: string; reason: string }>;
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
  /**
   * Directory the node copied its starter skills into: skills found under it are
   * {@link Skill.builtin} (the node's own code). Undefined = no starter skills.
   */
  starterRoot?: string;
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
  const loaded = await loadSkillCatalog(dirs, { protectedPaths: options.protectedPaths });
  const { starterRoot } = options;
  const starterReal = starterRoot === undefined
    ? undefined
    : await Deno.realPath(starterRoot).catch(() => starterRoot);
  const catalog = starterReal === undefined ? loaded : {
    ...loaded,
    skills: loaded.skills.map((s) => isInside(s.dir, starterReal) ? { ...s, builtin: true } : s),
  };
  const env = { bwrap: sandboxes.bwrap !== null, deno: sandboxes.deno !== null, allowUnsandboxed };
  const reasons = new Map(catalog.skills.map((s) => [s, cannotRunReason(s, env)]));
  const unrunnable = catalog.skills.flatMap((s) => {
    const reason = reasons.get(s);
    return reason ? [{ name: s.name, reason }] : [];
  });
  const advertised = catalog.skills.filter((s) => reasons.get(s) === null);
  const summaries = catalog.skills.map((s): SkillSummary => {
    const sandbox = chooseSandbox(s, env);
    const reason = reasons.get(s);
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
      ...(s.builtin ? { origin: "starter" as const } : {}),
      ...(reason ? { cannot_run: reason } : {}),
    };
  });
  return { catalog, summaries, capabilities: nodeCapabilities(advertised), unrunnable };
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
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
