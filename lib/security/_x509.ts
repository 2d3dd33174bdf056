/**
 * The one place `@peculiar/x509` is imported: it needs the `reflect-metadata` polyfill
 * loaded before it, and importing both here keeps that order for every user.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

// Web Crypto of the runtime, set explicitly so no module-level default is relied on.
x509.cryptoProvider.set(crypto);

export { x509 };
