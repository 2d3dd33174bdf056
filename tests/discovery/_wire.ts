/**
 * Test helper: real mDNS wire bytes through `dns-packet`, the codec `multicast-dns`
 * uses, so tests see exactly what the worker's socket would hand over.
 *
 * @module
 */
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";

/** A deep copy with byte arrays as Node buffers (`dns-packet` wants them, and rewrites TXT data in place). */
function forCodec(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(forCodec);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forCodec(v)]));
  }
  return value;
}

/** Encodes a packet to bytes (the packet given is left untouched). */
export function encode(packet: object): Uint8Array {
  return new Uint8Array(dnsPacket.encode(forCodec(packet)));
}

/** Decodes bytes as `multicast-dns` does; throws on a malformed packet as it does. */
export function decode(bytes: Uint8Array): Record<string, unknown> {
  return dnsPacket.decode(Buffer.from(bytes));
}

/** Encodes then decodes: the packet as a peer would receive it. */
export function roundTrip(packet: object): Record<string, unknown> {
  return decode(encode(packet));
}

/** A deterministic pseudo-random generator (mulberry32), for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
