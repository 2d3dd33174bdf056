/**
 * Reading a forwarded task's progress stream.
 *
 * @module
 */
import {
  ERROR_STATUS,
  type ErrorCode,
  type NodeResult,
  type StreamEvent,
  SwarmError,
} from "../protocol/mod.ts";

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/**
 * Passes every event of `events` but the final one to `onEvent` and returns the
 * result of the `done` event. Stops reading (and so cancels the stream) at the first
 * `done` or `error`. When `onEvent` returns a promise, the next event is not read before
 * it settles (back-pressure from a slow reader to the peer), or `signal` aborts.
 *
 * @throws {SwarmError} The remote's error (its code when it is a known one, else
 * `execution_failed`, with `details.status` the code's HTTP status) for an `error` event; `bad_peer_response` when the stream ends
 * without a final event.
 */
export async function relayStream(
  events: AsyncIterable<StreamEvent>,
  onEvent: (event: StreamEvent) => void,
  source: string,
  signal?: AbortSignal,
): Promise<NodeResult> {
  for await (const event of events) {
    if (event.event === "done") return event.result;
    if (event.event === "error") {
      const { error, message, ...details } = event.error;
      const code = isErrorCode(error) ? error : "execution_failed";
      // The status the peer would have answered without streaming, so the retry policy
      // reads an error event as it reads the same plain answer (a 403 refusal before the
      // run is retried elsewhere; a 500 after it may have run is not).
      throw new SwarmError(code, message, { ...details, status: ERROR_STATUS[code] });
    }
    const sunk = onEvent(event) as unknown;
    if (sunk instanceof Promise) await untilAborted(sunk, signal);
  }
  throw new SwarmError(
    "bad_peer_response",
    `Stream from ${source} ended without a done or error event`,
  );
}

/** Waits for `promise`, or rejects with the signal's reason when it aborts first. */
function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
