/**
 * SkillLite's `new_skill`, made to do something (`--publish-new-skills`): the skill an
 * `--executor-cmd` agent reports is signed with the node's publisher key and handed to
 * the node's skill sync, which verifies it against the trust store like any release and
 * spreads it. Runs in the main process, which may read the key and the agent's work dir.
 *
 * @module
 */
import { join } from "node:path";
import type { NodeResult } from "../protocol/mod.ts";
import { parseSkillMd } from "../skills/mod.ts";
import {
  type BlobStore,
  type Envelope,
  isSemVer,
  makeRelease,
  readPublisherKey,
  signRelease,
} from "../sync/mod.ts";

/** What {@link NewSkillPublisher} needs. */
export interface NewSkillPublisherOptions {
  /** The publisher key file (read again for each skill, so a rotated key is used). */
  keyFile: string;
  /** The node's blob store, where the skill's files are put before the release. */
  blobs: () => Promise<BlobStore>;
  /** Hands the signed release to the node's skill sync. */
  hand: (envelope: Envelope) => void;
  /** Reports what was published, or why not. */
  log: (message: string, props: Record<string, unknown>) => void;
  /** Time of the release. @default {() => new Date()} */
  now?: () => Date;
}

/**
 * The version an evolved skill is published as: its SKILL.md `metadata.version` when it
 * is SemVer 2.0, else a pre-release of 0.0.0 named by the time, so later evolutions of
 * a skill without a version still order after earlier ones and below any real release.
 *
 * @example
 * ```ts
 * import { evolvedVersion } from "./new_skill_publisher.ts";
 * const at = new Date("2026-12-08T01:02:03.004Z");
 * console.assert(evolvedVersion("1.2.0", at) === "1.2.0");
 * console.assert(evolvedVersion(undefined, at) === "0.0.0-evolved.20261208010203004");
 * ```
 */
export function evolvedVersion(stated: string | undefined, at: Date): string {
  if (stated !== undefined && isSemVer(stated)) return stated;
  return `0.0.0-evolved.${at.toISOString().replace(/\D/g, "")}`;
}

/** Signs and hands over the skills agents report in `new_skill`. */
export class NewSkillPublisher {
  readonly #options: NewSkillPublisherOptions;

  constructor(options: NewSkillPublisherOptions) {
    this.#options = options;
  }

  /**
   * Publishes the skill in `dir` (never throws: a failure is logged, the task's result
   * is not affected).
   */
  async publish(dir: string, newSkill: NonNullable<NodeResult["new_skill"]>): Promise<void> {
    const { log } = this.#options;
    try {
      const key = await readPublisherKey(this.#options.keyFile);
      const manifest = parseSkillMd(await Deno.readTextFile(join(dir, "SKILL.md")));
      const version = evolvedVersion(manifest.version, (this.#options.now ?? (() => new Date()))());
      const { release, paths } = await makeRelease(dir, {
        publisher: key.keyId,
        version,
        now: this.#options.now?.(),
      });
      const blobs = await this.#options.blobs();
      for (const file of release.files) {
        const bytes = await Deno.readFile(paths.get(file.sha256)!);
        await blobs.put(bytes, { sha256: file.sha256, size: file.size });
      }
      this.#options.hand(await signRelease(release, key));
      log("new_skill_published", {
        name: release.name,
        version: release.version,
        fingerprint: release.fingerprint,
        txn_id: newSkill.txn_id,
      });
    } catch (err) {
      log("Cannot publish the agent's new skill", {
        name: newSkill.name,
        txn_id: newSkill.txn_id,
        error: (err as Error).message,
      });
    }
  }
}
