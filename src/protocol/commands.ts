/**
 * What flows between the codecs and the core: a validated `Command` decoded
 * from one client frame, and an `Outbound` event the core asks a codec to
 * encode for its client kind. Neither knows anything about the wire shape,
 * so both client kinds drive one core.
 *
 * @module
 */
import type { ErrorCode } from "./codes.ts";

/** One validated client request. `ref` is the client's correlation id, if it sent one. */
export type Command =
  /** `private`: only the creator (its owner) and whom it invites may join, and only members see it. */
  | { type: "createChannel"; channel: string; private?: true; ref?: string }
  /** Lets `user` join the private `channel`; the owner's or a moderator's to give. */
  | { type: "invite"; channel: string; user: string; ref?: string }
  /** The owner makes `user` a moderator of `channel`, or a member again. */
  | { type: "setRole"; channel: string; user: string; role: "moderator" | "member"; ref?: string }
  /**
   * Moderation by the owner or a moderator, of a user below them: `kick`
   * removes them from the channel, `ban` too and keeps them out, `mute`
   * keeps them from posting; `seconds` bounds a ban or mute (absent: for
   * good, 0: lifts it).
   */
  | { type: "kick"; channel: string; user: string; ref?: string }
  /** The owner deletes `channel`: its members leave it, its history goes, its name is free. */
  | { type: "deleteChannel"; channel: string; ref?: string }
  | { type: "ban" | "mute"; channel: string; user: string; seconds?: number; ref?: string }
  | { type: "joinChannel"; channel: string; since?: string; ref?: string }
  | { type: "leaveChannel"; channel: string; ref?: string }
  | ({ type: "broadcast"; channel: string; text: string; ref?: string } & MessageExtras)
  | ({ type: "directMessage"; to: string; text: string; ref?: string } & MessageExtras)
  | { type: "typing"; to: string; ref?: string }
  /** The author replaces the text of their message `id` in `in`. */
  | { type: "editMessage"; in: Conversation; id: string; text: string; ref?: string }
  /** The author, or an owner or moderator of the channel, deletes message `id` in `in`. */
  | { type: "deleteMessage"; in: Conversation; id: string; ref?: string }
  /** Adds the user's `emoji` reaction to message `id` in `in`, or with `remove` takes it back. */
  | { type: "react"; in: Conversation; id: string; emoji: string; remove?: true; ref?: string }
  /** The user has read `in` up to `id` (absent: up to its newest message). */
  | { type: "markRead"; in: Conversation; id?: string; ref?: string }
  /** A keep-alive: answered with `pong`, counted as activity, never refused for its content. */
  | { type: "ping"; ref?: string }
  /** AUTH_MODE=jwt: a newer token for the same user, before the current one expires. */
  | { type: "refresh"; token: string; ref?: string }
  /** A page of a channel's history (`channel`) or of the conversation with a user (`with`). */
  | {
    type: "history";
    channel?: string;
    with?: string;
    before?: string;
    limit: number;
    ref?: string;
  }
  /** A page of `channel`'s members; the session then watches the channel's presence. */
  | { type: "members"; channel: string; after?: string; limit: number; ref?: string }
  /** A page of public channels whose names start with `prefix`. */
  | { type: "channels"; prefix: string; after?: string; limit: number; ref?: string }
  /** Sets the user's status and custom text (none when absent). */
  | { type: "status"; status: UserStatus; text?: string; ref?: string }
  /** What others see of each of `users`. */
  | { type: "presence"; users: string[]; ref?: string }
  /** Kind B: registers `sender` on the first frame, says `text` in the lobby afterwards. */
  | { type: "say"; sender: string; text: string; ref?: string };

/** A refusal of one client frame: sent back as an `error` frame. */
export interface Refusal {
  code: ErrorCode;
  message: string;
  ref?: string;
}

/** The result of decoding one text frame. */
export type Decoded = { ok: true; command: Command } | { ok: false; refusal: Refusal };

/** A channel, or the direct conversation with one user: where a message is, from a user's side. */
export type Conversation = { channel: string } | { with: string };

/**
 * What a message may carry besides its text: the id of the message it
 * answers (in the same channel or conversation), and the application's
 * data (attachment metadata, mentions…), delivered and stored unchanged.
 */
export interface MessageExtras {
  replyTo?: string;
  data?: Record<string, unknown>;
}

/** A chat message as delivered: stamped by the broker with `id` and `ts`. */
export interface DeliveredMessage extends MessageExtras {
  /** Unique; string order is the channel's (or conversation's) order. */
  id: string;
  /** Milliseconds since the epoch, assigned when published. */
  ts: number;
  from: string;
  /** Channel name, or recipient username for direct messages. */
  to: string;
  text: string;
  /** Set when the broker was unreachable: only members on the sender's instance got it. */
  local?: true;
  /**
   * Posted by the application's backend through the server API as a system
   * sender (`from` is that sender's name, not a user's): shown apart.
   */
  system?: true;
  /**
   * Set on an entry that changes an earlier message instead of being one:
   * stamped and stored like a message, in the same order. `text` is then the
   * edited text, or empty.
   */
  change?: MessageChange;
  /** In history: when the text was last edited (ms). */
  edited?: number;
  /** In history and replays: the message was deleted; its text and data are gone. */
  deleted?: true;
  /** In history: the message's reactions, in code-point order of the emoji. */
  reactions?: Reaction[];
}

/**
 * A change of the message `target`: its author edited it (the entry's
 * `text` is the new text), someone who may deleted it, or a user added or
 * took back a reaction (`count`: how many users have that reaction now).
 */
export type MessageChange =
  | { action: "edit"; target: string }
  | { action: "delete"; target: string }
  | { action: "react"; target: string; emoji: string; added: boolean; count: number };

/** Whether a stamped entry is a change of an earlier message rather than a message. */
export function isChange(
  message: DeliveredMessage,
): message is DeliveredMessage & { change: MessageChange } {
  return message.change !== undefined;
}

/** One emoji's reactions to a message: how many users, and whether the reader is one. */
export interface Reaction {
  emoji: string;
  count: number;
  mine?: true;
}

/** Where a user stands in one channel or conversation. */
export interface ReadPosition {
  /** The id up to which the user has read, if they marked any. */
  read?: string;
  /** Messages from others after it. */
  unread: number;
  /** Of those, the ones that mention the user (channels only). */
  mentions: number;
}

/** A status a user chooses; offline is not chosen: it is having no session. */
export type UserStatus = "online" | "away";

/** What others see of a user: online or not, their status and text, and when last seen. */
export interface Presence {
  name: string;
  online: boolean;
  /** The status the user chose ("online" unless set); it is kept while offline too. */
  status: UserStatus;
  /** A short custom text, if the user set one. */
  text?: string;
  /** When the user's last session ended (ms), if they are offline and it is known. */
  lastSeen?: number;
}

/** A role in a channel above a member's: the owner (its creator) or a moderator it appointed. */
export type ChannelRole = "owner" | "moderator";

/**
 * A channel's member as a `members` answer lists it: their presence, and
 * their role in that channel when above a member's (a plain member has no
 * `role`, so the common case costs nothing on the wire).
 */
export interface ChannelMember extends Presence {
  role?: ChannelRole;
  /** How far the member has read the channel, where it shows read receipts. */
  read?: string;
}

/** A page of a channel's members, in user-key order. */
export interface MemberPage {
  members: ChannelMember[];
  /** The cursor of the next page (`after`), when there is one. */
  next?: string;
  /** How many members the channel has. */
  count: number;
}

/** Who of a channel's members is online, for lists and counts. */
export interface OnlineMembers {
  /** Names of online members, at most the limit asked for. */
  names: string[];
  /** How many members are online. */
  online: number;
  /** How many members the channel has. */
  members: number;
}

/** One page of public channels found by prefix, in code-point order. */
export interface ChannelPage {
  channels: { name: string; members: number }[];
  next?: string;
}

/** Something the core tells a client; each codec encodes it or skips it. */
export type Outbound =
  /** `unread`: direct messages that came while the user had no session. */
  | { type: "welcome"; sessionId: string; username: string; token: string; unread: number }
  | { type: "userList"; names: readonly string[] }
  | { type: "channelList"; names: readonly string[] }
  | { type: "channelMessage"; message: DeliveredMessage; replay?: true }
  /** `copy` is true for the sender's other sessions (seed type `sessionUpdate`). */
  | { type: "directMessage"; message: DeliveredMessage; copy: boolean; replay?: true }
  /** Messages oldest first, each as it was delivered: channel or direct messages. */
  | {
    type: "history";
    to?: string;
    with?: string;
    ref?: string;
    messages: (
      | { type: "channelMessage"; message: DeliveredMessage }
      | { type: "directMessage"; message: DeliveredMessage; copy: boolean }
    )[];
  }
  | { type: "typing"; from: string; to: string }
  | { type: "pong"; ref?: string }
  /**
   * The user's channels, each with its newest message id, if any: the new
   * session is in them (`live`), or, resuming, rejoins them itself.
   */
  | {
    type: "memberships";
    live: boolean;
    channels: { name: string; last?: string }[];
    /** Private channels the user is invited to and not in. */
    invited: string[];
  }
  /** `from` invited this user to the private `channel`. */
  | { type: "invited"; channel: string; from: string }
  /** Another session of the user joined or left `channel`; this one followed. */
  | { type: "joined"; channel: string }
  /** `reason`: a moderator kicked or banned the user, or the owner deleted the channel. */
  | { type: "left"; channel: string; reason?: "kicked" | "banned" | "deleted" }
  | { type: "members"; channel: string; page: MemberPage; ref?: string }
  /** A member of a channel the session watches joined, left, or changed status. */
  | {
    type: "member";
    channel: string;
    event: "joined" | "left" | "status" | "role";
    presence: Presence;
    /** With `event: "role"`: the member's role now (absent: a plain member). */
    role?: ChannelRole;
  }
  /** A watched channel too big for per-member events: its counts. */
  | { type: "memberCount"; channel: string; members: number; online: number }
  | { type: "channels"; prefix: string; page: ChannelPage; ref?: string }
  | { type: "presence"; users: Presence[]; ref?: string }
  | { type: "ack"; ref: string; id?: string; duplicate?: true }
  /** A change of an earlier message, live or replayed (`replay`); `direct` in a conversation. */
  | {
    type: "change";
    message: DeliveredMessage & { change: MessageChange };
    direct: boolean;
    replay?: true;
  }
  /** On connect: where the user stands in each of their channels and recent conversations. */
  | {
    type: "readState";
    channels: (ReadPosition & { channel: string })[];
    /** `theirRead`: how far the other user has read the conversation. */
    conversations: (ReadPosition & { with: string; theirRead?: string })[];
    /** The newest id the counts include. */
    countedTo?: string;
  }
  /** The user (on any device) moved their read position in `in`. */
  | {
    type: "read";
    in: Conversation;
    position: ReadPosition & { read: string };
    /** The newest id the counts include. */
    countedTo?: string;
  }
  /** `from` has read up to `id` in the channel, or in the conversation with this user. */
  | { type: "readReceipt"; in: Conversation; from: string; id: string }
  | ({ type: "error" } & Refusal);

/** Turns frames of one client kind into commands and outbound events into frames. */
export interface Codec {
  readonly kind: "A" | "B";
  decode(text: string): Decoded;
  /** The frame for `event`, or `undefined` when this kind has no such frame. */
  encode(event: Outbound): string | undefined;
}
