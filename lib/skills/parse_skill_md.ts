/**
 * Parsing of a SKILL.md file: YAML front matter between `---` lines, Markdown after.
 *
 * @module
 */
import { isScalar, parseDocument } from "yaml";
import type { SkillPermissions } from "./types.ts";

/** The front matter of a SKILL.md, checked and typed, plus its Markdown body. */
export interface SkillManifest {
  /** `name`: non-empty. */
  name: string;
  /** `description`: what the skill does. */
  description?: string;
  /** `license`: a license name or reference. */
  license?: string;
  /** `compatibility`: free text on what the skill needs (also read for network access). */
  compatibility?: string;
  /** `entry_point`: a path relative to the skill directory, as written. */
  entryPoint?: string;
  /** `metadata` as written (`{}` when absent): author, version, capabilities, … */
  metadata: Record<string, unknown>;
  /** `metadata.version`: a string, or a number kept as written (`1.0` stays `"1.0"`). */
  version?: string;
  /** `metadata.capabilities`: its string items when it is a list (SkillLite ignores anything else). */
  metadataCapabilities?: string[];
  /** `allowed-tools` as written. */
  allowedTools?: string;
  /** `requires_elevated_permissions`, `false` when absent. */
  requiresElevatedPermissions: boolean;
  /** Top-level `capabilities`. */
  capabilities?: string[];
  /** swarm's `permissions` key; only the fields given. */
  permissions: Partial<SkillPermissions>;
  /** The Markdown after the closing `---` line. */
  body: string;
}

const PERMISSION_KEYS = ["net", "read", "write", "env"] as const;

/**
 * Parses the text of a SKILL.md. The first line must be `---`; the YAML front matter
 * runs to the next line that is `---`; the rest is the Markdown body. A null field is
 * treated as absent.
 *
 * @param text Content of the SKILL.md file.
 * @returns The checked front matter and the body.
 * @throws {SyntaxError} When the front matter is missing, is not valid YAML, has no
 * non-empty `name`, or a known field has the wrong type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSkillMd } from "./parse_skill_md.ts";
 * const m = parseSkillMd("---\nname: calc\ncapabilities: [calc]\n---\n# Calc\n");
 * assert.ok(m.name === "calc" && m.capabilities?.[0] === "calc");
 * assert.ok(m.body === "# Calc\n");
 * ```
 */
export function parseSkillMd(text: string): SkillManifest {
  const { yaml, body } = splitFrontMatter(text);
  const doc = parseDocument(yaml, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const where = err.linePos ? ` (line ${err.linePos[0].line + 1} of SKILL.md)` : "";
    const what = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new SyntaxError(`Invalid YAML in SKILL.md front matter${where}: ${what}`);
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (err) {
    // Unresolved aliases and alias bombs surface only when converting.
    const what = err instanceof Error ? err.message : String(err);
    throw new SyntaxError(`Invalid YAML in SKILL.md front matter: ${what}`);
  }
  if (!isPlainObject(data)) {
    throw new SyntaxError(`SKILL.md front matter must be a YAML mapping: got ${describe(data)}`);
  }
  const name = data.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new SyntaxError(
      name === undefined || name === null
        ? "SKILL.md front matter has no 'name'"
        : `SKILL.md 'name' must be a non-empty string: got ${describe(name)}`,
    );
  }
  const metadata = data.metadata ?? {};
  if (!isPlainObject(metadata)) {
    throw new SyntaxError(`SKILL.md 'metadata' must be a mapping: got ${describe(metadata)}`);
  }
  return {
    name,
    description: optionalString(data, "description"),
    license: optionalString(data, "license"),
    compatibility: optionalString(data, "compatibility"),
    entryPoint: optionalString(data, "entry_point"),
    metadata,
    version: metadataVersion(doc.getIn(["metadata", "version"], true)),
    metadataCapabilities: Array.isArray(metadata.capabilities)
      ? metadata.capabilities.filter((c): c is string => typeof c === "string")
      : undefined,
    allowedTools: optionalString(data, "allowed-tools"),
    requiresElevatedPermissions: optionalBoolean(data, "requires_elevated_permissions") ?? false,
    capabilities: optionalStringList(data, "capabilities", "'capabilities'"),
    permissions: parsePermissions(data.permissions),
    body,
  };
}

function splitFrontMatter(text: string): { yaml: string; body: string } {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines[0].trimEnd() !== "---") {
    throw new SyntaxError("SKILL.md must begin with a '---' line opening the YAML front matter");
  }
  const close = lines.findIndex((line, i) => i > 0 && line.trimEnd() === "---");
  if (close < 0) {
    throw new SyntaxError("SKILL.md front matter is not closed: no '---' line after the first");
  }
  return {
    yaml: lines.slice(1, close).join("\n") + "\n",
    body: lines.slice(close + 1).join("\n"),
  };
}

function parsePermissions(value: unknown): Partial<SkillPermissions> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    throw new SyntaxError(`SKILL.md 'permissions' must be a mapping: got ${describe(value)}`);
  }
  const unknown = Object.keys(value).filter((k) =>
    !(PERMISSION_KEYS as readonly string[]).includes(k)
  );
  if (unknown.length > 0) {
    throw new SyntaxError(
      `SKILL.md 'permissions' has unknown keys: ${
        unknown.join(", ")
      } (known: net, read, write, env)`,
    );
  }
  const out: Partial<SkillPermissions> = {};
  if (value.net !== undefined && value.net !== null) {
    out.net = typeof value.net === "boolean"
      ? value.net
      : optionalStringList(value, "net", "'permissions.net' (or true/false)", true);
  }
  for (const key of ["read", "write", "env"] as const) {
    const list = optionalStringList(value, key, `'permissions.${key}'`, true);
    if (list !== undefined) out[key] = list;
  }
  return out;
}

function metadataVersion(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === "string") return node.value;
  if (typeof node.value === "number") return node.source ?? String(node.value);
  return undefined;
}

function optionalString(data: Record<string, unknown>, key: string): string | undefined {
  const value = data[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new SyntaxError(`SKILL.md '${key}' must be a string: got ${describe(value)}`);
  }
  return value;
}

function optionalBoolean(data: Record<string, unknown>, key: string): boolean | undefined {
  const value = data[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") {
    throw new SyntaxError(`SKILL.md '${key}' must be true or false: got ${describe(value)}`);
  }
  return value;
}

function optionalStringList(
  data: Record<string, unknown>,
  key: string,
  label: string,
  nonEmptyItems = false,
): string[] | undefined {
  const value = data[key];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === "string" && (!nonEmptyItems || v !== ""))
  ) {
    const items = nonEmptyItems ? "non-empty strings" : "strings";
    throw new SyntaxError(`SKILL.md ${label} must be a list of ${items}: got ${describe(value)}`);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype;
}

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? json.slice(0, 57) + "..." : json;
}
