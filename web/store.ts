/**
 * What the web app knows, apart from the page: the user's conversations
 * (channels and direct messages), the messages of each in id order as they
 * are now (edited, deleted, reacted to), unread counts and how far the
 * other user of a conversation has read (both as the SDK keeps them), who
 * is typing and pending invitations. A message a system sender posted
 * through the server API keeps its `system` mark, and a direct conversation
 * with such a sender is marked as one. Plain data the views read; nothing
 * here touches the DOM or the network.
 *
 * @module
 */
import {
  applyChange,
  type ChangeableMessage,
  type Conversation as Where,
  type MessageChange,
  type MessageOptions,
  type ReadPosition,
} from "../src/client/mod.ts";

/**
 * A channel is `#name`; a conversation with a user is `@name` in lower case,
 * since the server matches user names regardless of case.
 */
export type ConversationKey = `#${string}` | `@${string}`;

/**
 * One message as the app shows it: `message` is its text (empty once
 * deleted). `pending`: sent, not yet stored (no id). `system`: posted by the
 * application's backend as the system sender `from`, not by a user.
 */
export interface ShownMessage extends ChangeableMessage, MessageExtras {
  from: string;
  ts: number;
  pending?: boolean;
  system?: true;
}

/** What a message carries besides its text: the id it answers, the application's data. */
export type MessageExtras = MessageOptions;

/** One channel or direct conversation, as shown. */
export interface Conversation {
  key: ConversationKey;
  /** The channel, or the other user as the server spells them. */
  name: string;
  kind: "channel" | "direct";
  /** A direct conversation whose other side is a system sender: nobody there to answer. */
  system: boolean;
  /** In id order: the order every member sees. */
  messages: ShownMessage[];
  /** Messages from others the user has not read, on any device; `mentions` of them name the user. */
  unread: number;
  mentions: number;
  /** A direct conversation: the id up to which the other user has read it. */
  theirRead?: string;
  /** The first page of history was read. */
  loaded: boolean;
  /** History has nothing older than the first message shown. */
  complete: boolean;
  /** Who is typing here, until when (ms). */
  typing: Map<string, number>;
  /** Counts the changes of `messages`: the view redraws them only when it moved. */
  version: number;
}

/** The key of a channel's conversation. */
export function channelKey(name: string): ConversationKey {
  return `#${name}`;
}

/** The key of the conversation with `user`, however the name is capitalized. */
export function directKey(user: string): ConversationKey {
  return `@${user.toLowerCase()}`;
}

/** The key of a channel or conversation as the SDK names it. */
export function keyOf(where: Where): ConversationKey {
  return "channel" in where ? channelKey(where.channel) : directKey(where.with);
}

/** A conversation as the SDK names it. */
export function whereOf(conversation: Conversation): Where {
  return conversation.kind === "channel"
    ? { channel: conversation.name }
    : { with: conversation.name };
}

/** How long a "typing" notice shows without a new one. */
const TYPING_SHOWN_MS = 5_000;

/** The app's state while a user is signed in; a new one for each sign-in. */
export class Store {
  readonly conversations = new Map<ConversationKey, Conversation>();
  /** Private channels the user was invited to and has not joined, with who invited. */
  readonly invitations = new Map<string, string>();
  open: ConversationKey | undefined;

  /** The conversation of `key`, made if new; `name` is how to show it (the server's spelling). */
  conversation(key: ConversationKey, name?: string): Conversation {
    let conversation = this.conversations.get(key);
    if (conversation && name !== undefined) conversation.name = name;
    if (!conversation) {
      conversation = {
        key,
        name: name ?? key.slice(1),
        kind: key.startsWith("#") ? "channel" : "direct",
        system: false,
        messages: [],
        unread: 0,
        mentions: 0,
        loaded: false,
        complete: false,
        typing: new Map(),
        version: 0,
      };
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  /** The conversations of a kind, by name. */
  list(kind: Conversation["kind"]): Conversation[] {
    return [...this.conversations.values()].filter((c) => c.kind === kind)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Forgets a conversation (the user left the channel). */
  remove(key: ConversationKey): void {
    this.conversations.delete(key);
    if (this.open === key) this.open = undefined;
  }

  /** Adds messages (live or from history, as they are now) in id order, each once. */
  add(key: ConversationKey, frames: readonly ShownMessage[]): void {
    const conversation = this.conversation(key);
    const known = new Set(conversation.messages.map((message) => message.id));
    for (const frame of frames) {
      if (known.has(frame.id)) continue;
      known.add(frame.id);
      const { id, from, message, ts, replyTo, data, edited, deleted, reactions, system } = frame;
      conversation.messages.push({
        id,
        from,
        message,
        ts,
        replyTo,
        data,
        edited,
        deleted,
        reactions,
        system,
      });
      conversation.typing.delete(frame.from);
      // In a direct conversation only the other side can be a system sender.
      if (system && conversation.kind === "direct") conversation.system = true;
    }
    conversation.messages.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    conversation.version++;
  }

  /** Applies an edit, deletion or reaction (`me`: whose reactions are `mine`), if the message is here. */
  change(change: MessageChange, me: string): void {
    const conversation = this.conversations.get(keyOf(change.conversation));
    const index = conversation?.messages.findIndex((message) => message.id === change.target);
    if (!conversation || index === undefined || index < 0) return;
    conversation.messages[index] = applyChange(conversation.messages[index], change, me);
    conversation.version++;
  }

  /** The SDK's counts and receipts of a conversation (one of another device is added). */
  position({ conversation: where, unread, mentions, theirRead }: ReadPosition): void {
    const key = keyOf(where);
    if (!this.conversations.has(key) && "channel" in where) return; // a channel left
    const conversation = this.conversation(key, "with" in where ? where.with : undefined);
    if (conversation.theirRead !== theirRead) conversation.version++;
    Object.assign(conversation, { unread, mentions, theirRead });
  }

  /** A message on its way: shown at once, marked as pending. */
  addPending(
    key: ConversationKey,
    from: string,
    text: string,
    extras: MessageExtras,
  ): ShownMessage {
    const id = `~${crypto.randomUUID()}`;
    const message = { id, from, message: text, ts: Date.now(), pending: true, ...extras };
    const conversation = this.conversation(key);
    conversation.messages.push(message);
    conversation.version++;
    return message;
  }

  /** The pending message was stored as `id` (or failed: `id` undefined). */
  settle(key: ConversationKey, pending: ShownMessage, id: string | undefined): void {
    const conversation = this.conversation(key);
    conversation.messages = conversation.messages.filter((message) => message !== pending);
    conversation.version++;
    if (id !== undefined) this.add(key, [{ ...pending, id, pending: undefined }]);
  }

  /** `user` is typing in `key`, if the user has that conversation (typing alone opens none). */
  typing(key: ConversationKey, user: string, now: number): void {
    this.conversations.get(key)?.typing.set(user, now + TYPING_SHOWN_MS);
  }

  /** Who is typing in `key` now. */
  typists(key: ConversationKey, now: number): string[] {
    const typing = this.conversations.get(key)?.typing;
    if (!typing) return [];
    for (const [user, until] of typing) if (until <= now) typing.delete(user);
    return [...typing.keys()];
  }

  /** Opens `key`. */
  select(key: ConversationKey): Conversation {
    this.open = key;
    return this.conversation(key);
  }

  /** The newest stored message of `key`: what marking it read covers. */
  newest(key: ConversationKey): string | undefined {
    return this.conversations.get(key)?.messages.findLast((message) => !message.pending)?.id;
  }
}
