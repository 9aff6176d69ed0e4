/**
 * Codec for kind-A clients (the "Distributed-Chat-App" protocol): JSON frames
 * `{"type","to","from","sessionID","message"}`, plus Natter's `ref`, `id`,
 * `ts`, `code`, `username` and `token` keys. Whatever `from` or `sessionID`
 * a client sends is ignored: the core knows who is speaking.
 *
 * @module
 */
import type { Codec, Command, Conversation, Decoded, MessageExtras } from "./commands.ts";
import {
  clientFrameSchemas,
  type ClientTypeA,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_PAGE_LIMIT,
  type FrameLimits,
} from "./frames.ts";
import { readFrameObject, refusalFromIssues } from "./decode.ts";
import { encodeA } from "./encode_a.ts";

/** Creates the kind-A codec for the given limits; it holds no per-connection state. */
export function createCodecA(limits: FrameLimits): Codec {
  const schemas = clientFrameSchemas(limits).kindA;
  const known = Object.keys(schemas);
  return {
    kind: "A",
    decode(text: string): Decoded {
      const frame = readFrameObject(text);
      if (!frame.ok) return frame;
      const { value, ref } = frame;
      const refPart = ref === undefined ? {} : { ref };
      if (typeof value.type !== "string" || !known.includes(value.type)) {
        const shown = typeof value.type === "string"
          ? `unknown type "${value.type.slice(0, 40)}"`
          : "missing type";
        return {
          ok: false,
          refusal: {
            code: "unknown_type",
            message: `Cannot handle frame: ${shown}; expected one of ${known.join(", ")}`,
            ...refPart,
          },
        };
      }
      const parsed = schemas[value.type as ClientTypeA].safeParse(value);
      if (!parsed.success) return { ok: false, refusal: refusalFromIssues(parsed.error, ref) };
      return { ok: true, command: toCommand(parsed.data) };
    },
    encode: encodeA,
  };
}

type FrameA = {
  [K in ClientTypeA]: ReturnType<typeof clientFrameSchemas>["kindA"][K]["_output"];
}[ClientTypeA];

function toCommand(frame: FrameA): Command {
  const ref = frame.ref === undefined ? {} : { ref: frame.ref };
  switch (frame.type) {
    case "createChannel":
      return {
        type: "createChannel",
        channel: frame.message,
        ...(frame.private ? { private: true as const } : {}),
        ...ref,
      };
    case "invite":
    case "kick":
      return { type: frame.type, channel: frame.to, user: frame.user, ...ref };
    case "deleteChannel":
      return { type: "deleteChannel", channel: frame.to, ...ref };
    case "setRole":
      return { type: "setRole", channel: frame.to, user: frame.user, role: frame.role, ...ref };
    case "ban":
    case "mute":
      return {
        type: frame.type,
        channel: frame.to,
        user: frame.user,
        ...(frame.seconds === undefined ? {} : { seconds: frame.seconds }),
        ...ref,
      };
    case "joinChannel":
      return {
        type: "joinChannel",
        channel: frame.to,
        ...(frame.since === undefined ? {} : { since: frame.since }),
        ...ref,
      };
    case "leaveChannel":
      return { type: "leaveChannel", channel: frame.to, ...ref };
    case "broadcast":
      return {
        type: "broadcast",
        channel: frame.to,
        text: frame.message,
        ...extras(frame),
        ...ref,
      };
    case "directMessage":
      return { type: "directMessage", to: frame.to, text: frame.message, ...extras(frame), ...ref };
    case "typing":
      return { type: "typing", to: frame.to, ...ref };
    case "editMessage":
      return { type: "editMessage", in: place(frame), id: frame.id, text: frame.message, ...ref };
    case "deleteMessage":
      return { type: "deleteMessage", in: place(frame), id: frame.id, ...ref };
    case "react":
      return {
        type: "react",
        in: place(frame),
        id: frame.id,
        emoji: frame.emoji,
        ...(frame.remove ? { remove: true as const } : {}),
        ...ref,
      };
    case "markRead":
      return {
        type: "markRead",
        in: place(frame),
        ...(frame.id === undefined ? {} : { id: frame.id }),
        ...ref,
      };
    case "refresh":
      return { type: "refresh", token: frame.token, ...ref };
    case "ping":
      return { type: "ping", ...ref };
    case "members":
      return {
        type: "members",
        channel: frame.to,
        ...(frame.after === undefined ? {} : { after: frame.after }),
        limit: frame.limit ?? DEFAULT_PAGE_LIMIT,
        ...ref,
      };
    case "channels":
      return {
        type: "channels",
        prefix: frame.prefix ?? "",
        ...(frame.after === undefined ? {} : { after: frame.after }),
        limit: frame.limit ?? DEFAULT_PAGE_LIMIT,
        ...ref,
      };
    case "status":
      return {
        type: "status",
        status: frame.status,
        ...(frame.message ? { text: frame.message } : {}),
        ...ref,
      };
    case "presence":
      return { type: "presence", users: frame.users, ...ref };
    case "history":
      return {
        type: "history",
        ...(frame.to === undefined ? {} : { channel: frame.to }),
        ...(frame.with === undefined ? {} : { with: frame.with }),
        ...(frame.before === undefined ? {} : { before: frame.before }),
        limit: frame.limit ?? DEFAULT_HISTORY_LIMIT,
        ...ref,
      };
  }
}

/** What a message carries besides its text, as a command holds it (no key when absent). */
function extras(frame: { replyTo?: string; data?: Record<string, unknown> }): MessageExtras {
  return {
    ...(frame.replyTo === undefined ? {} : { replyTo: frame.replyTo }),
    ...(frame.data === undefined ? {} : { data: frame.data }),
  };
}

/** The channel (`to`) or conversation (`with`) a frame names: its schema let exactly one through. */
function place(frame: { to?: string; with?: string }): Conversation {
  return frame.to === undefined ? { with: frame.with! } : { channel: frame.to };
}
