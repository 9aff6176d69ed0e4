/**
 * What the web app knows, apart from the page: the user's conversations
 * (channels and direct messages), the messages of each in id order, unread
 * counts, who is typing and pending invitations. Plain data the views read;
 * nothing here touches the DOM or the network.
 *
 * @module
 */

/** A channel is `#name`, a conversation with a user `@name`. */
export type ConversationKey = `#${string}` | `@${string}`;

/** One message as the app shows it. `pending`: sent, not yet stored (no id). */
export interface ShownMessage {
  id: string;
  from: string;
  text: string;
  ts: number;
  pending?: boolean;
}

export interface Conversation {
  key: ConversationKey;
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
}

/** A message frame as the server delivers it, live or in history. */
export interface MessageFrame {
  from: string;
  to: string;
  message: string;
  id: string;
  ts: number;
}

export function channelKey(name: string): ConversationKey {
  return `#${name}`;
}

export function directKey(user: string): ConversationKey {
  return `@${user}`;
}

/** How long a "typing" notice shows without a new one. */
const TYPING_SHOWN_MS = 5_000;

export class Store {
  readonly conversations = new Map<ConversationKey, Conversation>();
  /** Private channels the user was invited to and has not joined, with who invited. */
  readonly invitations = new Map<string, string>();
  open: ConversationKey | undefined;

  conversation(key: ConversationKey): Conversation {
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = {
        key,
        name: key.slice(1),
        kind: key.startsWith("#") ? "channel" : "direct",
        messages: [],
        unread: 0,
        loaded: false,
        complete: false,
        typing: new Map(),
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
      });
      conversation.typing.delete(frame.from);
      if (live && frame.from !== me && this.open !== key) conversation.unread++;
    }
    conversation.messages.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  /** A message on its way: shown at once, marked as pending. */
  addPending(key: ConversationKey, from: string, text: string): ShownMessage {
    const message = { id: `~${crypto.randomUUID()}`, from, text, ts: Date.now(), pending: true };
    this.conversation(key).messages.push(message);
    return message;
  }

  /** The pending message was stored as `id` (or failed: `id` undefined). */
  settle(key: ConversationKey, pending: ShownMessage, id: string | undefined): void {
    const conversation = this.conversation(key);
    conversation.messages = conversation.messages.filter((message) => message !== pending);
    if (id !== undefined) {
      const { from, text, ts } = pending;
      this.add(key, [{ id, from, message: text, ts, to: conversation.name }], from, false);
    }
  }

  typing(key: ConversationKey, user: string, now: number): void {
    this.conversation(key).typing.set(user, now + TYPING_SHOWN_MS);
  }

  /** Who is typing in `key` now. */
  typists(key: ConversationKey, now: number): string[] {
    const typing = this.conversations.get(key)?.typing;
    if (!typing) return [];
    for (const [user, until] of typing) if (until <= now) typing.delete(user);
    return [...typing.keys()];
  }

  select(key: ConversationKey): Conversation {
    this.open = key;
    const conversation = this.conversation(key);
    conversation.unread = 0;
    return conversation;
  }
}
