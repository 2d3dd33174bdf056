/**
 * A matcher for `assert.rejects` on a `fetch` that must fail for one reason: a TLS
 * handshake refused, a certificate not trusted, a plain-HTTP request to a TLS port.
 * Without it any failure (a timeout, a typo in the URL) would pass for the refusal.
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Returns a matcher accepting only a `fetch` failure (a `TypeError`) whose cause's
 * message matches `why`.
 *
 * @example
 * ```ts ignore
 * await assert.rejects(fetch(url), fetchFailed(/UnknownIssuer/));
 * ```
 */
export function fetchFailed(why: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof TypeError, `Expected fetch to fail with a TypeError, got ${err}`);
    const cause = (err as { cause?: { message?: unknown } }).cause?.message;
    assert.match(String(cause ?? err.message), why);
    return true;
  };
}

/**
 * What a plain-HTTP request to a TLS port fails with: the TLS alert the server sends
 * back is not HTTP, or the server drops the connection.
 */
export const PLAIN_TO_TLS = /invalid HTTP version|connection (closed|reset)|unexpected EOF/i;

/**
 * What a TLS client the server refuses in the handshake (no certificate, a rogue CA's,
 * a wrong usage) sees: the server's alert, or, when the server closes first, the
 * connection closed without `close_notify` (which one arrives is a race).
 */
export const TLS_REFUSED =
  /CertificateRequired|UnknownCA|BadCertificate|alert|close_notify|connection reset/i;
