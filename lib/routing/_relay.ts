/**
 * Reading a forwarded task's progress stream.
 *
 * @module
 */
import { ERROR_STATUS, type ErrorCode, SwarmError } from "../protocol/errors.ts";
import type { NodeResult, StreamEvent } from "../protocol/types.ts";

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_STATUS, code);
}

/**
 * Passes every event of `events` but the final one to `onEvent` and returns the
 * result of the `done` event. Stops reading (and so cancels the stream) at the first
 * `done` or `error`.
 *
 * @throws {SwarmError} The remote's error (its code when it is a known one, else
 * `execution_failed`) for an `error` event; `bad_peer_response` when the stream ends
 * without a final event.
 */
export async function relayStream(
  events: AsyncIterable<StreamEvent>,
  onEvent: (event: StreamEvent) => void,
  source: string,
): Promise<NodeResult> {
  for await (const event of events) {
    if (event.event === "done") return event.result;
    if (event.event === "error") {
      const { error, message, ...details } = event.error;
      const code = isErrorCode(error) ? error : "execution_failed";
      throw new SwarmError(code, message, details);
    }
    onEvent(event);
  }
  throw new SwarmError(
    "bad_peer_response",
    `Stream from ${source} ended without a done or error event`,
  );
}
