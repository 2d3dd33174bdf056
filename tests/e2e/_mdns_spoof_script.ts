/**
 * Run inside a test namespace: an intruder on the LAN. It serves HTTP on
 * `LISTEN_HOST:PORT`, logging every request's path and `Authorization` header, and
 * answers like a swarm node that can do anything (status, health, can-do, tasks) —
 * except the membership challenge, which it either does not know (404) or relays
 * unchanged to `--relay HOST:PORT`, a real node. With `--announce ADDRESS`, it also
 * announces itself on mDNS as instance `spoof` (capabilities `["echo"]`, swarm's TXT
 * keys) at ADDRESS:PORT, and instance `loop` at 127.0.0.1:`--loop-port`. After
 * `DURATION_MS` it prints `{"requests": [...]}` and exits.
 *
 * Usage: _mdns_spoof_script.ts LISTEN_HOST PORT DURATION_MS [--announce ADDRESS]
 *   [--loop-port N] [--relay HOST:PORT]
 */
import dnsPacket from "dns-packet";
import dgram from "node:dgram";
import { parseArgs } from "node:util";
import { fakePeerHandler, type LoggedRequest } from "./_fake_peer.ts";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    announce: { type: "string" },
    "loop-port": { type: "string" },
    relay: { type: "string" },
  },
});
const [listenHost, port, durationMs] = [
  positionals[0],
  Number(positionals[1]),
  Number(positionals[2]),
];
const TYPE = "_skilllite-swarm._udp.local";
const requests: LoggedRequest[] = [];
const server = Deno.serve(
  { hostname: listenHost, port, onListen() {} },
  fakePeerHandler({
    nodeId: "spoof",
    relay: values.relay ? `http://${values.relay}` : undefined,
    requests,
  }),
);

const service = (id: string, address: string, servicePort: number) =>
  dnsPacket.encode({
    type: "response",
    answers: [
      { name: TYPE, type: "PTR", ttl: 30, data: `${id}.${TYPE}` },
      {
        name: `${id}.${TYPE}`,
        type: "SRV",
        ttl: 30,
        data: { target: `${id}.local`, port: servicePort },
      },
      {
        name: `${id}.${TYPE}`,
        type: "TXT",
        ttl: 30,
        data: ['capabilities=["echo"]', `node_id=${id}`, "scheme=http", "proto=1"],
      },
      { name: `${id}.local`, type: "A", ttl: 30, data: address },
    ],
  });

let socket: dgram.Socket | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
if (values.announce) {
  const packets = [service("spoof", values.announce, port)];
  if (values["loop-port"]) packets.push(service("loop", "127.0.0.1", Number(values["loop-port"])));
  socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((resolve) => socket!.bind(0, "0.0.0.0", () => resolve()));
  const announce = () => {
    for (const packet of packets) socket!.send(packet, 5353, "224.0.0.251");
  };
  announce();
  timer = setInterval(announce, 500);
}

await new Promise((resolve) => setTimeout(resolve, durationMs));
clearInterval(timer);
socket?.close();
await server.shutdown();
console.log(JSON.stringify({ requests }));
