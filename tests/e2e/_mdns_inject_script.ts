/**
 * Run inside a test namespace: sends hostile mDNS packets to 224.0.0.251:5353 —
 * garbage bytes, a truncated packet, odd names, wrong record types, an oversized TXT,
 * bad `capabilities` JSON — plus one well-formed service `bad-caps` (at argv[0], port
 * argv[1]) whose TXT `capabilities` is not JSON. Used by discovery_test.ts.
 */
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";

const [address, port] = [Deno.args[0], Number(Deno.args[1] ?? "7700")];
const TYPE = "_skilllite-swarm._udp.local";
const service = (id: string, txt: unknown[], extra: object[] = []) =>
  dnsPacket.encode({
    type: "response",
    answers: [
      { name: TYPE, type: "PTR", ttl: 30, data: `${id}.${TYPE}` },
      { name: `${id}.${TYPE}`, type: "SRV", ttl: 30, data: { target: `${id}.local`, port } },
      { name: `${id}.${TYPE}`, type: "TXT", ttl: 30, data: txt },
      { name: `${id}.local`, type: "A", ttl: 30, data: address },
      ...extra,
    ],
  });

const valid = service("bad-caps", ["capabilities=not json"]);
const packets: Uint8Array[] = [
  crypto.getRandomValues(new Uint8Array(64)),
  valid.subarray(0, 30),
  service("odd\u0000\u00ffname", ['capabilities=["x"]']),
  service("wrong-types", ['capabilities=[{"a":1}]'], [
    { name: `wrong-types.${TYPE}`, type: "CNAME", ttl: 30, data: "elsewhere.local" },
    { name: TYPE, type: "TXT", ttl: 30, data: ["not a ptr"] },
  ]),
  service("huge-txt", Array.from({ length: 30 }, (_, i) => Buffer.alloc(250, 65 + (i % 26)))),
  service("caps-not-strings", ["capabilities=[1,2,null]"]),
  dnsPacket.encode({ type: "response", answers: [{ name: TYPE, type: "PTR", ttl: 30, data: "" }] }),
  valid,
];

const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
await new Promise<void>((resolve) => socket.bind(0, "0.0.0.0", () => resolve()));
for (const packet of packets) {
  await new Promise<void>((resolve, reject) =>
    socket.send(packet, 5353, "224.0.0.251", (err) => err ? reject(err) : resolve())
  );
}
socket.close();
console.log(JSON.stringify({ sent: packets.length }));
