/**
 * Run inside a test namespace: listens on the mDNS group for `durationMs` (argv[0]),
 * asks once a second for `_skilllite-swarm._udp.local` PTRs with query id 4242, and
 * prints every packet heard as one JSON array on stdout. Used by `_mdns_listener.ts`.
 */
import makeMdns from "multicast-dns";

const durationMs = Number(Deno.args[0] ?? "3000");
const heard: Array<{ from: string; type: string; id: number; names: string[] }> = [];
const mdns = makeMdns({ bind: "0.0.0.0", multicast: true, loopback: true, reuseAddr: true });
const record = (type: string) => (packet: Record<string, unknown>, rinfo: { address: string }) => {
  const names: string[] = [];
  for (const key of ["questions", "answers", "additionals", "authorities"]) {
    for (const r of (packet[key] as Array<{ name?: string; data?: unknown }>) ?? []) {
      if (typeof r.name === "string") names.push(r.name);
      if (typeof r.data === "string") names.push(r.data);
    }
  }
  heard.push({ from: rinfo.address, type, id: Number(packet.id ?? 0), names });
};
mdns.on("query", record("query"));
mdns.on("response", record("response"));
mdns.on("warning", () => {});
const ask = () =>
  mdns.query({ id: 4242, questions: [{ name: "_skilllite-swarm._udp.local", type: "PTR" }] });
ask();
const timer = setInterval(ask, 1000);
await new Promise((resolve) => setTimeout(resolve, durationMs));
clearInterval(timer);
mdns.destroy();
console.log(JSON.stringify(heard));
