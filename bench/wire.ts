/**
 * The three wire dialects the bench speaks, so one load generator drives
 * every server: Natter's kind-A protocol (README "Kind A"), the same JSON
 * frames from the zero-logic servers in `bench/` (which send no handshake),
 * and Socket.IO 4 spoken directly over a WebSocket (Engine.IO v4 packets:
 * `0` open, `40` namespace connect, `2`/`3` ping/pong, `42` event, `43` ack).
 *
 * Frames are classified by string tests, not JSON.parse: the load generator
 * must not become the bottleneck.
 *
 * @module
 */

/** What a frame from the server means to the bench. */
export type Frame =
  | { kind: "message"; seq: number }
  | { kind: "ack"; ref: string }
  | { kind: "refused"; ref: string }
  | { kind: "ready" }
  | { kind: "reply"; data: string }
  | { kind: "other" };

/** How to talk to one family of servers. */
export interface Dialect {
  /** The WebSocket URL for `username` on the server at `origin` (`ws://127.0.0.1:PORT`). */
  url(origin: string, username: string): string;
  /** Whether the client may send as soon as the socket opens (no handshake to wait for). */
  readyOnOpen: boolean;
  join(room: string, ref: string): string;
  /** A publish of `seq` (the message text is the sequence number) to `room`. */
  publish(room: string, seq: number, ref: string): string;
  classify(data: string): Frame;
}

const OTHER: Frame = { kind: "other" };
const READY: Frame = { kind: "ready" };

/** The text of string field `name` in the JSON object `data` (no escapes expected). */
function field(data: string, name: string): string {
  const key = `"${name}":"`;
  const start = data.indexOf(key);
  if (start < 0) return "";
  const from = start + key.length;
  return data.slice(from, data.indexOf('"', from));
}

/** Natter's frames, and the raw servers' subset of them. */
function jsonDialect(path: (username: string) => string, readyOnOpen: boolean): Dialect {
  return {
    url: (origin, username) => `${origin}${path(username)}`,
    readyOnOpen,
    join: (room, ref) => JSON.stringify({ type: "joinChannel", to: room, ref }),
    publish: (room, seq, ref) =>
      JSON.stringify({ type: "broadcast", to: room, message: `${seq}`, ref }),
    classify(data) {
      if (data.startsWith('{"type":"broadcast"')) {
        return { kind: "message", seq: Number(field(data, "message")) };
      }
      if (data.startsWith('{"type":"ack"')) return { kind: "ack", ref: field(data, "ref") };
      if (data.startsWith('{"type":"error"')) return { kind: "refused", ref: field(data, "ref") };
      if (data.startsWith('{"type":"sessionID"')) return READY;
      return OTHER;
    },
  };
}

/** Natter, kind A. */
export const NATTER = jsonDialect((username) => `/ws?username=${username}`, false);

/** `bench/raw_deno.ts` and `bench/node/raw_node.mjs`. */
export const RAW = jsonDialect((username) => `/ws?username=${username}`, true);

/** Acks of Socket.IO events carry a numeric id: refs are kept numeric for it. */
export const SOCKET_IO: Dialect = {
  url: (origin) => `${origin}/socket.io/?EIO=4&transport=websocket`,
  readyOnOpen: false,
  join: (room, ref) => `42${ref}${JSON.stringify(["join", room])}`,
  publish: (room, seq, ref) => `42${ref}${JSON.stringify(["broadcast", room, `${seq}`])}`,
  classify(data) {
    if (data.startsWith('42["broadcast","')) {
      return { kind: "message", seq: Number(data.slice(16, data.indexOf('"', 16))) };
    }
    if (data.startsWith("43")) return { kind: "ack", ref: data.slice(2, data.indexOf("[")) };
    if (data === "2") return { kind: "reply", data: "3" };
    if (data.startsWith("0{")) return { kind: "reply", data: "40" };
    if (data.startsWith("40")) return READY;
    return OTHER;
  },
};
