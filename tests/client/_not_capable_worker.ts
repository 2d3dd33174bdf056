/**
 * Worker for client_test.ts: may reach only 127.0.0.1:9, tries another port and posts
 * back `code: message` of the error.
 *
 * @module
 */
import { SwarmClient } from "../../lib/client/client.ts";
import { SwarmError } from "../../lib/protocol/errors.ts";
import { makeTask } from "./_serve.ts";

/** The worker scope, typed without pulling the worker lib into the whole type check. */
const scope = self as unknown as { postMessage(message: string): void };

try {
  await new SwarmClient({ url: "http://127.0.0.1:7999" }).submitTask(makeTask("t1"));
  scope.postMessage("no error");
} catch (err) {
  scope.postMessage(err instanceof SwarmError ? `${err.code}: ${err.message}` : `other: ${err}`);
}
