/**
 * What the codec tests share: decoding a frame given as an object or as raw
 * text, asserting a refusal, and a representative set of outbound events
 * with the messages they carry.
 *
 * @module
 */
import type { Decoded, DeliveredMessage, Outbound } from "../../src/protocol/commands.ts";
import type { ErrorCode } from "../../src/protocol/codes.ts";
import { assert, assertEquals } from "./assert.ts";

/** The message limit (MAX_MESSAGE_CHARS) the codecs under test are built with. */
export const LIMIT = 20;

/** Decodes `frame` (JSON-encoded unless already a string) with `codec`. */
export function decodeWith(codec: { decode(text: string): Decoded }, frame: unknown): Decoded {
  return codec.decode(typeof frame === "string" ? frame : JSON.stringify(frame));
}

/** Asserts `decoded` is a refusal with `code` and a non-empty message; returns the refusal. */
export function assertRefused(decoded: Decoded, code: ErrorCode, context = "") {
  assert(!decoded.ok, `expected a ${code} refusal${context}, got ${JSON.stringify(decoded)}`);
  assertEquals(decoded.refusal.code, code, `refusal code${context}: ${decoded.refusal.message}`);
  assert(decoded.refusal.message.length > 0, `refusal message must not be empty${context}`);
  return decoded.refusal;
}

/** A channel message as delivered. */
export const message: DeliveredMessage = {
  id: "1700000000000-000000",
  ts: 1_700_000_000_000,
  from: "alice",
  to: "general",
  text: "hello",
};

/** A direct message from alice to bob. */
export const dm: DeliveredMessage = { ...message, id: "1700000000000-000001", to: "bob" };

/** One of each outbound event, with and without its optional flags. */
export const outbound: Outbound[] = [
  { type: "welcome", sessionId: "01SESSION", username: "alice", token: "secret", unread: 2 },
  { type: "userList", names: ["alice", "bob"] },
  { type: "channelList", names: ["general", "lobby"] },
  { type: "channelMessage", message },
  { type: "directMessage", message: dm, copy: false },
  { type: "directMessage", message: dm, copy: true },
  { type: "typing", from: "alice", to: "general" },
  { type: "pong" },
  { type: "pong", ref: "p1" },
  { type: "ack", ref: "r1" },
  { type: "ack", ref: "r2", id: message.id },
  { type: "error", code: "not_member", message: "Not a member", ref: "r3" },
  { type: "error", code: "invalid_json", message: "Cannot parse frame" },
  { type: "channelMessage", message, replay: true },
  { type: "channelMessage", message: { ...message, local: true } },
  { type: "directMessage", message: dm, copy: true, replay: true },
  { type: "ack", ref: "r4", id: message.id, duplicate: true },
  { type: "error", code: "history_truncated", message: "Some messages are no longer kept" },
  {
    type: "history",
    to: "general",
    ref: "h1",
    messages: [{ type: "channelMessage", message }],
  },
  {
    type: "history",
    with: "bob",
    messages: [
      { type: "directMessage", message: dm, copy: false },
      { type: "directMessage", message: dm, copy: true },
    ],
  },
];
