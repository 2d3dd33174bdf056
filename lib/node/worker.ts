/**
 * Entry of the network worker: the part of a node that faces the network (HTTP API,
 * forwarding, peer probes, Deno KV). It runs with the narrow Deno grant computed by
 * `workerPermissions`, so loopback-only is enforced by the runtime, not only by checks.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SwarmClient } from "../client/client.ts";
import { formatHostPort } from "../config/listen_address.ts";
import { createApp } from "../http/app.ts";
import { TaskTracker } from "../http/task_tracker.ts";
import { logger, setupLogging } from "../observability/log.ts";
import { StaticPeerSource } from "../peers/static_source.ts";
import { Router } from "../routing/router.ts";
import type { Peer } from "../routing/types.ts";
import { KvPeerTable } from "../store/peer_table.ts";
import { openStore } from "../store/open_store.ts";
import { BridgeExecutor } from "./bridge_executor.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./messages.ts";
import { statusExtras } from "./status_extras.ts";

const post = (message: FromWorker) => self.postMessage(message);
const bridge = new BridgeExecutor(post);
let stop: (() => Promise<void>) | null = null;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      try {
        stop = await start(message.init);
      } catch (err) {
        post({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
      }
      break;
    case "exec-progress":
      bridge.progress(message.id, message.skill);
      break;
    case "exec-result":
      bridge.settle(message.id, message.result);
      break;
    case "exec-error":
      bridge.fail(message.id, message.error);
      break;
    case "stop":
      await stop?.();
      post({ type: "stopped" });
      break;
  }
};

async function start(init: WorkerInit): Promise<() => Promise<void>> {
  const { config, nodeId } = init;
  setupLogging(config.logLevel);
  const log = logger("node");
  const state = { ready: false, draining: false, reason: "Starting" };
  const tracker = new TaskTracker();
  const token = () => config.token;
  let peers: () => Promise<Peer[]> = () => Promise.resolve([]);
  const clientFor = (peer: Peer) =>
    new SwarmClient({ url: `${peer.scheme}://${peer.address}`, token: config.token });

  const router = new Router({
    selfId: nodeId,
    maxHops: config.maxHops,
    localCapabilities: () => init.capabilities,
    peers: () => peers(),
    executeLocal: (task, options) =>
      bridge.execute(task, { capabilities: options.capabilities, signal: options.signal }),
    clientFor,
    llm: config.llm,
    canDoTimeoutMs: config.canDoTimeoutMs,
    forwardTimeoutMs: config.forwardTimeoutMs,
    onRouted: (info) =>
      log.info("task_routed", { ...info, durationMs: Math.round(info.durationMs) }),
  });

  const app = createApp({
    nodeId,
    token,
    maxBodyBytes: config.maxBodyBytes,
    router,
    tracker,
    readiness: () => ({ ready: state.ready && !state.draining, reason: state.reason }),
    localCapabilities: () => init.capabilities,
    statusExtras: () => statusExtras(init, peers),
    logError: (message, props) => log.error(message, props),
  });

  const { host, port } = config.listen;
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: host,
    port,
    onListen: (addr) => listening.resolve(addr),
  }, app.fetch);
  const addr = await Promise.race([listening.promise, server.finished.then(() => null)]);
  if (!addr) throw new Error(`Cannot listen on ${formatHostPort(host, port)}`);
  const url = `http://${formatHostPort(addr.hostname, addr.port)}`;
  init.config = { ...config, listen: { host: addr.hostname, port: addr.port } };
  post({ type: "listening", host: addr.hostname, port: addr.port, url });

  const kv = await openStore(config.dataDir);
  const table = new KvPeerTable(kv);
  peers = () => table.list();
  const source = new StaticPeerSource({
    seeds: config.peers,
    selfId: nodeId,
    table,
    token,
    intervalMs: config.peerProbeIntervalMs,
    timeoutMs: config.canDoTimeoutMs,
    log: (message, props) => log.info(message, props),
  });
  await source.start();
  state.ready = true;
  state.reason = "";
  log.info("swarm_started", {
    node_id: nodeId,
    url,
    version: init.version,
    capabilities: init.capabilities,
    skills: init.skills.length,
    executor: init.executor,
    peers: config.peers.length,
    net: init.permissions.net,
  });

  return async () => {
    state.draining = true;
    state.reason = "Draining";
    source.stop();
    await server.shutdown();
    kv.close();
    log.info("swarm_stopped", { node_id: nodeId });
  };
}
