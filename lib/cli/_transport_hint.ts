/**
 * A hint for the most common transport mistake: `http://` to a node that serves TLS,
 * or `https://` to one that serves plain HTTP. The fetch error alone ("invalid HTTP
 * version parsed", "received corrupt message of type InvalidContentType") does not say
 * what to change.
 *
 * @module
 */

/** The URL a client error names: `Cannot reach URL: …` or `Lost connection to URL: …`. */
const FAILED_URL = /^(?:Cannot reach|Lost connection to) (https?):\/\/(\S+?): /;

/** A plain-HTTP client reading a TLS answer: the TLS alert is no HTTP status line. */
const TLS_ANSWERED_PLAIN = /invalid HTTP version parsed/i;

/** A TLS client reading a plain-HTTP answer where a TLS record should be. */
const PLAIN_ANSWERED_TLS = /InvalidContentType|corrupt message|wrong version number/i;

/**
 * `message` (a `peer_unreachable` error's) with a hint appended when it shows an http
 * URL answered in TLS, or an https URL answered in plain HTTP; else unchanged.
 *
 * @param message The error message, naming the URL first.
 * @returns The message, with `; the node looks like it speaks TLS: try https://…` (or
 * the plain-HTTP counterpart) when the failure shows the scheme is wrong.
 *
 * @example
 * ```ts
 * import { transportHint } from "./_transport_hint.ts";
 * const text = transportHint(
 *   "Cannot reach http://127.0.0.1:7700: fetch failed: client error (SendRequest): invalid HTTP version parsed",
 * );
 * console.assert(text.endsWith("; the node looks like it speaks TLS: try https://127.0.0.1:7700"));
 * ```
 */
export function transportHint(message: string): string {
  const url = FAILED_URL.exec(message);
  if (url === null) return message;
  const [, scheme, rest] = url;
  if (scheme === "http" && TLS_ANSWERED_PLAIN.test(message)) {
    return `${message}; the node looks like it speaks TLS: try https://${rest}`;
  }
  if (scheme === "https" && PLAIN_ANSWERED_TLS.test(message)) {
    return `${message}; the node looks like it speaks plain HTTP, not TLS: try http://${rest}`;
  }
  return message;
}
