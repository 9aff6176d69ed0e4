/**
 * Natter's client SDK, for browsers, Deno and Node 22+ (or Node 20 with a
 * `WebSocket` such as the `ws` package passed in): `connect` opens a client
 * that speaks the kind-A protocol and keeps the user's state across
 * disconnects with no work from the application. See `docs/client.md`.
 *
 * @module
 */
import { NatterClient } from "./client.ts";
import type { ConnectOptions } from "./types.ts";

export { NatterClient } from "./client.ts";
export { applyChange, type ChangeableMessage, isOwn } from "./messages.ts";
export * from "./types.ts";

/** Connects; the client starts `connecting` (await `client.ready()` to wait until it is open). */
export function connect(options: ConnectOptions): NatterClient {
  return new NatterClient(options);
}
