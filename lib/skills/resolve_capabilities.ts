/**
 * A skill's capability tags, with SkillLite's precedence.
 *
 * @module
 */
import { inferCapabilities } from "./keywords.ts";
import type { SkillManifest } from "./parse_skill_md.ts";
import type { CapabilitySource } from "./types.ts";

/** Capability tags and where they came from. */
export interface ResolvedCapabilities {
  /** The tags, declared ones as written, inferred ones sorted. */
  capabilities: string[];
  /** Which rule gave them. */
  source: CapabilitySource;
}

/**
 * Picks a skill's capability tags: a non-empty top-level `capabilities` list, else a
 * non-empty `metadata.capabilities` list, else tags inferred from `compatibility`,
 * `name` and `description`. Declared tags are kept as written (not normalised).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveCapabilities } from "./resolve_capabilities.ts";
 * const r = resolveCapabilities({ name: "calculator", description: "HTTP client" });
 * assert.ok(r.source === "inferred" && r.capabilities.join() === "calc,web");
 * ```
 */
export function resolveCapabilities(
  manifest: Pick<
    SkillManifest,
    "name" | "description" | "compatibility" | "capabilities" | "metadataCapabilities"
  >,
): ResolvedCapabilities {
  if (manifest.capabilities && manifest.capabilities.length > 0) {
    return { capabilities: [...manifest.capabilities], source: "declared" };
  }
  if (manifest.metadataCapabilities && manifest.metadataCapabilities.length > 0) {
    return { capabilities: [...manifest.metadataCapabilities], source: "metadata" };
  }
  const text = `${manifest.compatibility ?? ""} ${manifest.name} ${manifest.description ?? ""}`;
  return { capabilities: inferCapabilities(text), source: "inferred" };
}
