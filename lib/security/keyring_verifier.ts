/**
 * A keyring file's text turned into the token check the HTTP layer calls per request.
 *
 * @module
 */
import type { Grant } from "./grant.ts";
import { parseKeyring, type Revocation } from "./keyring.ts";
import { createVerifier, type VerifierOptions, verifyToken } from "./token_verify.ts";

/** Options of {@link keyringVerifier}. */
export interface KeyringVerifierOptions extends VerifierOptions {
  /**
   * Token ids revoked beyond the keyring file's own list: those that arrived by gossip,
   * signed by a key of this keyring.
   */
  extraRevoked?: readonly Revocation[];
}

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
  options: KeyringVerifierOptions = {},
): Promise<((token: string) => Promise<Grant>) | undefined> {
  if (text === undefined) return undefined;
  const { extraRevoked = [], ...limits } = options;
  let verifier;
  try {
    const keyring = parseKeyring(text);
    verifier = await createVerifier(
      extraRevoked.length === 0
        ? keyring
        : { ...keyring, revoked: [...keyring.revoked, ...extraRevoked] },
      limits,
    );
  } catch (err) {
    throw new Error(`Cannot load the keyring: ${(err as Error).message}`);
  }
  return (token) => verifyToken(token, verifier);
}
