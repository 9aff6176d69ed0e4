/**
 * Messages as the Redis broker writes them: the JSON published on a topic or
 * kept in a history stream (`docs/redis.md`), and stream entry ids. A stored
 * message never holds the sending session; entries written by older versions
 * that did are read without it, like every stored message.
 *
 * @module
 */
import type { DeliveredMessage } from "../protocol/commands.ts";
import { formatMessageId } from "../ids.ts";
import { type Envelope, isMessage, type StoredEnvelope } from "./broker.ts";

/** What a topic carried, or undefined when it is not a payload Natter publishes. */
export function parseEnvelope(payload: string): Envelope | undefined {
  try {
    const value = JSON.parse(payload);
    switch (value.kind) {
      case "typing":
        return { kind: "typing", from: value.from, to: value.to };
      case "invited":
        return { kind: "invited", channel: value.channel, from: value.from };
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

/** A message read back from a history stream or a dedup key, without any sending session. */
export function parseStored(json: string): StoredEnvelope {
  const envelope = parseEnvelope(json);
  if (!envelope || !isMessage(envelope)) throw new TypeError(`Not a stored message: ${json}`);
  return { kind: envelope.kind, message: envelope.message };
}

/** The message's own fields, and nothing else a payload carries. */
function messageOf(
  { id, ts, from, to, text, replyTo, data }: DeliveredMessage,
): DeliveredMessage {
  return {
    id,
    ts,
    from,
    to,
    text,
    ...(typeof replyTo === "string" ? { replyTo } : {}),
    ...(data !== null && typeof data === "object" ? { data } : {}),
  };
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
