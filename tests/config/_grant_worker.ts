/**
 * Test worker: reports that it started (so its permission grant was accepted).
 *
 * @module
 */
/// <reference lib="deno.worker" />
self.postMessage("started");
