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
  Conversation,
  DeliveredMessage,
  MemberPage,
  MessageExtras,
  OnlineMembers,
  Presence,
  ReadPosition,
  UserStatus,
} from "../protocol/commands.ts";

import type { UserDirectory } from "./directory.ts";
import type { EventQueue } from "./event_queue.ts";
import type { ReadState } from "./reads.ts";
import type { ChannelRegistry } from "./registry.ts";

export {
  BrokerUnavailableError,
  ChangeRefusedError,
  MutedError,
  ReplyNotFoundError,
} from "./errors.ts";
export type { ClaimedEvent, EventQueue, QueuedEvent } from "./event_queue.ts";
export type { MarkedRead, Positions, ReadState } from "./reads.ts";
export type { ChannelAccess, ChannelInfo, ChannelRegistry, Measure } from "./registry.ts";
export type {
  HeldUser,
  OpenSessionRequest,
  OpenSessionResult,
  UserDirectory,
  UserRecord,
} from "./directory.ts";

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

/**
 * Where the message a draft refers to (its `replyTo`, or the `target` of a
 * change) must be kept: its channel, or for a direct message the acting
 * user's own inbox, what they read the conversation from.
 */
export function referenceTopic(
  draft: { kind: "channel" | "direct"; from: string; to: string },
): Topic {
  return draft.kind === "channel" ? channelTopic(draft.to) : userTopic(userKey(draft.from));
}

/**
 * A chat message as the core hands it to the broker, before it is stamped;
 * its extras are stored and delivered with it.
 */
export type MessageDraft =
  & MessageExtras
  & (
    | {
      kind: "channel";
      from: string;
      to: string;
      text: string;
      /** Keys of the users the message mentions: those who are members count it apart. */
      mentions?: string[];
    }
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
    /** Posted through the server API as a system sender: no user's mute applies to it. */
    system?: true;
    /**
     * The holding of the name that sends it (`<user key> <claim tag>`):
     * only that holding edits it, or deletes it as its author. Absent for
     * the server's own messages, which no user edits.
     */
    author?: string;
    /**
     * Makes the publish idempotent: a second publish with the same key within
     * the dedup window stores and delivers nothing and returns the first
     * message. Opaque to the broker: the core decides which publishes are one.
     */
    dedupKey?: string;
  };

/**
 * A change of a kept message, as the core hands it to the broker: in a
 * channel (`to`), or in the direct conversation of `from` with `to`. The
 * core checked the actor's right to be in the channel; the broker checks,
 * in the step that stores the change, that `target` is a kept message there
 * and not deleted, and what the action needs.
 */
export type ChangeDraft =
  & {
    kind: "channel" | "direct";
    /** The acting user, and their holding of the name (see `MessageDraft.author`). */
    from: string;
    actor: string;
    to: string;
    /** The id of the message changed. */
    target: string;
    /** Makes the change idempotent, as a message's `dedupKey` does. */
    dedupKey?: string;
  }
  & (
    /** Only the author edits, and only within `windowMs` of the message's time (0: never). */
    | { action: "edit"; text: string; windowMs: number }
    /** The author deletes; so may a `moderator` (the channel's owner or a moderator), anyone's. */
    | { action: "delete"; moderator: boolean }
    /** `add` the actor's `emoji` reaction, or take it back; at most `maxEmoji` emoji a message. */
    | { action: "react"; emoji: string; add: boolean; maxEmoji: number }
  );

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
  /** On a user's topic: the server API ends every session of the user, saying `reason`. */
  | { kind: "disconnect"; reason: string }
  /** On a user's topic: the user moved their read position in `in`; every session follows. */
  | {
    kind: "read";
    in: Conversation;
    position: ReadPosition & { read: string };
    /** The newest id the counts include (see `MarkedRead.countedTo`). */
    countedTo?: string;
  }
  /**
   * A read receipt: on a channel's topic, `from` read `in` up to `id`; on a
   * user's topic, `from` read their conversation with that user (`in`).
   */
  | { kind: "receipt"; in: Conversation; from: string; id: string }
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
   * of `referenceTopic(draft)`: the channel, or for a direct message the sender's
   * own inbox (what they can read), and there one between the same two users.
   */
  publish(topics: readonly Topic[], draft: MessageDraft): Promise<Published>;
  /**
   * Stores and delivers a change of a kept message like `publish` does a
   * message: an entry with its own id on every one of `topics` that keeps
   * the message (a direct message's two inboxes may have dropped it at
   * different times; a new holder's inbox never had it), whose
   * `change` names the action and the target, and whose `text` is the new
   * text of an edit (empty otherwise). From then on the history shows the
   * target as it is now. Rejects with `ChangeRefusedError` (nothing stored)
   * when the target is no kept, undeleted message of
   * `referenceTopic(draft)` (for a direct one, of either inbox, between the
   * same two users) or the action is not allowed; resolves `undefined` for a reaction that
   * changes nothing (added twice, or taken back without being there).
   */
  change(topics: readonly Topic[], draft: ChangeDraft): Promise<Published | undefined>;
  /** The message published with `dedupKey` within the dedup window, if any. */
  recall(dedupKey: string): Promise<DeliveredMessage | undefined>;
  /** Delivers a transient, unstamped envelope (typing, membership) like `publish`. */
  signal(topic: Topic, envelope: Signal): Promise<void>;
  /** Starts delivery of `topic` to this instance; resolves once messages published afterwards will arrive. Idempotent. */
  subscribe(topic: Topic): Promise<void>;
  /** Stops delivery of `topic` to this instance. Idempotent. */
  unsubscribe(topic: Topic): Promise<void>;
}

/** Retained messages per topic, bounded by count and age. */
export interface HistoryStore {
  /**
   * Up to `limit` retained messages of `topic` older than `before` (the
   * newest ones when absent), oldest first, as they are now: edited text
   * with `edited`, deleted ones without text or data (`deleted`), and their
   * reactions, `mine` for the user `reader` (a key). Changes are not
   * entries of a page. With `between`, only the direct messages between
   * those two users (keys) count.
   */
  page(
    topic: Topic,
    query: { before?: string; limit: number; between?: [string, string]; reader?: string },
  ): Promise<StoredEnvelope[]>;
  /**
   * Every retained entry of `topic` with an id greater than `after`, oldest
   * first: messages (a deleted one without text or data) and changes, each
   * edit with its message's text as it is now, and none of a deleted
   * message's changes but its deletion, so that a replay never shows a text
   * that is gone.
   */
  since(topic: Topic, after: string): Promise<HistorySince>;
}

/** Everything shared between instances. */
export interface Broker {
  bus: MessageBus;
  history: HistoryStore;
  users: UserDirectory;
  channels: ChannelRegistry;
  reads: ReadState;
  /** Webhook events waiting to be sent. */
  events: EventQueue;
  /** How many instances share this broker now (with Redis: those alive within the presence TTL). */
  instances(): Promise<number>;
  /** Sets the one handler of this instance's broker events; events before it are dropped. */
  onEvents(events: BrokerEvents): void;
  /** Whether the broker can serve requests now (for `/readyz`). */
  isReady(): boolean;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
