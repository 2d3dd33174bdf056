/**
 * fast-check generators of hostile paths and query strings for
 * `hostile_input_test.ts`: unknown paths with percent-encoding garbage, wrong methods
 * on known routes, and malformed or huge `/can-do` queries.
 *
 * @module
 */
import fc from "fast-check";
import { LIMITS } from "../../lib/protocol/validate.ts";
import { labelled, ROUTES } from "./_hostile.ts";

const percentGarbage = fc.constantFrom(
  "%",
  "%Z",
  "%zz",
  "%0",
  "%00",
  "%2f",
  "%2F..",
  "%e0%a4%a",
  "%ff%fe",
  "%c0%ae",
  "%%",
  "%u0041",
  "..",
  ".",
  "%2e%2e",
  "~",
  "%0d%0aX-Injected:%20yes",
);
const segment = fc.oneof(
  fc.webSegment(),
  percentGarbage,
  fc.string({ maxLength: 16, unit: "grapheme" }).map((s) => encodeURIComponent(s)),
  fc.string({ maxLength: 12, unit: "grapheme" }),
);

/** Paths and query strings of the form fetch sends, built from random and broken segments. */
function rawPath(): fc.Arbitrary<string> {
  return fc.tuple(
    fc.array(segment, { minLength: 1, maxLength: 6 }),
    fc.option(fc.array(segment, { maxLength: 4 }), { nil: undefined }),
  ).map(([segments, query]) =>
    `/${segments.join("/")}${query === undefined ? "" : `?${query.join("&")}`}`
  );
}

/**
 * The paths the node may route `path` as, after fetch's URL parsing and Hono's
 * decoding; null when fetch cannot send it.
 */
function routedPaths(path: string): string[] | null {
  let pathname: string;
  try {
    pathname = new URL(`http://node.invalid${path}`).pathname;
  } catch {
    return null;
  }
  const decoded = [pathname];
  try {
    decoded.push(decodeURI(pathname));
  } catch { /* malformed: Hono keeps the raw path */ }
  try {
    decoded.push(decodeURIComponent(pathname));
  } catch { /* as above */ }
  return decoded;
}

/** Random paths (with percent-encoding garbage and queries) that name no route: 404. */
export function unknownPath(): fc.Arbitrary<string> {
  return rawPath().filter((path) =>
    routedPaths(path)?.every((p) => !(p in ROUTES) && !(p.replace(/\/+$/, "") in ROUTES)) ??
      false
  );
}

/** A known route with a method it does not accept: 405 with `allow`. */
export function wrongMethod(): fc.Arbitrary<{ path: string; method: string }> {
  const methods = fc.oneof(
    fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "PURGE"),
    fc.string({
      minLength: 1,
      maxLength: 12,
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    }),
  );
  return fc.tuple(fc.constantFrom(...Object.keys(ROUTES)), methods).filter(([path, method]) =>
    !ROUTES[path].split(", ").includes(method) && method !== "HEAD" &&
    !["CONNECT", "TRACE", "TRACK"].includes(method)
  ).map(([path, method]) => ({ path, method }));
}

/**
 * `/can-do` queries with malformed, repeated or odd `required=`/`capability=` params
 * and percent-encoding garbage, under 16 KiB: a well-formed answer or a 4xx.
 */
export function canDoQuery(): fc.Arbitrary<string> {
  const name = fc.oneof(
    fc.string({ maxLength: 24, unit: "grapheme" }).map((s) => encodeURIComponent(s)),
    percentGarbage,
    fc.string({ maxLength: 24, unit: "grapheme-ascii" }),
  );
  const param = fc.tuple(
    fc.constantFrom(
      "required",
      "required",
      "capability",
      "required[]",
      "REQUIRED",
      "",
      "required%00",
    ),
    fc.tuple(fc.array(name, { maxLength: 8 }), fc.constantFrom(",", "%2C", ",,", " , "))
      .map(([names, separator]) => names.join(separator)),
    fc.boolean(),
  ).map(([key, value, withEquals]) => withEquals ? `${key}=${value}` : `${key}${value}`);
  const big = fc.tuple(fc.integer({ min: 100, max: 1_500 }), fc.integer({ min: 1, max: 8 })).map((
    [count, length],
  ) =>
    `required=${Array.from({ length: count }, (_, i) => `c${i}`.padEnd(length, "x")).join(",")}`
  );
  return fc.oneof(fc.array(param, { minLength: 1, maxLength: 12 }).map((p) => p.join("&")), big)
    .map((q) => `/can-do?${q}`);
}

/**
 * `/can-do?required=` lists over the tag limits of lib/protocol/validate.ts: more than
 * `maxCapabilityTags` names, a name longer than `maxCapabilityTagChars`, or one with a
 * control character; the whole query under the 8 KiB target limit or, a few, over it.
 */
export function tagsOverLimits(): fc.Arbitrary<{ path: string }> {
  const many = fc.integer({ min: LIMITS.maxCapabilityTags + 1, max: 1_000 }).map((count) => ({
    value: Array.from({ length: count }, (_, i) => `c${i}`).join(","),
    label: `${count} names`,
  }));
  const long = fc.integer({ min: LIMITS.maxCapabilityTagChars + 1, max: 12 * 1024 }).map((
    n,
  ) => ({ value: "n".repeat(n), label: `a name of ${n} bytes` }));
  const control = fc.constantFrom("%00", "a%01b", "%7F", "x%0Ay", "%C2%85").map((tag) => ({
    value: `echo,${tag}`,
    label: `echo,${tag}`,
  }));
  return fc.oneof(many, long, control).map(({ value, label }) =>
    labelled({ path: `/can-do?required=${value}` }, `/can-do?required=<${label}>`)
  );
}

/**
 * Unknown paths of 4–60 KiB, each one different: under and over the node's 8 KiB limit
 * on request targets, under the HTTP stack's 64 KiB.
 */
export function longUnknownPath(): fc.Arbitrary<{ path: string }> {
  return fc.tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-._~"),
    fc.integer({ min: 4 * 1024, max: 60 * 1024 }),
    fc.uuid(),
  ).map(([char, length, uuid]) =>
    labelled({ path: `/${char.repeat(length)}/${uuid}` }, `/<${length} × ${char}>/${uuid}`)
  );
}
