/**
 * Entry of the mDNS worker. It runs with a grant of UDP 5353 and interface listing only
 * (`mdnsWorkerPermissions`): it announces this node as `_skilllite-swarm._udp.local.`,
 * answers queries for it, browses for peers, and reports them to the main process.
 * RFC 6762 behaviour: probing then two announcements on start, re-announcement when
 * capabilities change, known-answer suppression in our queries, TTL expiry, and a
 * goodbye (TTL 0) on clean shutdown.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { networkInterfaces } from "node:os";
import makeMdns from "multicast-dns";
import { logger, setupLogging } from "../log/mod.ts";
import { answerQuery } from "./answer_query.ts";
import { chooseAddress, formatAddress } from "./address_choice.ts";
import { browseQuery } from "./browse_query.ts";
import { extractServices } from "./extract_services.ts";
import { localAddresses } from "./local_addresses.ts";
import { PeerCache } from "./peer_cache.ts";
import { probeConflicts } from "./probe_conflicts.ts";
import { allRecords, goodbyeRecords, probeQuery, serviceRecords } from "./service_records.ts";
import type { LocalService, PeerChange } from "./types.ts";
import type { FromMdns, MdnsPeer, MdnsSettings, ToMdns } from "./worker_messages.ts";

const post = (message: FromMdns) => self.postMessage(message);

/** How often expired records are swept, in milliseconds. */
const SWEEP_MS = 250;
/** Delay between the three probes (RFC 6762 §8.1). */
const PROBE_INTERVAL_MS = 250;
/** Least time between two refresh queries for records about to expire, in milliseconds. */
const REFRESH_GAP_MS = 1000;

// deno-lint-ignore no-explicit-any
type Mdns = any;

let node: { stop(): Promise<void>; setCapabilities(caps: string[]): void } | null = null;

self.onmessage = async (event: MessageEvent<ToMdns>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      try {
        node = start(message.settings);
      } catch (err) {
        post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
      }
      break;
    case "capabilities":
      node?.setCapabilities(message.capabilities);
      break;
    case "stop":
      await node?.stop();
      post({ type: "stopped" });
      break;
  }
};

function start(settings: MdnsSettings) {
  setupLogging(settings.logLevel, settings.logFormat);
  const log = logger("discovery", "mdns");
  const { multicastInterface, addresses } = localAddresses(
    networkInterfaces() as Record<string, { address: string; family: string; internal: boolean }[]>,
    settings.self.bindHost,
    settings.interface,
  );
  const local: LocalService = {
    nodeId: settings.self.nodeId,
    port: settings.self.port,
    scheme: settings.self.scheme,
    capabilities: [...settings.self.capabilities],
    addresses,
  };
  const ttlS = settings.ttlS;
  // Validate now, so a bad id or address fails the start instead of a later timer.
  const omitted = serviceRecords(local, ttlS).omittedCapabilities;
  if (omitted.length > 0) {
    log.warn("Capability tags left out of the mDNS TXT record (too long)", { omitted });
  }
  const cache = new PeerCache({ selfId: local.nodeId });
  const mdns: Mdns = makeMdns({
    bind: "0.0.0.0",
    ...(multicastInterface ? { interface: multicastInterface } : {}),
    multicast: true,
    loopback: true,
    reuseAddr: true,
  });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  let stopped = false;
  /** Peers reported up, by id, with the address chosen for them. */
  const reported = new Map<string, string>();
  const dropped = new Set<string>();

  const report = (changes: PeerChange[]) => {
    for (const change of changes) {
      const { peer } = change;
      if (change.type === "down") {
        if (reported.delete(peer.id)) {
          post({ type: "peer-down", id: peer.id, reason: change.reason ?? "gone" });
        }
        dropped.delete(peer.id);
        continue;
      }
      const ip = chooseAddress(peer.addresses, settings.allow, peer.port);
      if (ip === null) {
        if (!dropped.has(peer.id)) {
          log.info("Ignoring an mDNS peer outside the opted-in network ranges", {
            peer: peer.id,
            addresses: peer.addresses,
          });
          dropped.add(peer.id);
        }
        if (reported.delete(peer.id)) {
          post({ type: "peer-down", id: peer.id, reason: "out of range" });
        }
        continue;
      }
      dropped.delete(peer.id);
      const out: MdnsPeer = {
        id: peer.id,
        address: formatAddress(ip, peer.port),
        scheme: peer.scheme,
        capabilities: peer.capabilities,
        swarm: peer.swarm,
      };
      reported.set(peer.id, out.address);
      post({ type: "peer-up", peer: out });
    }
  };

  mdns.on("warning", (err: Error) => {
    log.debug("Ignoring a malformed mDNS packet", { error: err?.message ?? String(err) });
  });
  mdns.on("error", (err: Error) => {
    log.warn("mDNS socket error", { error: err?.message ?? String(err) });
  });
  mdns.on("query", (query: unknown) => {
    if (stopped) return;
    try {
      const answer = answerQuery(query, local, ttlS);
      if (answer) mdns.respond(answer);
    } catch (err) {
      log.debug("Ignoring an mDNS query that could not be answered", { error: String(err) });
    }
  });
  let probing = true;
  mdns.on("response", (packet: unknown) => {
    try {
      if (probing) {
        for (const conflict of probeConflicts(packet, local)) {
          log.warn("Another host claims this node's mDNS names (copied data dir?)", { conflict });
        }
      }
      const found = extractServices(packet);
      for (const problem of found.problems) {
        log.debug("Ignoring part of an mDNS response", { problem });
      }
      report(cache.apply(found, Date.now()));
    } catch (err) {
      log.debug("Ignoring an mDNS response that could not be read", { error: String(err) });
    }
  });

  const announce = () => {
    if (!stopped) mdns.respond(allRecords(local, ttlS));
  };
  // Probe, then announce twice a second apart (RFC 6762 §8.1, §8.3). Instance names are
  // node ids (UUIDs), so a conflict would mean a copied data dir: it is logged.
  for (let i = 0; i < 3; i++) {
    later(i * PROBE_INTERVAL_MS, () => !stopped && mdns.query(probeQuery(local, ttlS)));
  }
  later(3 * PROBE_INTERVAL_MS, () => {
    probing = false;
    announce();
  });
  later(3 * PROBE_INTERVAL_MS + 1000, announce);

  // Browse now, then at doubling intervals up to 40% of the TTL, so live peers' records
  // are refreshed well before they expire (our known answers drop below half-TTL first).
  const maxBrowseMs = Math.max(1000, ttlS * 400);
  const browse = (delayMs: number) => {
    if (stopped) return;
    mdns.query(browseQuery(cache.knownAnswers(Date.now())));
    later(delayMs, () => browse(Math.min(delayMs * 2, maxBrowseMs)));
  };
  browse(Math.min(1000, maxBrowseMs));

  // Expire what timed out; ask again for records near expiry or still missing (a SRV
  // whose host has no address yet, avahi's 120 s SRV under a 4500 s PTR).
  let lastRefreshMs = 0;
  const sweep = () => {
    if (stopped) return;
    const now = Date.now();
    report(cache.expire(now));
    const due = cache.nextRefreshMs();
    if (due !== null && due <= now && now - lastRefreshMs >= REFRESH_GAP_MS) {
      const questions = cache.refreshQuestions(now);
      if (questions.length > 0) {
        mdns.query({ questions });
        lastRefreshMs = now;
      }
    }
    later(SWEEP_MS, sweep);
  };
  later(SWEEP_MS, sweep);

  post({ type: "started", addresses, interface: multicastInterface });
  log.info("mDNS discovery started", { addresses, interface: multicastInterface, ttl_s: ttlS });

  return {
    setCapabilities(capabilities: string[]) {
      if (JSON.stringify(capabilities) === JSON.stringify(local.capabilities)) return;
      local.capabilities = [...capabilities];
      announce();
      later(1000, announce);
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => mdns.respond(goodbyeRecords(local), () => resolve()));
      await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
    },
  };
}
