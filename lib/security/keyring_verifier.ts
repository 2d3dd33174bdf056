/**
 * A keyring file's text turned into the token check the HTTP layer calls per request.
 *
 * @module
 */
import type { Grant } from "./grant.ts";
import { parseKeyring } from "./keyring.ts";
import { createVerifier, type VerifierOptions, verifyToken } from "./token_verify.ts";

/**
 * Parses the keyring once and returns a function verifying one token into its grant;
 * undefined when there is no keyring.
 *
 * @param text The keyring file's text.
 * @param options Verification limits (the maximum token lifetime).
 * @throws {Error} When the keyring is invalid, naming what is wrong.
 */
export async function keyringVerifier(
  text: string | undefined,
  options: VerifierOptions = {},
): Promise<((token: string) => Promise<Grant>) | undefined> {
  if (text === undefined) return undefined;
  let verifier;
  try {
    verifier = await createVerifier(parseKeyring(text), options);
  } catch (err) {
    throw new Error(`Cannot load the keyring: ${(err as Error).message}`);
  }
  return (token) => verifyToken(token, verifier);
}
