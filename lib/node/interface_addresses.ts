/**
 * This machine's interface addresses as the network worker may see them.
 *
 * @module
 */

/** How long the interface list of a wildcard bind is reused, in ms. */
const INTERFACES_TTL_MS = 5_000;

/**
 * A cached reader of this machine's interface addresses (the membership challenge of a
 * wildcard bind needs them). Without the `sys` grant (a specific bind address, which
 * needs no list) it returns an empty list.
 *
 * @param now Source of the current time in ms, for the cache.
 * @example
 * ```ts
 * import { interfaceAddresses } from "./interface_addresses.ts";
 * const addresses = interfaceAddresses(Date.now);
 * console.assert(Array.isArray(addresses()));
 * ```
 */
export function interfaceAddresses(now: () => number): () => string[] {
  let cached: { atMs: number; addresses: string[] } | undefined;
  return () => {
    const at = now();
    if (cached && at - cached.atMs < INTERFACES_TTL_MS) return cached.addresses;
    let addresses: string[] = [];
    try {
      addresses = Deno.networkInterfaces().map((i) => i.address);
    } catch {
      // No `sys` grant.
    }
    cached = { atMs: at, addresses };
    return addresses;
  };
}
