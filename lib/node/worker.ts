/**
 * Entry of the network worker: the part of a node that faces the network (HTTP API,
 * forwarding, peer probes, Deno KV). It runs with the narrow Deno grant computed by
 * `workerPermissions`, so loopback-only is enforced by the runtime, not only by checks.
 * It only translates messages: the node itself is built by `composeNode`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { setupLogging } from "../log/mod.ts";
import { toSwarmError } from "../protocol/mod.ts";
import { BridgeExecutor } from "./bridge_executor.ts";
import { composeNode, type NodeHandle } from "./compose_node.ts";
import { SyncStoreBridge } from "./sync_store_bridge.ts";
import type { FromWorker, ToWorker } from "./messages.ts";

const post = (message: FromWorker) => self.postMessage(message);
const bridge = new BridgeExecutor(post);
const syncStore = new SyncStoreBridge(post);
let node: NodeHandle | null = null;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "start": {
      const { config } = message.init;
      setupLogging(config.logLevel, config.logFormat === "pretty" ? "pretty" : "json");
      node = composeNode(message.init, {
        executor: bridge,
        onListening: (address) => post({ type: "listening", ...address }),
        installer: syncStore,
      });
      try {
        await node.start();
      } catch (err) {
        post({ type: "fatal", error: toSwarmError(err).toBody() });
      }
      break;
    }
    case "exec-progress":
      bridge.progress(message.id, message.skill);
      break;
    case "exec-result":
      bridge.settle(message.id, message.result);
      break;
    case "exec-error":
      bridge.fail(message.id, message.error);
      break;
    case "skills":
      node?.setSkills(message.skills, message.capabilities, message.executor);
      break;
    case "discovery":
      node?.setDiscovery(message.discovery);
      break;
    case "security":
      await node?.reloadSecurity(message.material);
      break;
    case "mdns-peer-up":
      await node?.mdnsUp(message.peer);
      break;
    case "mdns-peer-down":
      await node?.mdnsDown(message.id, message.reason);
      break;
    case "sync-publish":
      await node?.receiveRelease(message.envelope);
      break;
    case "sync-store-result":
      syncStore.settle(message);
      break;
    case "stop":
      await node?.stop();
      post({ type: "stopped" });
      break;
    case "force":
      node?.force();
      break;
  }
};
