/**
 * Starts the permission-scoped mDNS worker and relays what it discovers.
 *
 * @module
 */
import type { FromMdns, MdnsPeer, MdnsSettings, ToMdns } from "../discovery/mod.ts";
import { mdnsWorkerPermissions } from "./permissions.ts";

/** How long a clean stop (goodbye sent) may take. */
const STOP_GRACE_MS = 3_000;

/** Callbacks of {@link startMdns}. */
export interface MdnsEvents {
  onPeerUp(peer: MdnsPeer): void;
  onPeerDown(id: string, reason: string): void;
  /** The worker failed (socket error at start, crash). */
  onFailure(message: string): void;
}

/** A running mDNS worker. */
export interface MdnsLink {
  /** Addresses announced and the multicast interface, once started. */
  started: Promise<{ addresses: string[]; interface: string | null }>;
  /** Re-announces with new capabilities. */
  setCapabilities(capabilities: string[]): void;
  /** Sends the goodbye and stops the worker. */
  stop(): Promise<void>;
}

/** Starts the mDNS worker with only UDP 5353 and interface listing granted. */
export function startMdns(settings: MdnsSettings, events: MdnsEvents): MdnsLink {
  const worker = new Worker(new URL("../discovery/mdns_worker.ts", import.meta.url), {
    type: "module",
    name: "swarm-mdns",
    deno: { permissions: mdnsWorkerPermissions() },
  });
  const post = (message: ToMdns) => worker.postMessage(message);
  const started = Promise.withResolvers<{ addresses: string[]; interface: string | null }>();
  const stopped = Promise.withResolvers<void>();
  started.promise.catch(() => {});
  worker.onerror = (event) => {
    event.preventDefault();
    started.reject(new Error(event.message));
    events.onFailure(event.message);
    stopped.resolve();
  };
  worker.onmessage = (event: MessageEvent<FromMdns>) => {
    const message = event.data;
    switch (message.type) {
      case "started":
        started.resolve({ addresses: message.addresses, interface: message.interface });
        break;
      case "peer-up":
        events.onPeerUp(message.peer);
        break;
      case "peer-down":
        events.onPeerDown(message.id, message.reason);
        break;
      case "fatal":
        started.reject(new Error(message.message));
        events.onFailure(message.message);
        break;
      case "stopped":
        stopped.resolve();
        break;
    }
  };
  post({ type: "start", settings });
  return {
    started: started.promise,
    setCapabilities: (capabilities) => post({ type: "capabilities", capabilities }),
    async stop() {
      post({ type: "stop" });
      const timer = setTimeout(() => stopped.resolve(), STOP_GRACE_MS);
      await stopped.promise;
      clearTimeout(timer);
      worker.terminate();
    },
  };
}
