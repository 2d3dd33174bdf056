/**
 * Checks of what goes into a certificate: common name, DNS and IP subject alternative
 * names, validity. Each returns the value to put in the certificate (normalised) or
 * throws a one-line `config_invalid` {@link SwarmError}.
 *
 * @module
 */
import { SwarmError } from "../protocol/mod.ts";

/** Longest common name X.509 allows (RFC 5280 `ub-common-name`). */
export const MAX_COMMON_NAME_LENGTH = 64;

/** Longest validity accepted, in days (about ten years). */
export const MAX_VALID_DAYS = 3650;

/**
 * Checks a subject common name: 1 to 64 characters, no control characters, no
 * leading or trailing white space.
 *
 * @returns The name unchanged.
 * @throws {SwarmError} `config_invalid` when the name breaks a rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCommonName } from "./certificate_inputs.ts";
 * assert.equal(checkCommonName("swarm mesh CA"), "swarm mesh CA");
 * assert.throws(() => checkCommonName(""));
 * ```
 */
export function checkCommonName(name: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw invalid("Invalid common name: it is empty");
  }
  if ([...name].length > MAX_COMMON_NAME_LENGTH) {
    throw invalid(
      `Invalid common name: it has ${
        [...name].length
      } characters, at most ${MAX_COMMON_NAME_LENGTH} are allowed`,
    );
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name)) {
    throw invalid(`Invalid common name: ${JSON.stringify(name)} has a control character`);
  }
  if (name.trim() !== name) {
    throw invalid(
      `Invalid common name: ${JSON.stringify(name)} starts or ends with white space`,
    );
  }
  return name;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks a DNS subject alternative name: RFC 1123 labels (letters, digits, inner
 * hyphens, 1 to 63 characters each), at most 253 characters, `*` allowed only as the
 * whole first label of a name with at least one more label. An IP address is refused
 * (it belongs in an IP name).
 *
 * @returns The name in lower case.
 * @throws {SwarmError} `config_invalid` when the name breaks a rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDnsName } from "./certificate_inputs.ts";
 * assert.equal(checkDnsName("Node-A.lan"), "node-a.lan");
 * assert.equal(checkDnsName("*.mesh.lan"), "*.mesh.lan");
 * assert.throws(() => checkDnsName("a.*.lan"));
 * ```
 */
export function checkDnsName(name: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw invalid("Invalid DNS name: it is empty");
  }
  const shown = JSON.stringify(name);
  if (name.length > 253) {
    throw invalid(`Invalid DNS name: it has ${name.length} characters, at most 253 are allowed`);
  }
  if (parseIpAddress(name) !== null) {
    throw invalid(`Invalid DNS name: ${shown} is an IP address, give it as an IP name`);
  }
  const lower = name.toLowerCase();
  const labels = lower.split(".");
  for (const [i, label] of labels.entries()) {
    if (label === "*") {
      if (i !== 0) {
        throw invalid(`Invalid DNS name: ${shown} has a wildcard that is not the first label`);
      }
      if (labels.length < 2) {
        throw invalid(`Invalid DNS name: ${shown} is only a wildcard`);
      }
      continue;
    }
    if (label === "") {
      throw invalid(`Invalid DNS name: ${shown} has an empty label`);
    }
    if (!LABEL.test(label)) {
      throw invalid(
        `Invalid DNS name: ${shown} has label "${label}" (letters, digits and inner hyphens only, at most 63)`,
      );
    }
  }
  return lower;
}

/**
 * Checks an IP subject alternative name: a dotted-quad IPv4 address (no leading
 * zeros) or an IPv6 address without brackets or zone.
 *
 * @returns The address in canonical form (`::1`, `10.0.0.7`).
 * @throws {SwarmError} `config_invalid` when it is not an IP address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkIpAddress } from "./certificate_inputs.ts";
 * assert.equal(checkIpAddress("0:0:0:0:0:0:0:1"), "::1");
 * assert.throws(() => checkIpAddress("10.0.0.256"));
 * ```
 */
export function checkIpAddress(address: string): string {
  const canonical = typeof address === "string" ? parseIpAddress(address) : null;
  if (canonical === null) {
    throw invalid(
      `Invalid IP address: ${JSON.stringify(address)} is neither an IPv4 nor an IPv6 address`,
    );
  }
  return canonical;
}

/**
 * Checks a validity period in days: a whole number from 1 to {@link MAX_VALID_DAYS}.
 *
 * @returns The number of days.
 * @throws {SwarmError} `config_invalid` when out of range or not whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkValidDays } from "./certificate_inputs.ts";
 * assert.equal(checkValidDays(825), 825);
 * assert.throws(() => checkValidDays(0));
 * ```
 */
export function checkValidDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALID_DAYS) {
    throw invalid(
      `Invalid validity: it must be a whole number of days from 1 to ${MAX_VALID_DAYS}, got ${days}`,
    );
  }
  return days;
}

/** Canonical text of an IPv4 or IPv6 literal, or null. */
function parseIpAddress(text: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const octets = v4.slice(1);
    const ok = octets.every((o) => Number(o) <= 255 && (o === "0" || !o.startsWith("0")));
    return ok ? octets.map(Number).join(".") : null;
  }
  // The WHATWG URL parser is a strict, well-tested IPv6 parser: it refuses zones and
  // bad groups, and prints the RFC 5952 form with any embedded IPv4 tail in hex.
  if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

function invalid(message: string): SwarmError {
  return new SwarmError("config_invalid", message);
}
