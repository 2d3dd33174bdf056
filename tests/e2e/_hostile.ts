/**
 * fast-check generators of hostile `POST /task` bodies for `hostile_input_test.ts`, one
 * arbitrary per family (invalid JSON, wrong shapes, oversize, content types, deep
 * input), and what the other generator modules share. Credentials and headers are in
 * `_hostile_headers.ts`, paths and queries in `_hostile_paths.ts`, raw HTTP/1.1 bytes
 * in `_hostile_raw.ts`.
 *
 * Every task body a generator builds for a refusal carries an id starting with
 * {@linkcode HOSTILE_ID_PREFIX}, so the test can check afterwards that none of them
 * left a task record.
 *
 * @module
 */
import fc from "fast-check";
import { LIMITS } from "../../lib/protocol/validate.ts";
import { allowedMethods, ROUTES as ROUTE_TABLE } from "../../lib/http/route_table.ts";

/** `--max-body-bytes` of the node under test: small, so oversize bodies stay cheap. */
export const MAX_BODY_BYTES = 65_536;

/** Prefix of every task id the generators put in a body the node must refuse. */
export const HOSTILE_ID_PREFIX = "hostile-";

/**
 * The paths the node serves, each with its methods as a 405's `Allow` lists them (from
 * the node's own route table).
 */
export const ROUTES: Record<string, string> = Object.fromEntries(
  [...new Set(ROUTE_TABLE.map((route) => route.path))].map((path) => [
    path,
    allowedMethods(ROUTE_TABLE, path).join(", "),
  ]),
);

/** A request body and how it travels. */
export interface BodyPlan {
  /** The bytes sent. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Sent as a stream (`transfer-encoding: chunked`, no content-length) when true. */
  chunked: boolean;
  /** Size of each streamed chunk, when chunked. */
  chunkSize: number;
}

/** A request fetch can send, to one of the node's paths. */
export interface HostileRequest {
  /** HTTP method. */
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  /** Headers besides the ones the test adds (authorization unless the case is about it). */
  headers: Array<[string, string]>;
  /** Body, if any. */
  body?: BodyPlan;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Gives `value` a short description for fast-check's counterexample reports. */
export function labelled<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  return value;
}

/** Length and the first 160 bytes of `bytes`, decoded leniently. */
export function preview(bytes: Uint8Array): string {
  const head = JSON.stringify(decoder.decode(bytes.subarray(0, 160)));
  return `${bytes.length} bytes ${head}${bytes.length > 160 ? "…" : ""}`;
}

function concat(...parts: Array<Uint8Array | string>): Uint8Array<ArrayBuffer> {
  const bytes = parts.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * Whether the node accepts `type` as a JSON body (mirrors lib/http/read_task.ts):
 * `application/json` or `application/<x>+json`, parameters and case ignored.
 */
export function isJsonMediaType(type: string | null): boolean {
  const essence = (type ?? "").split(";")[0].trim().toLowerCase();
  return essence === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(essence);
}

/**
 * Task ids of refused bodies: {@linkcode HOSTILE_ID_PREFIX} and up to 12 random
 * graphemes (within the id length limit).
 */
export const hostileId: fc.Arbitrary<string> = fc
  .string({ maxLength: 12, unit: "grapheme" })
  .map((s) => `${HOSTILE_ID_PREFIX}${s}`);

/** A well-formed NodeTask body with a hostile id; what mutations start from. */
export function validTaskArb(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    id: hostileId,
    description: fc.string({ maxLength: 64, unit: "binary" }),
    context: fc.record({
      workspace: fc.constantFrom(".", "/tmp", ""),
      session_key: fc.string({ maxLength: 16 }),
      required_capabilities: fc.array(fc.constantFrom("echo", "gpu", "x"), { maxLength: 3 }),
    }),
    input: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  }, { requiredKeys: ["id", "description", "context"] });
}

/** A task body for `id` that runs the echo skill of the test's skills dir. */
export function echoTask(
  id: string,
  input: unknown = { hello: "hostile" },
): Record<string, unknown> {
  return {
    id,
    description: "echo",
    context: { workspace: ".", session_key: "default", required_capabilities: ["echo"] },
    input,
  };
}

const transfer = fc.record({
  chunked: fc.boolean(),
  chunkSize: fc.integer({ min: 1, max: 16_384 }),
});

/**
 * Most chunks a streamed body is cut into. Thousands of tiny chunks make the node's RSS
 * jump by hundreds of MiB at once (each chunk keeps a read buffer alive until the body
 * is read; see the report of issue 6), which would drown the leak check in allocator
 * noise: small bodies still go in chunks of a few bytes, large ones in 256.
 */
export const MAX_CHUNKS = 256;

function plan(bytes: fc.Arbitrary<Uint8Array<ArrayBuffer>>): fc.Arbitrary<BodyPlan> {
  return fc.tuple(bytes, transfer).map(([b, t]) => {
    const chunkSize = Math.max(t.chunkSize, Math.ceil(b.length / MAX_CHUNKS));
    const how = t.chunked ? `, chunked by ${chunkSize}` : "";
    return labelled({ bytes: b, chunked: t.chunked, chunkSize }, `${preview(b)}${how}`);
  });
}

/** Content types the node accepts as JSON, odd-looking ones included. */
export function acceptedContentType(): fc.Arbitrary<string> {
  return fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;;;",
    "application/json ; foo=bar",
    "application/problem+json",
    "application/vnd.swarm.task+json; v=1",
    "application/json; charset=latin1",
  );
}

const invalidUtf8 = fc.constantFrom(
  [0xff],
  [0x80],
  [0xc0, 0x80], // overlong NUL
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate
  [0xf8, 0x88, 0x80, 0x80, 0x80], // five-byte form
  [0xe2, 0x82], // truncated sequence
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
).map((b) => new Uint8Array(b));

/** `depth` levels of arrays (`kind` "array"), objects, or both, closed or not. */
export function deepNesting(depth: number, kind: string, closed: boolean): string {
  const [open, close] = kind === "array"
    ? ["[", "]"]
    : kind === "object"
    ? ['{"a":', "}"]
    : ['[{"a":', "}]"];
  const inner = kind === "array" ? "1" : "null";
  return open.repeat(depth) + inner + (closed ? close.repeat(depth) : "");
}

/**
 * Bodies that are not valid JSON, or JSON that cannot be a task: truncated tasks,
 * random bytes, nesting 1k–12k levels deep, huge numbers, byte order marks in the
 * wrong places, invalid UTF-8 outside strings, and JSON5-isms. Sent with an accepted
 * content type, whole or chunked; the node must answer 400 or 422.
 */
export function invalidJsonBody(): fc.Arbitrary<BodyPlan> {
  const taskJson = validTaskArb().map((t) => JSON.stringify(t));
  const truncated = fc.tuple(taskJson, fc.double({ min: 0, max: 1, noNaN: true })).map((
    [json, at],
  ) => json.slice(0, Math.min(json.length - 1, Math.floor(at * json.length))));
  const garbage = fc.uint8Array({ minLength: 1, maxLength: 2048 });
  const deep = fc.tuple(
    fc.integer({ min: 1_000, max: 12_000 }),
    fc.constantFrom("array", "object", "mixed"),
    fc.boolean(),
  ).map(([depth, kind, closed]) => {
    // Objects are 5 bytes a level: keep them under the body limit.
    const d = kind === "array" ? depth : Math.min(depth, 5_000);
    return deepNesting(d, kind, closed);
  });
  const deepInField = fc.tuple(
    hostileId,
    fc.integer({ min: 1_000, max: 10_000 }),
    fc.constantFrom("id", "context", "description"),
  ).map(([id, depth, field]) => {
    const deepValue = deepNesting(depth, "array", true);
    const base = { id, description: "d", context: { workspace: ".", session_key: "s" } };
    // The deep value sits in a field where no array is allowed: refused before anything
    // walks it.
    const json = JSON.stringify({ ...base, [field]: "__DEEP__" });
    return json.replace('"__DEEP__"', deepValue);
  });
  const digits = fc.integer({ min: 400, max: 60_000 }).map((n) => "9".repeat(n));
  const hugeNumber = fc.oneof(
    digits,
    digits.map((d) => `-${d}.${d.slice(0, 100)}e-99999`),
    fc.constantFrom("1e999999", "-1E+99999999999999999999", "NaN", "Infinity", "-Infinity", "0x10"),
    fc.tuple(hostileId, fc.constantFrom("1e400", "9007199254740993", "1e21", "-0", "1.5")).map((
      [id, n],
    ) =>
      `{"id":${
        JSON.stringify(id)
      },"description":"d","context":{"workspace":".","session_key":"s"},"timeout_ms":${n}}`
    ),
    fc.tuple(hostileId, digits).map(([id, d]) =>
      `{"id":${
        JSON.stringify(id)
      },"description":"d","context":{"workspace":".","session_key":"s","required_capabilities":[${d}]}}`
    ),
  );
  const bom = fc.tuple(taskJson, fc.constantFrom("double", "middle", "end", "utf16")).map((
    [json, where],
  ) => {
    if (where === "double") return `\uFEFF\uFEFF${json}`;
    if (where === "middle") return json.replace(":", ":\uFEFF");
    if (where === "end") return `${json}\uFEFF`;
    // A UTF-16LE body with its BOM, sent as if it were UTF-8.
    const units = new Uint8Array(2 + json.length * 2);
    units.set([0xff, 0xfe]);
    for (let i = 0; i < json.length; i++) {
      units[2 + 2 * i] = json.charCodeAt(i) & 0xff;
      units[3 + 2 * i] = json.charCodeAt(i) >> 8;
    }
    return units;
  });
  const badUtf8 = fc.tuple(taskJson, invalidUtf8, fc.constantFrom("start", "after-brace", "end"))
    .map(([json, bad, where]) =>
      where === "start"
        ? concat(bad, json)
        : where === "end"
        ? concat(json, bad)
        : concat("{", bad, json.slice(1))
    );
  const json5 = fc.tuple(hostileId, fc.constantFrom("quotes", "comma", "comment", "keys"))
    .map(([id, kind]) => {
      const task = JSON.stringify(echoTask(id));
      if (kind === "quotes") return task.replaceAll('"', "'");
      if (kind === "comma") return task.replace(/}$/, ",}");
      if (kind === "comment") return `/* task */${task}`;
      return task.replace('"id"', "id");
    });
  const bodies: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
    truncated,
    garbage,
    deep,
    deepInField,
    hugeNumber,
    bom,
    badUtf8,
    json5,
    fc.constantFrom("", " ", "\r\n", "null", "{", "}", "[", '"', "{}}", "{}{}"),
  );
  return plan(bodies.map((b) => typeof b === "string" ? encoder.encode(b) : b));
}

const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
);

type Mutation = (task: Record<string, unknown>) => unknown;

function mutate(field: string, value: unknown): Mutation {
  return (task) => {
    const copy = structuredClone(task);
    const [head, tail] = field.split(".");
    if (tail === undefined) {
      if (value === undefined) delete copy[head];
      else copy[head] = value;
    } else {
      const inner = copy[head] as Record<string, unknown>;
      if (value === undefined) delete inner[tail];
      else inner[tail] = value;
    }
    return copy;
  };
}

/**
 * Valid JSON of the wrong shape for a task: not an object, a required field missing,
 * a field of the wrong type, an empty id, a bad `timeout_ms`, the task nested one
 * level too deep, or a field over its limit (`LIMITS` of lib/protocol/validate.ts:
 * lengths, number and form of capability tags). Each is refused by validation (422).
 */
export function wrongShapeBody(): fc.Arbitrary<BodyPlan> {
  const missing = fc.constantFrom(
    "id",
    "description",
    "context",
    "context.workspace",
    "context.session_key",
  ).map((field) => mutate(field, undefined));
  const stringFields = fc.constantFrom(
    "id",
    "description",
    "context.workspace",
    "context.session_key",
  );
  const retyped = fc.tuple(stringFields, notString).map(([f, v]) => mutate(f, v));
  const emptyId = fc.constantFrom("", " ", "\t\n", "\u00a0", "\u2028", "\ufeff")
    .map((id) => mutate("id", id));
  const context = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.string(),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  ).map((v) => mutate("context", v));
  const capabilities = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
    fc.tuple(
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
      fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string())),
    ).map(([strings, bad]) => [...strings, bad]),
  ).map((v) => mutate("context.required_capabilities", v));
  const toolHint = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.object())
    .map((v) => mutate("tool_hint", v));
  const timeout = fc.oneof(
    fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e300, -0.0001),
    fc.integer({ max: 0 }),
    fc.string(),
    fc.boolean(),
    fc.array(fc.nat()),
  ).map((v) => mutate("timeout_ms", v));
  const nested = fc.constantFrom<Mutation>(
    (t) => ({ task: t }),
    (t) => [t],
    (t) => ({ ...t, context: { context: t.context } }),
    (t) => ({ id: t.id, description: t.description, context: [t.context] }),
  );
  const notObject = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  ).map((v): Mutation => () => v);
  const overLimits = fc.oneof(
    fc.constantFrom<[string, number]>(
      ["id", LIMITS.maxIdChars],
      ["context.workspace", LIMITS.maxWorkspaceChars],
      ["context.session_key", LIMITS.maxSessionKeyChars],
      ["tool_hint", LIMITS.maxToolHintChars],
    ).chain(([field, max]) =>
      fc.integer({ min: max + 1, max: max + 512 }).map((n) => mutate(field, "i".repeat(n)))
    ),
    fc.integer({ min: LIMITS.maxCapabilityTags + 1, max: 4 * LIMITS.maxCapabilityTags })
      .map((n) =>
        mutate("context.required_capabilities", Array.from({ length: n }, (_, i) => `c${i}`))
      ),
    fc.oneof(
      fc.integer({ min: LIMITS.maxCapabilityTagChars + 1, max: 1024 }).map((n) => "t".repeat(n)),
      fc.constantFrom("", "a\u0000b", "tab\there", "nl\n", "\u0085", "\ud800", "x\udfff"),
    ).map((tag) => mutate("context.required_capabilities", ["echo", tag])),
  );
  const mutation = fc.oneof(
    missing,
    retyped,
    emptyId,
    context,
    capabilities,
    toolHint,
    timeout,
    nested,
    notObject,
    overLimits,
  );
  return plan(
    fc.tuple(validTaskArb(), mutation).map(([task, m]) => encoder.encode(JSON.stringify(m(task)))),
  );
}

/**
 * Valid task bodies just over {@linkcode MAX_BODY_BYTES} (up to 8 KiB over), and a few
 * several times over; the node must answer 413 whether or not a content-length says so.
 */
export function oversizeBody(): fc.Arbitrary<BodyPlan> {
  const size = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES + 8192 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2 * MAX_BODY_BYTES, max: 16 * MAX_BODY_BYTES }) },
  );
  return plan(
    fc.tuple(hostileId, size).map(([id, target]) => {
      const empty = JSON.stringify({ ...echoTask(id), description: "" });
      const padding = Math.max(0, target - encoder.encode(empty).length);
      return encoder.encode(JSON.stringify({ ...echoTask(id), description: "x".repeat(padding) }));
    }),
  );
}

/**
 * Content types the node must refuse with 415 (`null`: no content-type header), sent
 * with a valid task body.
 */
export function wrongContentType(): fc.Arbitrary<string | null> {
  const typical = fc.constantFrom(
    null,
    "",
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/javascript",
    "application/jsonx",
    "application/json-patch",
    "application/+json",
    "application/",
    "json",
    "*/*",
    "application/*",
    "application/ json",
    "application/json+",
    "application\\json",
    "text/html; charset=application/json",
  );
  const random = fc.string({ maxLength: 64, unit: "grapheme-ascii" });
  return fc.oneof(typical, random).filter((t) => !isJsonMediaType(t));
}

/**
 * A task whose `input` nests 1k–10k arrays deep inside an otherwise valid body: hostile
 * but well-formed, so the node may run it (200) or refuse it (4xx), never 5xx.
 */
export function deepInputTask(): fc.Arbitrary<{ id: string; bytes: Uint8Array<ArrayBuffer> }> {
  return fc.tuple(fc.uuid(), fc.integer({ min: 1_000, max: 10_000 })).map(([uuid, depth]) => {
    const id = `deep-${uuid}`;
    const json = JSON.stringify(echoTask(id, "__DEEP__"));
    const bytes = encoder.encode(json.replace('"__DEEP__"', deepNesting(depth, "array", true)));
    return labelled({ id, bytes }, `echo task ${id} with input nested ${depth} arrays deep`);
  });
}
