/**
 * Messages as the Redis broker writes them: the JSON published on a topic or
 * kept in a history stream (`docs/redis.md`), and stream entry ids. A stored
 * message never holds the sending session; entries written by older versions
 * that did are read without it, like every stored message.
 *
 * @module
 */
import type { Conversation, DeliveredMessage, Reaction } from "../protocol/commands.ts";
import { type MessageState, orderReactions } from "./message_state.ts";
import { formatMessageId } from "../ids.ts";
import { type Envelope, isMessage, type Measure, type StoredEnvelope } from "./broker.ts";

/** What a topic carried, or undefined when it is not a payload Natter publishes. */
export function parseEnvelope(payload: string): Envelope | undefined {
  try {
    const value = JSON.parse(payload);
    switch (value.kind) {
      case "typing":
        return { kind: "typing", from: value.from, to: value.to };
      case "invited":
        return { kind: "invited", channel: value.channel, from: value.from };
      case "read": {
        const { read, unread, mentions } = value.position;
        return {
          kind: "read",
          in: conversationOf(value.in),
          position: { read: String(read), unread: Number(unread), mentions: Number(mentions) },
          ...(typeof value.countedTo === "string" ? { countedTo: value.countedTo } : {}),
        };
      }
      case "receipt":
        return {
          kind: "receipt",
          in: conversationOf(value.in),
          from: String(value.from),
          id: String(value.id),
        };
      case "membership":
        return {
          kind: "membership",
          channel: value.channel,
          member: value.member === true,
          exceptSession: value.exceptSession,
          ...(["kicked", "banned", "deleted"].includes(value.reason)
            ? { reason: value.reason }
            : {}),
        };
      case "presence":
        return {
          kind: "presence",
          event: ["joined", "left", "role"].includes(value.event) ? value.event : "status",
          ...(["owner", "moderator"].includes(value.role) ? { role: value.role } : {}),
          name: String(value.name),
          online: value.online === true,
          status: value.status === "away" ? "away" : "online",
          ...(typeof value.text === "string" ? { text: value.text } : {}),
          ...(typeof value.lastSeen === "number" ? { lastSeen: value.lastSeen } : {}),
          members: Number(value.members) || 0,
        };
      case "channel":
        return { kind: "channel", message: messageOf(value) };
      case "direct": {
        const { senderSession } = value;
        return typeof senderSession === "string"
          ? { kind: "direct", message: messageOf(value), senderSession }
          : { kind: "direct", message: messageOf(value) };
      }
    }
  } catch {
    // Not JSON: reported by the caller.
  }
  return undefined;
}

/** A channel or conversation as a signal carries it. */
function conversationOf(value: { channel?: unknown; with?: unknown }): Conversation {
  return typeof value.channel === "string"
    ? { channel: value.channel }
    : { with: String(value.with) };
}

/** A message read back from a history stream or a dedup key, without any sending session. */
export function parseStored(json: string): StoredEnvelope {
  const envelope = parseEnvelope(json);
  if (!envelope || !isMessage(envelope)) throw new TypeError(`Not a stored message: ${json}`);
  return { kind: envelope.kind, message: envelope.message };
}

/** The message's own fields, and nothing else a payload carries. */
function messageOf(
  { id, ts, from, to, text, replyTo, data, change, system }: DeliveredMessage,
): DeliveredMessage {
  return {
    id,
    ts,
    from,
    to,
    text,
    ...(typeof replyTo === "string" ? { replyTo } : {}),
    ...(data !== null && typeof data === "object" ? { data } : {}),
    ...(change !== null && typeof change === "object" ? { change } : {}),
    ...(system === true ? { system } : {}),
  };
}

/** A message's state as a Redis hash of it reads (HGETALL: field, value, …). */
export function stateOf(fields: string[]): MessageState | undefined {
  if (fields.length === 0) return undefined;
  const state: MessageState = {};
  for (let i = 0; i < fields.length; i += 2) {
    const value = fields[i + 1];
    if (fields[i] === "text") state.text = value;
    else if (fields[i] === "edited") state.edited = Number(value);
    else if (fields[i] === "deleted") state.deleted = Number(value);
  }
  return state;
}

/** A message's reactions as HISTORY_PAGE reads them: emoji, count, 1 when the reader's. */
export function reactionsOf(flat: (string | number)[]): Reaction[] {
  const reactions: Reaction[] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const count = Number(flat[i + 1]);
    if (count <= 0) continue;
    reactions.push({
      emoji: String(flat[i]),
      count,
      ...(Number(flat[i + 2]) === 1 ? { mine: true as const } : {}),
    });
  }
  return orderReactions(reactions);
}

/** `1795271816712-000003` → `1795271816712-3`: stream ids carry no padding. */
export function toStreamId(id: string): string {
  const [ms, sequence] = id.split("-");
  return `${Number(ms)}-${Number(sequence)}`;
}

/** `1795271816712-3` → `1795271816712-000003`: a stream id as a message id. */
export function fromStreamId(id: string): string {
  const [ms, sequence] = id.split("-");
  return formatMessageId(Number(ms), Number(sequence));
}

/** A measure as Redis keeps it: its end in ms, '0' for good, '' when lifted. */
export function storedMeasure(measure: Measure): string {
  return "until" in measure ? `${measure.until}` : "forever" in measure ? "0" : "";
}

/** Until when a stored measure lasts, if it does now. */
export function activeUntil(stored: string | undefined): number | undefined {
  if (!stored) return undefined;
  const until = stored === "0" ? Infinity : Number(stored);
  return until > Date.now() ? until : undefined;
}
