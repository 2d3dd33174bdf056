import assert from "node:assert/strict";
import { bearerToken, isAuthorized } from "../../../lib/http/middleware/bearer_auth.ts";

const AUTHORIZED: Array<[header: string | null | undefined, token: string, ok: boolean]> = [
  ["Bearer s3cret", "s3cret", true],
  ["bearer s3cret", "s3cret", true],
  ["BEARER s3cret", "s3cret", true],
  ["BeArEr s3cret", "s3cret", true],
  ["  Bearer   s3cret  ", "s3cret", true],
  ["Bearer\ts3cret", "s3cret", true],
  ["Bearer s3cret\n", "s3cret", true],
  ["Bearer s3cret", "s3cre", false],
  ["Bearer s3cre", "s3cret", false],
  ["Bearer s3cret0", "s3cret", false],
  ["Bearer S3CRET", "s3cret", false],
  ["Bearer s3cret extra", "s3cret", false],
  ["Bearer", "s3cret", false],
  ["Bearer ", "s3cret", false],
  ["s3cret", "s3cret", false],
  ["Basic s3cret", "s3cret", false],
  ["Token s3cret", "s3cret", false],
  ["Bearers s3cret", "s3cret", false],
  ["", "s3cret", false],
  [null, "s3cret", false],
  [undefined, "s3cret", false],
  // A token padded with NUL bytes must not match its prefix.
  ["Bearer abc", "abc\0", false],
  ["Bearer abc\0", "abc", false],
  ["Bearer ключ", "ключ", true],
  ["Bearer ключ", "ключи", false],
];

for (const [header, token, ok] of AUTHORIZED) {
  Deno.test(`isAuthorized() says ${ok} for ${JSON.stringify(header)} against ${JSON.stringify(token)}`, () => {
    assert.equal(isAuthorized(header, token), ok);
  });
}

Deno.test("bearerToken() takes the token of a Bearer value and nothing else", () => {
  assert.equal(bearerToken(" Bearer  abc "), "abc");
  assert.equal(bearerToken("bearer a.b.c"), "a.b.c");
  for (const bad of [undefined, null, "", "Bearer", "Basic abc", "Bearer a b", "abc"]) {
    assert.equal(bearerToken(bad), undefined, String(bad));
  }
});
