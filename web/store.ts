/**
 * What the web app knows, apart from the page: the user's conversations
 * (channels and direct messages), the messages of each in id order, unread
 * counts, who is typing and pending invitations. Plain data the views read;
 * nothing here touches the DOM or the network.
 *
 * @module
 */
import type { MessageOptions } from "../src/client/mod.ts";

/**
 * A channel is `#name`; a conversation with a user is `@name` in lower case,
 * since the server matches user names regardless of case.
 */
export type ConversationKey = `#${string}` | `@${string}`;

/** One message as the app shows it. `pending`: sent, not yet stored (no id). */
export interface ShownMessage extends MessageExtras {
  id: string;
  from: string;
  text: string;
  ts: number;
  pending?: boolean;
}

/** What a message carries besides its text: the id it answers, the application's data. */
export type MessageExtras = MessageOptions;

/** One channel or direct conversation, as shown. */
export interface Conversation {
  key: ConversationKey;
  /** The channel, or the other user as the server spells them. */
  name: string;
  kind: "channel" | "direct";
  /** In id order: the order every member sees. */
  messages: ShownMessage[];
  unread: number;
  /** The first page of history was read. */
  loaded: boolean;
  /** History has nothing older than the first message shown. */
  complete: boolean;
  /** Who is typing here, until when (ms). */
  typing: Map<string, number>;
  /** Counts the changes of `messages`: the view redraws them only when it moved. */
  version: number;
}

/** A message frame as the server delivers it, live or in history. */
export interface MessageFrame extends MessageExtras {
  from: string;
  to: string;
  message: string;
  id: string;
  ts: number;
}

/** The key of a channel's conversation. */
export function channelKey(name: string): ConversationKey {
  return `#${name}`;
}

/** The key of the conversation with `user`, however the name is capitalized. */
export function directKey(user: string): ConversationKey {
  return `@${user.toLowerCase()}`;
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
        messages: [],
        unread: 0,
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

  /**
   * Adds messages (live or from history) in id order, each once; counts the
   * live ones as unread unless their conversation is open or they are the user's.
   */
  add(key: ConversationKey, frames: MessageFrame[], me: string, live: boolean): void {
    const conversation = this.conversation(key);
    const known = new Set(conversation.messages.map((message) => message.id));
    for (const frame of frames) {
      if (known.has(frame.id)) continue;
      known.add(frame.id);
      conversation.messages.push({
        id: frame.id,
        from: frame.from,
        text: frame.message,
        ts: frame.ts,
        replyTo: frame.replyTo,
        data: frame.data,
      });
      conversation.typing.delete(frame.from);
      if (live && frame.from !== me && this.open !== key) conversation.unread++;
    }
    conversation.messages.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    conversation.version++;
  }

  /** A message on its way: shown at once, marked as pending. */
  addPending(
    key: ConversationKey,
    from: string,
    text: string,
    extras: MessageExtras,
  ): ShownMessage {
    const id = `~${crypto.randomUUID()}`;
    const message = { id, from, text, ts: Date.now(), pending: true, ...extras };
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
    if (id !== undefined) {
      const { from, text, ts, replyTo, data } = pending;
      const frame = { id, from, message: text, ts, to: conversation.name, replyTo, data };
      this.add(key, [frame], from, false);
    }
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

  /** Opens `key`: its messages are read from now on. */
  select(key: ConversationKey): Conversation {
    this.open = key;
    const conversation = this.conversation(key);
    conversation.unread = 0;
    return conversation;
  }
}
