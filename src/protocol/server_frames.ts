/**
 * The wire contract's outbound half: every frame Natter sends, for both
 * client kinds, as zod schemas (re-exported by `frames.ts`, the one module
 * of the wire contract). The codecs build their frames as values of the
 * types derived here, and the tests check every frame they receive against
 * these schemas.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "./codes.ts";

/** Message ids: `<13-digit ms>-<6-digit sequence>`. */
export const MESSAGE_ID_PATTERN = /^\d{13}-\d{6}$/;

/**
 * Kind-A frames always carry the seed's five keys (`type`, `to`, `from`,
 * `sessionID`, `message`), empty where unused, because seed clients read
 * them without checking; Natter's additions come as further keys.
 */
const baseA = {
  to: z.string(),
  from: z.string(),
  sessionID: z.string(),
  message: z.string(),
};

const MessageId = z.string().regex(MESSAGE_ID_PATTERN);
const Timestamp = z.number().int().nonnegative();

/** What a message may carry besides its text: the message it answers, the application's data. */
const MessageExtras = {
  replyTo: MessageId.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
};

/** A message's state in a history answer or a replay: edited, deleted, its reactions. */
const MessageState = {
  edited: Timestamp.optional(),
  deleted: z.literal(true).optional(),
  reactions: z.array(z.object({
    emoji: z.string(),
    count: z.number().int().positive(),
    mine: z.literal(true).optional(),
  })).optional(),
};

/** A change of message `target`: the conversation is `to` (a channel), or `direct` between `to` and `from`. */
const ChangeFields = {
  id: MessageId,
  ts: Timestamp,
  target: MessageId,
  direct: z.literal(true).optional(),
  replay: z.literal(true).optional(),
};

/** Where a user stands in one channel or conversation. */
const ReadPosition = {
  read: MessageId.optional(),
  unread: z.number().int().nonnegative(),
  mentions: z.number().int().nonnegative(),
};

/** Flags a delivered message may carry. */
const MessageFlags = {
  /** Sent again from history (resume), not live. */
  replay: z.literal(true).optional(),
  /** The broker was unreachable: only members on the sender's instance got it. */
  local: z.literal(true).optional(),
  /** Posted through the server API by a system sender, not by a user. */
  system: z.literal(true).optional(),
};

/** What others see of a user, in `presence` answers (and in `members` ones, with a role). */
const UserPresence = z.object({
  name: z.string(),
  online: z.boolean(),
  status: z.enum(["online", "away"]),
  text: z.string().optional(),
  lastSeen: Timestamp.optional(),
});

/**
 * A channel's member in a `members` answer: their presence, and `role` when
 * they are the channel's owner or one of its moderators (absent for a plain
 * member). Only here: a `presence` answer is about users, not a channel.
 */
const ChannelMember = UserPresence.extend({
  role: z.enum(["owner", "moderator"]).optional(),
  /** How far the member has read the channel: in channels of at most READ_RECEIPTS_MAX_MEMBERS. */
  read: MessageId.optional(),
});

/** Every frame Natter sends to a kind-A client, by `type`. */
export const ServerFramesA = {
  sessionID: z.object({
    ...baseA,
    type: z.literal("sessionID"),
    username: z.string(),
    token: z.string(),
    /** Direct messages that came while the user had no session (replayed next). */
    unread: z.number().int().nonnegative(),
  }),
  userList: z.object({ ...baseA, type: z.literal("userList") }),
  channelList: z.object({ ...baseA, type: z.literal("channelList") }),
  broadcast: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("broadcast"),
    id: MessageId,
    ts: Timestamp,
    ...MessageExtras,
    ...MessageState,
  }),
  directMessage: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("directMessage"),
    id: MessageId,
    ts: Timestamp,
    ...MessageExtras,
    ...MessageState,
  }),
  sessionUpdate: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("sessionUpdate"),
    id: MessageId,
    ts: Timestamp,
    ...MessageExtras,
    ...MessageState,
  }),
  typing: z.object({ ...baseA, type: z.literal("typing") }),
  /** `from` edited message `target`; `message` is its new text. */
  messageEdited: z.object({ ...baseA, ...ChangeFields, type: z.literal("messageEdited") }),
  /** `from` deleted message `target`. */
  messageDeleted: z.object({ ...baseA, ...ChangeFields, type: z.literal("messageDeleted") }),
  /** `from` added (`added`) or took back an `emoji` reaction to `target`; `count` users have it now. */
  reaction: z.object({
    ...baseA,
    ...ChangeFields,
    type: z.literal("reaction"),
    emoji: z.string(),
    added: z.boolean(),
    count: z.number().int().nonnegative(),
  }),
  /** On connect: the user's read position and unread counts in each channel and recent conversation. */
  readState: z.object({
    ...baseA,
    type: z.literal("readState"),
    channels: z.array(z.object({ name: z.string(), ...ReadPosition })),
    /** `theirRead`: how far the other user has read the conversation. */
    conversations: z.array(
      z.object({ with: z.string(), ...ReadPosition, theirRead: MessageId.optional() }),
    ),
    /** The newest id the counts include: messages from others after it are not in them. */
    countedTo: MessageId.optional(),
  }),
  /** The user (on any device) has read channel `to`, or the conversation `with`, up to `id`. */
  read: z.object({
    ...baseA,
    type: z.literal("read"),
    with: z.string().optional(),
    id: MessageId,
    unread: z.number().int().nonnegative(),
    mentions: z.number().int().nonnegative(),
    /** The newest id the counts include: messages from others after it are not in them. */
    countedTo: MessageId.optional(),
  }),
  /** `from` has read channel `to`, or (`direct`) the conversation with this user, up to `id`. */
  readReceipt: z.object({
    ...baseA,
    type: z.literal("readReceipt"),
    id: MessageId,
    direct: z.literal(true).optional(),
  }),
  /** The user's channels, with their newest ids: this session is in them when `live`. */
  memberships: z.object({
    ...baseA,
    type: z.literal("memberships"),
    live: z.boolean(),
    channels: z.array(z.object({ name: z.string(), last: MessageId.optional() })),
    /** Private channels the user holds an invitation to and is not in: `joinChannel` works. */
    invited: z.array(z.string()),
  }),
  /** `from` invited this user to the private channel `to`: `joinChannel` now works. */
  invited: z.object({ ...baseA, type: z.literal("invited") }),
  /** Another session of the user joined `to`: this session is a member now too. */
  joined: z.object({ ...baseA, type: z.literal("joined") }),
  /** Another session of the user left `to`: so did this one. */
  left: z.object({ ...baseA, type: z.literal("left") }),
  /** A page of the channel `to`'s members; then `member` or `memberCount` frames keep it current. */
  members: z.object({
    ...baseA,
    type: z.literal("members"),
    ref: z.string().optional(),
    members: z.array(ChannelMember),
    count: z.number().int().nonnegative(),
    next: z.string().optional(),
  }),
  /** A member `from` of the watched channel `to` joined, left, or changed status (`message`: text). */
  member: z.object({
    ...baseA,
    type: z.literal("member"),
    event: z.enum(["joined", "left", "status", "role"]),
    online: z.boolean(),
    status: z.enum(["online", "away"]),
    lastSeen: Timestamp.optional(),
    /** With `event: "role"`: the member's role now; absent, a plain member. */
    role: z.enum(["owner", "moderator"]).optional(),
  }),
  /** The watched channel `to` is too big for per-member events: its counts, when they change. */
  memberCount: z.object({
    ...baseA,
    type: z.literal("memberCount"),
    members: z.number().int().nonnegative(),
    online: z.number().int().nonnegative(),
  }),
  /** A page of public channels found by prefix (`to`: the prefix). */
  channels: z.object({
    ...baseA,
    type: z.literal("channels"),
    ref: z.string().optional(),
    channels: z.array(z.object({ name: z.string(), members: z.number().int().nonnegative() })),
    next: z.string().optional(),
  }),
  /** The answer to a `presence` request: each user named, in order. */
  presence: z.object({
    ...baseA,
    type: z.literal("presence"),
    ref: z.string().optional(),
    users: z.array(UserPresence),
  }),
  /** The answer to a `ping`, as seed A's server gave it; with the ping's `ref` if it had one. */
  pong: z.object({ ...baseA, type: z.literal("pong"), ref: z.string().optional() }),
  ack: z.object({
    ...baseA,
    type: z.literal("ack"),
    ref: z.string(),
    id: MessageId.optional(),
    /** The `ref` was already published within DEDUP_WINDOW_MS: `id` is the first publish's. */
    duplicate: z.literal(true).optional(),
  }),
  error: z.object({
    ...baseA,
    type: z.literal("error"),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    ref: z.string().optional(),
  }),
  /** The answer to a `history` request: `to` (channel) or `with` (user), messages oldest first. */
  history: z.object({
    ...baseA,
    type: z.literal("history"),
    with: z.string().optional(),
    ref: z.string().optional(),
    messages: z.array(z.record(z.string(), z.unknown())),
  }),
};

/** Any frame Natter sends to a kind-A client. */
export const ServerFrameA = z.discriminatedUnion("type", [
  ServerFramesA.sessionID,
  ServerFramesA.userList,
  ServerFramesA.channelList,
  ServerFramesA.broadcast,
  ServerFramesA.directMessage,
  ServerFramesA.sessionUpdate,
  ServerFramesA.typing,
  ServerFramesA.messageEdited,
  ServerFramesA.messageDeleted,
  ServerFramesA.reaction,
  ServerFramesA.readState,
  ServerFramesA.read,
  ServerFramesA.readReceipt,
  ServerFramesA.pong,
  ServerFramesA.memberships,
  ServerFramesA.invited,
  ServerFramesA.joined,
  ServerFramesA.left,
  ServerFramesA.ack,
  ServerFramesA.error,
  ServerFramesA.history,
  ServerFramesA.members,
  ServerFramesA.member,
  ServerFramesA.memberCount,
  ServerFramesA.channels,
  ServerFramesA.presence,
]);

/**
 * A frame Natter sends to a kind-A client, as the value codec A builds:
 * `ServerFrameA<"ack">` is an ack, `ServerFrameA` any of them. Deriving it
 * from the schema makes an encoder that drifts from it (a missing or an
 * unknown key, a wrong type) fail type-checking.
 */
export type ServerFrameA<K extends keyof typeof ServerFramesA = keyof typeof ServerFramesA> =
  z.output<(typeof ServerFramesA)[K]>;

/** Every frame Natter sends to a kind-B client. */
export const ServerFramesB = {
  /** A lobby message, or an announcement from `Server`. */
  message: z.object({
    sender: z.string(),
    text: z.string(),
    id: MessageId,
    ts: Timestamp,
    local: z.literal(true).optional(),
  }),
  ack: z.object({
    type: z.literal("ack"),
    sender: z.literal("Server"),
    text: z.string(),
    ref: z.string(),
    id: MessageId.optional(),
    duplicate: z.literal(true).optional(),
  }),
  /** Refused input; `username_taken` has the seed's text "Username already taken" and closes. */
  error: z.object({
    type: z.literal("error"),
    sender: z.literal("Server"),
    text: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    ref: z.string().optional(),
  }),
};

/** Any frame Natter sends to a kind-B client. */
export const ServerFrameB = z.union([
  ServerFramesB.message,
  ServerFramesB.ack,
  ServerFramesB.error,
]);

/** A frame Natter sends to a kind-B client, as the value codec B builds: see `ServerFrameA`. */
export type ServerFrameB<K extends keyof typeof ServerFramesB = keyof typeof ServerFramesB> =
  z.output<(typeof ServerFramesB)[K]>;
