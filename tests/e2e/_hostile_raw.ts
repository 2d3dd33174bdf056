/**
 * fast-check generators of raw HTTP/1.1 byte sequences for `hostile_input_test.ts`:
 * what fetch cannot send (malformed request lines, bad versions, broken headers, NUL
 * bytes, smuggling shapes) and task bodies cut short by the client.
 *
 * @module
 */
import fc from "fast-check";
import { echoTask, hostileId, labelled, preview } from "./_hostile.ts";

const encoder = new TextEncoder();

/** A labelled {@linkcode RawCase}. */
function rawCase(kind: string, bytes: Uint8Array<ArrayBuffer> | string): RawCase {
  const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  return labelled({ kind, bytes: data }, `${kind}: ${preview(data)}`);
}

/** Raw bytes for a TCP connection, and what the case is about. */
export interface RawCase {
  /** Short name of the kind of case, for reports. */
  kind: string;
  /** The bytes written before the write half is closed. */
  bytes: Uint8Array<ArrayBuffer>;
}

const crlf = "\r\n";

/**
 * Byte sequences fetch cannot send: malformed request lines, bad HTTP versions,
 * headers without a colon, NUL and control bytes, bare CR/LF mixes, obs-fold, request
 * smuggling shapes (two content-lengths, content-length with chunked), a UTF-8
 * Authorization, an HTTP/2 preface, URIs over 64 KiB, random binary. `token` makes
 * some of them otherwise valid, so they reach the app.
 */
export function rawRequest(token: string): fc.Arbitrary<RawCase> {
  const auth = `Authorization: Bearer ${token}${crlf}`;
  const method = fc.oneof(
    fc.constantFrom("GET", "POST", "get", "G\0ET", "", "GET GET", "\x7f"),
    fc.string({ maxLength: 10, unit: "binary-ascii" }),
  );
  const target = fc.oneof(
    fc.constantFrom(
      "/healthz",
      "/task",
      "*",
      "",
      "//",
      "http://evil/healthz",
      "/\0",
      "/%00",
      "/ x",
    ),
    fc.string({ maxLength: 40, unit: "binary-ascii" }),
  );
  const version = fc.oneof(
    fc.constantFrom(
      "HTTP/1.1",
      "HTTP/1.0",
      "HTTP/9.9",
      "HTTP/1",
      "HTTP/1.1.1",
      "http/1.1",
      "HTTX/1.1",
      "",
      "HTTP/0.9",
      "HTTP/2",
    ),
    fc.string({ maxLength: 10, unit: "binary-ascii" }),
  );
  const requestLine = fc.tuple(method, target, version, fc.constantFrom(" ", "  ", "\t", ""))
    .map(([m, t, v, sp]) =>
      rawCase("request-line", `${m}${sp}${t}${sp}${v}${crlf}Host: x${crlf}${auth}${crlf}`)
    );
  const badHeader = fc.tuple(
    fc.constantFrom(
      "NoColonHere",
      "X-A: a\0b",
      "X-\0: v",
      "Bad Name: v",
      ": empty-name",
      "X-Fold: a\r\n b",
      "X-A: a\rb",
      "X-A: a\nb",
      "X-Ctl: \x01\x02\x7f",
      "Content-Length: 2\r\nContent-Length: 3",
      "Content-Length: -1",
      "Content-Length: 1e3",
      "Content-Length: 2\r\nTransfer-Encoding: chunked",
      "Transfer-Encoding: gzip",
      "Transfer-Encoding: chunked, chunked",
      "Host: a\r\nHost: b",
      "Authorization: Bearer \u4e2d\u6587",
      "Authorization: Bearer \ud83d\ude00",
    ),
    fc.constantFrom("/healthz", "/task", "/status"),
  ).map(([header, path]) =>
    rawCase(
      "header",
      `${path === "/task" ? "POST" : "GET"} ${path} HTTP/1.1${crlf}Host: x${crlf}${
        header.startsWith("Authorization") ? "" : auth
      }${header}${crlf}Connection: close${crlf}${crlf}${path === "/task" ? "{}" : ""}`,
    )
  );
  const lineEndings = fc.constantFrom("\n", "\r", "\r\r\n", "\n\r").map((eol) =>
    rawCase("line-endings", `GET /healthz HTTP/1.1${eol}Host: x${eol}${auth.trim()}${eol}${eol}`)
  );
  const longUri = fc.integer({ min: 65_536, max: 200_000 }).map((n) =>
    rawCase(
      "long-uri",
      `GET /can-do?required=${"a".repeat(n)} HTTP/1.1${crlf}Host: x${crlf}${auth}${crlf}`,
    )
  );
  const binary = fc.uint8Array({ minLength: 1, maxLength: 1024 }).map((b) => rawCase("binary", b));
  const h2 = fc.constant(null).map(() =>
    rawCase("h2-preface", `PRI * HTTP/2.0${crlf}${crlf}SM${crlf}${crlf}`)
  );
  const nulls = fc.integer({ min: 1, max: 4096 }).map((n) =>
    rawCase("nul-bytes", new Uint8Array(n))
  );
  return fc.oneof(requestLine, badHeader, lineEndings, longUri, binary, h2, nulls);
}

/**
 * A POST /task whose body the client cuts short and then half-closes: fewer bytes than
 * its content-length, or a chunked body without its last chunk. The node cannot read a
 * task: it must answer 4xx or close, not 5xx.
 */
export function truncatedBodyRequest(token: string): fc.Arbitrary<RawCase> {
  return fc.tuple(
    hostileId,
    fc.constantFrom("content-length", "chunked"),
    fc.double({ min: 0, max: 0.99, noNaN: true }),
  ).map(([id, framing, cut]) => {
    const body = JSON.stringify(echoTask(id));
    const sent = body.slice(0, Math.floor(cut * body.length));
    const head = `POST /task HTTP/1.1${crlf}Host: x${crlf}Authorization: Bearer ${token}${crlf}` +
      `Content-Type: application/json${crlf}`;
    const bytes = framing === "content-length"
      ? `${head}Content-Length: ${encoder.encode(body).length}${crlf}${crlf}${sent}`
      : `${head}Transfer-Encoding: chunked${crlf}${crlf}${
        encoder.encode(body).length.toString(16)
      }${crlf}${sent}`;
    return rawCase(`truncated-${framing}`, bytes);
  });
}
