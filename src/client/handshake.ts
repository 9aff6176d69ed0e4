/**
 * Where and how the client connects: the URL of each attempt (one URL, a
 * list walked in turn, or the application's function), its query (identity,
 * `since`, `presence=changes`), and the jittered exponential backoff between
 * failed attempts.
 *
 * @module
 */
import type { ConnectOptions, UrlSource } from "./types.ts";

/** Close codes after which the server will not take this client back as it is. */
export const FINAL_CLOSE_CODES = new Set([4002, 4003, 4006, 4007, 4009]);
/** The server restarts or shuts down: reconnect at once. */
export const RESTART_CLOSE_CODES = new Set([1001, 1012]);

/** The URL of connection number `attempt` (from 0): a list moves one step per connection. */
export function urlAt(source: UrlSource, attempt: number): string {
  if (typeof source === "function") return source();
  if (typeof source === "string") return source;
  return source[attempt % source.length];
}

/** What a handshake says: a JWT, or a name and the token of an earlier session; `since`. */
export interface Handshake {
  jwt?: string;
  token?: string;
  username?: string;
  since?: string;
}

/**
 * The WebSocket URL of one attempt. In anonymous mode the name goes with the
 * token, so a client away longer than the grace claims its name anew (and is
 * told `history_truncated`) instead of being refused.
 */
export function handshakeUrl(base: string, handshake: Handshake): string {
  const url = new URL(base);
  url.searchParams.set("presence", "changes");
  if (handshake.jwt !== undefined) url.searchParams.set("token", handshake.jwt);
  else {
    if (handshake.token) url.searchParams.set("token", handshake.token);
    if (handshake.username !== undefined) url.searchParams.set("username", handshake.username);
  }
  if (handshake.since !== undefined) url.searchParams.set("since", handshake.since);
  return url.href;
}

/** The wait before the next attempt after `failures` failed ones: jittered, doubling, capped. */
export function backoffDelay(backoff: ConnectOptions["backoff"], failures: number): number {
  const { initialMs = 250, maxMs = 10_000 } = backoff ?? {};
  const ceiling = Math.min(maxMs, initialMs * 2 ** failures);
  return ceiling * (0.5 + Math.random() / 2);
}
