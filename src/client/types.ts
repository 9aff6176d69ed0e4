/**
 * The client SDK's vocabulary: the frames it sends and receives, typed from
 * the server's own zod schemas (type-only imports, so the SDK carries no
 * zod at run time), its options, its events and its error.
 *
 * @module
 */
import type { z } from "zod";
import type { clientFrameSchemas } from "../protocol/frames.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import type { ServerFrameA } from "../protocol/server_frames.ts";

export type { ErrorCode, ServerFrameA };

type ClientSchemas = ReturnType<typeof clientFrameSchemas>["kindA"];

/** A frame the SDK sends, by `type`, as the server's schema accepts it. */
export type ClientFrame<K extends keyof ClientSchemas = keyof ClientSchemas> = z.input<
  ClientSchemas[K]
>;

/** What others see of a user, in `presence` answers. */
export type UserPresence = ServerFrameA<"presence">["users"][number];

/**
 * A channel's member: their presence, `role` when they are its owner or a
 * moderator, and `read`, how far they have read it, in a channel small
 * enough for read receipts.
 */
export type ChannelMember = ServerFrameA<"members">["members"][number];

/** A role in a channel above a member's. */
export type ChannelRole = NonNullable<ChannelMember["role"]>;

/** The connection's life: see `docs/client.md`. */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

/**
 * A direct message: to this user, or (`copy`) sent by this user from another
 * session; `system: true` when the application's backend posted it through
 * the server API as the system sender `from` (see `isOwn`).
 */
export type DirectMessage = ServerFrameA<"directMessage"> & { copy: boolean };

/** A channel, or the direct conversation with a user (named as the other user). */
export type Conversation = { channel: string } | { with: string };

/**
 * An edit, deletion or reaction of the earlier message `target`, with the
 * conversation it is in. Apply it to a message with `applyChange`.
 */
export type MessageChange =
  & ServerFrameA<"messageEdited" | "messageDeleted" | "reaction">
  & { conversation: Conversation };

/** One emoji's reactions to a message: how many users, and whether this user is one (`mine`). */
export type Reaction = NonNullable<HistoryMessage["reactions"]>[number];

/** Where the user stands in one channel or conversation (see `readPositions`). */
export interface ReadPosition {
  conversation: Conversation;
  /** The id up to which the user has read, on any of their devices. */
  read?: string;
  /** Messages from others after `read`. */
  unread: number;
  /** Of those, the ones that mention the user (channels only). */
  mentions: number;
  /** In a direct conversation: the id up to which the other user has read. */
  theirRead?: string;
}

/** The user read a channel or conversation up to `id`, on this device or another one. */
export type ReadEvent = ServerFrameA<"read"> & { conversation: Conversation };

/** `from` read a channel, or their conversation with this user, up to `id`. */
export type ReadReceipt = ServerFrameA<"readReceipt"> & { conversation: Conversation };

/** Every event a client emits, with its payload. */
export interface ClientEvents {
  /** A channel message, each once, in channel order; `system: true` when a system sender posted it. */
  message: ServerFrameA<"broadcast">;
  /** A direct message (and `sessionUpdate` copies, flagged `copy`), each once, in inbox order. */
  directMessage: DirectMessage;
  /** An earlier message was edited, deleted or reacted to: each once, in order with the messages. */
  change: MessageChange;
  /** On each connect: every read position was replaced by the server's (`readPositions()`). */
  readState: ServerFrameA<"readState">;
  /** The user read a channel or conversation, on this device or another one. */
  read: ReadEvent;
  /** Someone else read a channel, or their conversation with this user. */
  readReceipt: ReadReceipt;
  /** One conversation's read position or counts changed (a `read`, a receipt, a new message). */
  unread: ReadPosition;
  typing: ServerFrameA<"typing">;
  /** A watched channel's member list changed; the list is `client.memberList(channel)`. */
  member: ServerFrameA<"member">;
  memberCount: ServerFrameA<"memberCount">;
  /** A watched channel's whole member list was read again (after a reconnect). */
  members: { channel: string; members: ChannelMember[] };
  joined: ServerFrameA<"joined">;
  left: ServerFrameA<"left">;
  invited: ServerFrameA<"invited">;
  memberships: ServerFrameA<"memberships">;
  /** Every ack, including those of re-sent frames (`duplicate: true`). */
  ack: ServerFrameA<"ack">;
  /** An error frame that answers no request of the application (e.g. `history_truncated`). */
  error: ServerFrameA<"error">;
  state: ClientState;
}

/** Where to connect: one URL, a list tried in turn, or a function giving the next one. */
export type UrlSource = string | readonly string[] | (() => string);

/** The `WebSocket` constructor the SDK uses (the global one by default). */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** Options of `connect`. Exactly one of `username`, `token` or `jwt` identifies the user. */
export interface ConnectOptions {
  /** The endpoint, such as `ws://localhost:8080/ws`. */
  url: UrlSource;
  /** Anonymous mode: the name to claim (empty for a guest name). */
  username?: string;
  /** Anonymous mode: the token of an earlier session of the user. */
  token?: string;
  /** `AUTH_MODE=jwt`: the user's JWT. */
  jwt?: string;
  /** JWT mode: gives a fresh JWT, called before the current one expires and on reconnect. */
  getToken?: () => string | Promise<string>;
  /** Resume from this message id: replay what came after it (direct messages and channels). */
  since?: string;
  /** A `WebSocket` implementation, e.g. the `ws` package on Node 20. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff: first delay and ceiling, in ms. @default 250, 10000 */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** What a message may carry besides its text: the id it replies to, the application's data. */
export type MessageOptions = Pick<ClientFrame<"broadcast">, "replyTo" | "data">;

/** What `history` reads: a channel's messages, or the conversation `with` a user. */
export type HistoryQuery = Conversation & { before?: string; limit?: number };

/**
 * A kept message as `history` returns it, in its current state (`edited`,
 * `deleted` with no text, `reactions`): a channel's, or one of a
 * conversation; `system: true` as when it was delivered live.
 */
export type HistoryMessage = ServerFrameA<"broadcast" | "directMessage" | "sessionUpdate">;

/** A refused request: `code` is the protocol's error code. */
export class NatterError extends Error {
  readonly code: ErrorCode | "closed";
  constructor(code: ErrorCode | "closed", message: string) {
    super(message || code);
    this.name = "NatterError";
    this.code = code;
  }
}
