/**
 * The broker contract: everything the core needs that is shared between
 * Natter instances. A message bus (publish and subscribe by topic), a user
 * directory (username claims and who is online) and a channel registry.
 * What a broker has to tell the core (deliveries, lost claims) goes to one
 * handler registered once (`Broker.onEvents`), so a broker never reaches
 * into the core. The in-memory broker implements it for one process; the
 * Redis broker for a cluster. The core uses both the same way, and
 * `tests/broker/contract.ts` holds every implementation to this text.
 *
 * @module
 */
import { userKey } from "../protocol/names.ts";
import type {
  ChannelMember,
  ChannelPage,
  ChannelRole,
  DeliveredMessage,
  MemberPage,
  MessageExtras,
  OnlineMembers,
  Presence,
  UserStatus,
} from "../protocol/commands.ts";

export { BrokerUnavailableError, MutedError, ReplyNotFoundError } from "./errors.ts";

export type {
  ChannelMember,
  ChannelPage,
  ChannelRole,
  MemberPage,
  OnlineMembers,
  Presence,
  UserStatus,
};

/** A pub/sub address: `channel:<name>` or `user:<key>` (see `channelTopic`, `userTopic`). */
export type Topic = string;

/** The topic of a channel's messages and typing signals. */
export function channelTopic(channel: string): Topic {
  return `channel:${channel}`;
}

/** The topic of everything addressed to one user's sessions. */
export function userTopic(key: string): Topic {
  return `user:${key}`;
}

/** Where a draft's `replyTo` must be kept: its channel, or the sender's inbox for a direct message. */
export function replyTopic(draft: { kind: "channel" | "direct"; from: string; to: string }): Topic {
  return draft.kind === "channel" ? channelTopic(draft.to) : userTopic(userKey(draft.from));
}

/**
 * A chat message as the core hands it to the broker, before it is stamped;
 * its extras are stored and delivered with it.
 */
export type MessageDraft =
  & MessageExtras
  & (
    | { kind: "channel"; from: string; to: string; text: string }
    | {
      kind: "direct";
      from: string;
      to: string;
      text: string;
      /** The sending session, which gets no copy of its own direct message: delivered live, never stored. */
      senderSession: string;
    }
  )
  & {
    /**
     * Makes the publish idempotent: a second publish with the same key within
     * the dedup window stores and delivers nothing and returns the first
     * message. Opaque to the broker: the core decides which publishes are one.
     */
    dedupKey?: string;
  };

/** What `publish` answers. */
export interface Published {
  message: DeliveredMessage;
  /** True when `dedupKey` matched an earlier publish: `message` is that one's. */
  duplicate: boolean;
}

/** One retained message of a topic, as stored: never the sending session. */
export type StoredEnvelope =
  | { kind: "channel"; message: DeliveredMessage }
  | { kind: "direct"; message: DeliveredMessage };

/** Retained messages after an id. */
export interface HistorySince {
  envelopes: StoredEnvelope[];
  /** True when messages after the id were dropped (limit or age): `envelopes` is what is left. */
  truncated: boolean;
}

/** What a broker delivers on a topic. */
export type Envelope =
  | { kind: "channel"; message: DeliveredMessage }
  | {
    kind: "direct";
    message: DeliveredMessage;
    /** The sending session, which gets no copy of its own direct message; carried live, never stored. */
    senderSession?: string;
  }
  | Signal;

/** A transient, unstamped envelope: never stored, delivered live only. */
export type Signal =
  | { kind: "typing"; from: string; to: string }
  /**
   * On a user's topic: the user joined (`member`) or left `channel`, so each
   * of their other sessions follows; the session that did it is left out.
   */
  | {
    kind: "membership";
    channel: string;
    member: boolean;
    exceptSession: string;
    /** Set when a moderator removed the user, or the owner deleted the channel. */
    reason?: "kicked" | "banned" | "deleted";
  }
  /** On a user's topic: `from` invited the user to the private `channel`. */
  | { kind: "invited"; channel: string; from: string }
  /** On a channel's topic: a member joined or left it, or changed status (see `PresenceChange`). */
  | PresenceChange;

/**
 * What a member's change tells the members of one channel: `joined` or
 * `left` the channel, a new `status` (online, away, offline, custom text),
 * or a new `role` there (`role` absent: a plain member). `members` is the
 * channel's size when it was sent, so that a receiver knows whether the
 * channel is small enough for per-member events.
 */
export interface PresenceChange extends Presence {
  kind: "presence";
  event: "joined" | "left" | "status" | "role";
  role?: ChannelRole;
  members: number;
}

/** A delivered channel or direct message: an envelope with an id, live or backfilled. */
export type MessageEnvelope = Exclude<Envelope, Signal>;

/** Whether `envelope` is a stamped message (not a signal). */
export function isMessage(envelope: Envelope): envelope is MessageEnvelope {
  return envelope.kind === "channel" || envelope.kind === "direct";
}

/** What a broker tells the core of its instance; registered once with `Broker.onEvents`. */
export interface BrokerEvents {
  /** An envelope published on a topic this instance subscribes to. */
  deliver(topic: Topic, envelope: Envelope): void;
  /** A session of this instance lost its claim: another user holds the name after a broker outage. The core closes it. */
  revoked(sessionId: string): void;
  /**
   * Users whose every session vanished without closing (their instance
   * died) went offline when their presence expired; each is reported to
   * exactly one instance, which tells their channels.
   */
  expired(names: string[]): void;
}

/** Publish and subscribe, shared by every instance. */
export interface MessageBus {
  /**
   * Stamps `draft` with an `id` and a `ts`, stores it in the history of each
   * of `topics` and delivers it once to every instance subscribed to any of
   * them (an instance subscribed to two of them receives it once per topic),
   * all in one atomic step. Ids are unique and, on each topic, increase in
   * the order of storage and of delivery, identical for every subscriber.
   * Live delivery is at most once: an instance not subscribed when the
   * message is published never sees it live, but finds it in the history.
   * A direct message's `senderSession` travels with its deliveries (always
   * on the sender's topic on the publishing instance, where the sending
   * session is) and never into the history.
   * Resolves once the message is stored; rejects with
   * `BrokerUnavailableError` when it could not be, in which case no other
   * instance receives it, and with `MutedError` (nothing published) for a
   * channel message whose author is muted in that channel, and with
   * `ReplyNotFoundError` (nothing published) when `replyTo` is no kept message
   * of `replyTopic(draft)`: the channel, or for a direct message the sender's
   * own inbox (what they can read), and there one between the same two users.
   */
  publish(topics: readonly Topic[], draft: MessageDraft): Promise<Published>;
  /** The message published with `dedupKey` within the dedup window, if any. */
  recall(dedupKey: string): Promise<DeliveredMessage | undefined>;
  /** Delivers a transient, unstamped envelope (typing, membership) like `publish`. */
  signal(topic: Topic, envelope: Signal): Promise<void>;
  /** Starts delivery of `topic` to this instance; resolves once messages published afterwards will arrive. Idempotent. */
  subscribe(topic: Topic): Promise<void>;
  /** Stops delivery of `topic` to this instance. Idempotent. */
  unsubscribe(topic: Topic): Promise<void>;
}

/** A user as the directory knows it. */
export interface UserRecord {
  /** The name as first claimed (uniqueness is case-insensitive). */
  name: string;
  /** The client kind of the user's sessions; kind-B users hold exactly one. */
  kind: "A" | "B";
}

/** A user who holds a name: with live sessions, or within the grace after the last one ended. */
export interface HeldUser extends UserRecord {
  /** Whether the user has a live session now. */
  online: boolean;
}

/** A request to open a session under a user. */
export interface OpenSessionRequest {
  /** The wanted username; absent to join the user holding `presentedTokenHash`. */
  name?: string;
  /** Hash of the token the client presented, if any. */
  presentedTokenHash?: string;
  /** Hash of a fresh token that becomes the user's if this claims a free name. */
  freshTokenHash: string;
  sessionId: string;
  kind: "A" | "B";
  /** Sessions the user may hold at once; joining beyond it answers "too_many_sessions". */
  maxSessions: number;
  /**
   * SHARED_USERNAMES: join the live kind-A user holding `name` whatever token
   * was presented, as seed A let any connection speak as a live name.
   */
  shared?: boolean;
  /**
   * The name is a verified identity (AUTH_MODE=jwt): its inbox is the name's,
   * kept whoever claims it, so direct messages sent before its first session
   * wait for it. Otherwise a claim by a new holder starts with an empty inbox.
   */
  identified?: boolean;
}

/** How an open request ended. */
export type OpenSessionResult =
  | {
    status: "claimed" | "joined";
    user: UserRecord;
    /** Hash of the user's token: the fresh one when claimed, the holding's when joined. */
    tokenHash: string;
    /** This session is the user's only live one: the user is back (or new). */
    firstSession: boolean;
    /**
     * With `firstSession`: the newest message of the user's inbox when their
     * sessions last ended, so what came after is unread. Absent when the
     * inbox is new to this holder, or had nothing then.
     */
    seen?: string;
  }
  | { status: "taken" }
  | { status: "unknown_token" }
  | { status: "too_many_sessions" };

/** Username claims and presence, shared by every instance. */
export interface UserDirectory {
  /**
   * Opens a session atomically: claims `name` when nobody holds it (no live
   * session, no grace: "claimed", the fresh token becomes the user's; the
   * inbox is kept only for the holder whose token it was); adds the session
   * to the user holding it when the presented token hash matches, or with
   * `shared` when both are kind A ("joined"), also within the grace;
   * otherwise refuses ("taken"). Without `name`, joins the user whose token
   * matches, or answers "unknown_token". Names compare by `userKey`.
   */
  open(request: OpenSessionRequest): Promise<OpenSessionResult>;
  /**
   * Ends one session. With the user's last session the user goes offline
   * but, for kind A, keeps the name, token and inbox for the reconnect grace
   * (a kind-B name, which has no token, is free at once): the
   * holder's token joins it again within it, and nobody else can claim it.
   * A holding whose instance died without closing lasts the presence TTL,
   * then the grace. Idempotent. Resolves true when this closed the user's
   * last live session: the user went offline (and is last seen now).
   */
  close(name: string, sessionId: string): Promise<boolean>;
  /** The user called `name` (any case) who holds it, online or within the grace, if any. */
  lookup(name: string): Promise<HeldUser | undefined>;
  /** Names of every user with at least one live session. */
  online(): Promise<string[]>;
  /** How many users have a live session: cheap, whatever their number. */
  onlineCount(): Promise<number>;
  /** Sets the status and custom text (none when absent) of the user called `name`. */
  setStatus(name: string, status: UserStatus, text?: string): Promise<void>;
  /** What others see of each user named (by `userKey`); unknown users come back offline. */
  presence(names: string[]): Promise<Presence[]>;
  /**
   * The channels the user called `name` belongs to: kept with the user's
   * inbox (a new holder of an anonymous name starts with none).
   */
  memberships(name: string): Promise<string[]>;
  /** Makes `channel` one of the user's (or not); resolves whether that changed anything. */
  setMembership(name: string, channel: string, member: boolean): Promise<boolean>;
}

/** What the registry knows of a channel besides its name. */
export interface ChannelInfo {
  /** Only its owner and invited users may join it, and only its members see it. */
  private: boolean;
  /** The key of the user who created it, if a user did (not the lobby). */
  owner?: string;
}

/** A channel as one user may use it. */
export interface ChannelAccess extends ChannelInfo {
  /** The user was invited to it. */
  invited: boolean;
  /** The user's role there, if above a member's. */
  role?: ChannelRole;
  /** Until when (ms) the user may not join it; `Infinity` for good. */
  bannedUntil?: number;
  /** Until when (ms) the user may not post in it; `Infinity` for good. */
  mutedUntil?: number;
}

/** A moderation measure and how long it lasts: until a time (ms), for good, or lifted. */
export type Measure = { until: number } | { forever: true } | { lifted: true };

/**
 * The set of channels, shared by every instance. What a channel grants a
 * user (its ownership, the moderator role, an invitation) belongs to the
 * holding of the name it was given to, or to the next one if nobody held
 * it: a claim of the name with another token hash ends it in the same step
 * (`UserDirectory.open`). Bans and mutes stay with the name.
 */
export interface ChannelRegistry {
  /** Registers `name` with `info` (public, no owner, unless said); resolves true when it was new. */
  create(name: string, info?: ChannelInfo): Promise<boolean>;
  exists(name: string): Promise<boolean>;
  /** The channel `name` as the user `userKey` may use it; undefined when there is none. */
  access(name: string, userKey: string): Promise<ChannelAccess | undefined>;
  /** Lets the user `userKey` join `name`. */
  invite(name: string, userKey: string): Promise<void>;
  /** The channels whose invitations the user `userKey` holds, in code-point order. */
  invitations(userKey: string): Promise<string[]>;
  /** Makes the user `userKey` a moderator of `name`, or a plain member again. */
  setRole(name: string, userKey: string, role: "moderator" | "member"): Promise<void>;
  /**
   * Bans the user `userKey` from `name` (may not join) and, in the same step,
   * ends their membership of it (`setMembership`); or lifts the ban.
   */
  ban(name: string, userKey: string, measure: Measure): Promise<void>;
  /** Mutes the user `userKey` in `name` (`publish` refuses their messages), or lifts it. */
  mute(name: string, userKey: string, measure: Measure): Promise<void>;
  /**
   * Deletes `name` with its history, roles, measures and invitations, and
   * ends every user's membership of it, in one step, so the name is free
   * again; resolves the keys of the users it was one of the channels of.
   */
  remove(name: string): Promise<string[]>;
  /** Names of the public channels. */
  list(): Promise<string[]>;
  /** How many public channels there are: cheap, whatever their number. */
  count(): Promise<number>;
  /** Up to `limit` public channels whose name starts with `prefix`, after `after`. */
  search(query: { prefix: string; after?: string; limit: number }): Promise<ChannelPage>;
  /**
   * The members of `name` after the cursor `after`, at most `limit`, with
   * their presence and their role there (as `access` tells it) when above a
   * member's.
   */
  members(name: string, page: { after?: string; limit: number }): Promise<MemberPage>;
  /** Who of `name`'s members is online: at most `limit` names, and the counts. */
  onlineMembers(name: string, limit: number): Promise<OnlineMembers>;
  /** How many members each of `names` has (0 for none). */
  memberCounts(names: string[]): Promise<number[]>;
}

/** Retained messages per topic, bounded by count and age. */
export interface HistoryStore {
  /**
   * Up to `limit` retained messages of `topic` older than `before` (the
   * newest ones when absent), oldest first. With `between`, only the direct
   * messages between those two users (keys) count.
   */
  page(
    topic: Topic,
    query: { before?: string; limit: number; between?: [string, string] },
  ): Promise<StoredEnvelope[]>;
  /** Every retained message of `topic` with an id greater than `after`, oldest first. */
  since(topic: Topic, after: string): Promise<HistorySince>;
}

/** Everything shared between instances. */
export interface Broker {
  bus: MessageBus;
  history: HistoryStore;
  users: UserDirectory;
  channels: ChannelRegistry;
  /** Sets the one handler of this instance's broker events; events before it are dropped. */
  onEvents(events: BrokerEvents): void;
  /** Whether the broker can serve requests now (for `/readyz`). */
  isReady(): boolean;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
