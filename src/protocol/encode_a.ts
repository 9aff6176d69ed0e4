/**
 * Encoding for kind-A clients: every outbound event as the frame its schema
 * in `server_frames.ts` describes, the seed's five keys first.
 *
 * @module
 */
import type { Conversation, DeliveredMessage, MessageChange, Outbound } from "./commands.ts";
import type { ServerFrameA } from "./frames.ts";

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
    edited: message.edited,
    deleted: message.deleted,
    reactions: message.reactions,
    replay,
    local: message.local,
    system: message.system,
  };
}

/** The frame of a change of an earlier message, live or replayed. */
function changeFrame(
  message: DeliveredMessage & { change: MessageChange },
  direct: boolean,
  replay?: true,
): string {
  const { change } = message;
  const common = {
    to: message.to,
    from: message.from,
    sessionID: "",
    message: message.text,
    id: message.id,
    ts: message.ts,
    target: change.target,
    direct: direct ? true as const : undefined,
    replay,
  };
  switch (change.action) {
    case "edit":
      return JSON.stringify(
        { type: "messageEdited", ...common } satisfies ServerFrameA<"messageEdited">,
      );
    case "delete":
      return JSON.stringify(
        { type: "messageDeleted", ...common } satisfies ServerFrameA<"messageDeleted">,
      );
    case "react":
      return JSON.stringify(
        {
          type: "reaction",
          ...common,
          emoji: change.emoji,
          added: change.added,
          count: change.count,
        } satisfies ServerFrameA<"reaction">,
      );
  }
}

/** A conversation as kind-A frames name it: `to` a channel, or `with` a user. */
function placeKeys(where: Conversation): { to: string; with?: string } {
  return "channel" in where ? { to: where.channel } : { to: "", with: where.with };
}

/**
 * The kind-A frame for `event`: one object literal typed by its outbound
 * schema, in the wire's key order (the seed's five keys, empty where unused,
 * then Natter's). An optional key holding `undefined` is left out by
 * JSON.stringify, so no conditional spreads on this hot path (one encode
 * per message per client kind).
 */
export function encodeA(event: Outbound): string | undefined {
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
    case "change":
      return changeFrame(event.message, event.direct, event.replay);
    case "readState":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "readState",
          channels: event.channels.map(({ channel, ...position }) => ({
            name: channel,
            ...position,
          })),
          conversations: event.conversations,
          countedTo: event.countedTo,
        } satisfies ServerFrameA<"readState">,
      );
    case "read":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "read",
          ...placeKeys(event.in),
          id: event.position.read,
          unread: event.position.unread,
          mentions: event.position.mentions,
          countedTo: event.countedTo,
        } satisfies ServerFrameA<"read">,
      );
    case "readReceipt":
      return JSON.stringify(
        {
          ...EMPTY,
          type: "readReceipt",
          to: "channel" in event.in ? event.in.channel : "",
          from: event.from,
          id: event.id,
          direct: "channel" in event.in ? undefined : true,
        } satisfies ServerFrameA<"readReceipt">,
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
