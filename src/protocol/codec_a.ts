/**
 * Codec for kind-A clients (the "Distributed-Chat-App" protocol): JSON frames
 * `{"type","to","from","sessionID","message"}`, plus Natter's `ref`, `id`,
 * `ts`, `code`, `username` and `token` keys. Whatever `from` or `sessionID`
 * a client sends is ignored: the core knows who is speaking.
 *
 * @module
 */
import type {
  Codec,
  Command,
  Decoded,
  DeliveredMessage,
  MessageExtras,
  Outbound,
} from "./commands.ts";
import {
  clientFrameSchemas,
  type ClientTypeA,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_PAGE_LIMIT,
  type FrameLimits,
  type ServerFrameA,
} from "./frames.ts";
import { readFrameObject, refusalFromIssues } from "./decode.ts";

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

/** The seed's keys, empty: the start of every answer frame that has no use for them. */
const EMPTY = { to: "", from: "", sessionID: "", message: "" } as const;

/** The frames of a delivered message: live, replayed, or inside a history answer. */
type MessageFrame = ServerFrameA<"broadcast" | "directMessage" | "sessionUpdate">;

/** A delivered message as a kind-A frame, with its flags. */
function messageFrame(
  type: MessageFrame["type"],
  message: DeliveredMessage,
  replay?: true,
): MessageFrame {
  return {
    type,
    to: message.to,
    from: message.from,
    sessionID: "",
    message: message.text,
    id: message.id,
    ts: message.ts,
    replyTo: message.replyTo,
    data: message.data,
    replay,
    local: message.local,
  };
}

/** What a message carries besides its text, as a command holds it (no key when absent). */
function extras(frame: { replyTo?: string; data?: Record<string, unknown> }): MessageExtras {
  return {
    ...(frame.replyTo === undefined ? {} : { replyTo: frame.replyTo }),
    ...(frame.data === undefined ? {} : { data: frame.data }),
  };
}

/**
 * The kind-A frame for `event`: one object literal typed by its outbound
 * schema, in the wire's key order (the seed's five keys, empty where unused,
 * then Natter's). An optional key holding `undefined` is left out by
 * JSON.stringify, so no conditional spreads on this hot path (one encode
 * per message per client kind).
 */
function encodeA(event: Outbound): string | undefined {
  switch (event.type) {
    case "welcome":
      return JSON.stringify(
        {
          type: "sessionID",
          to: "",
          from: "",
          sessionID: event.sessionId,
          message: event.sessionId,
          username: event.username,
          token: event.token,
          unread: event.unread,
        } satisfies ServerFrameA<"sessionID">,
      );
    case "userList":
    case "channelList":
      return JSON.stringify(
        {
          type: event.type,
          to: "",
          from: "",
          sessionID: "",
          message: JSON.stringify(event.names),
        } satisfies ServerFrameA<"userList" | "channelList">,
      );
    case "channelMessage":
      return JSON.stringify(messageFrame("broadcast", event.message, event.replay));
    case "directMessage":
      return JSON.stringify(
        messageFrame(event.copy ? "sessionUpdate" : "directMessage", event.message, event.replay),
      );
    case "history":
      return JSON.stringify(
        {
          type: "history",
          to: event.to ?? "",
          from: "",
          sessionID: "",
          message: "",
          with: event.with,
          ref: event.ref,
          messages: event.messages.map((item) =>
            item.type === "channelMessage"
              ? messageFrame("broadcast", item.message)
              : messageFrame(item.copy ? "sessionUpdate" : "directMessage", item.message)
          ),
        } satisfies ServerFrameA<"history">,
      );
    case "typing":
      return JSON.stringify(
        {
          type: "typing",
          to: event.to,
          from: event.from,
          sessionID: "",
          message: "",
        } satisfies ServerFrameA<"typing">,
      );
    case "memberships":
      return JSON.stringify(
        {
          type: "memberships",
          to: "",
          from: "",
          sessionID: "",
          message: "",
          live: event.live,
          channels: event.channels,
          invited: event.invited,
        } satisfies ServerFrameA<"memberships">,
      );
    case "invited":
      return JSON.stringify(
        {
          type: "invited",
          to: event.channel,
          from: event.from,
          sessionID: "",
          message: "",
        } satisfies ServerFrameA<"invited">,
      );
    case "joined":
    case "left":
      return JSON.stringify(
        {
          type: event.type,
          to: event.channel,
          from: "",
          sessionID: "",
          message: event.type === "left" ? event.reason ?? "" : "",
        } satisfies ServerFrameA<"joined" | "left">,
      );
    case "members":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "members",
          to: event.channel,
          ref: event.ref,
          members: event.page.members,
          count: event.page.count,
          next: event.page.next,
        } satisfies ServerFrameA<"members">,
      );
    case "member":
      return JSON.stringify(
        {
          type: "member",
          to: event.channel,
          from: event.presence.name,
          sessionID: "",
          message: event.presence.text ?? "",
          event: event.event,
          online: event.presence.online,
          status: event.presence.status,
          lastSeen: event.presence.lastSeen,
          role: event.role,
        } satisfies ServerFrameA<"member">,
      );
    case "memberCount":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "memberCount",
          to: event.channel,
          members: event.members,
          online: event.online,
        } satisfies ServerFrameA<"memberCount">,
      );
    case "channels":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "channels",
          to: event.prefix,
          ref: event.ref,
          channels: event.page.channels,
          next: event.page.next,
        } satisfies ServerFrameA<"channels">,
      );
    case "presence":
      return JSON.stringify(
        { ...EMPTY, type: "presence", ref: event.ref, users: event.users } satisfies ServerFrameA<
          "presence"
        >,
      );
    case "pong":
      return JSON.stringify(
        {
          type: "pong",
          to: "",
          from: "",
          sessionID: "",
          message: "",
          ref: event.ref,
        } satisfies ServerFrameA<"pong">,
      );
    case "ack":
      return JSON.stringify(
        {
          type: "ack",
          to: "",
          from: "",
          sessionID: "",
          message: "",
          ref: event.ref,
          id: event.id,
          duplicate: event.duplicate,
        } satisfies ServerFrameA<"ack">,
      );
    case "error":
      return JSON.stringify(
        {
          type: "error",
          to: "",
          from: "",
          sessionID: "",
          message: event.message,
          code: event.code,
          ref: event.ref,
        } satisfies ServerFrameA<"error">,
      );
  }
}
