/**
 * Where the user stands in each channel and direct conversation: how far
 * they have read (on any of their devices), how many messages from others
 * came after that and how many of those mention them, and, in a direct
 * conversation, how far the other user has read. The server says it all on
 * each connect (`readState`) and again for one conversation whenever the
 * user reads it on any device (`read`). In between, the counts follow the
 * live messages as the server counts them: one from someone else after the
 * read position adds one, one of the user's own marks everything before it
 * read. Replayed messages add nothing: `readState` already counted them.
 *
 * @module
 */
import { conversationKey, conversationOf, mentions, sameUser } from "./messages.ts";
import type { ClientEvents, Conversation, ReadPosition, ServerFrameA } from "./types.ts";

/** How positions report what changed: `readState`, `read`, `readReceipt` and `unread` events. */
type Emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => void;

/** A message as the counts read it. */
type CountedMessage = ServerFrameA<"broadcast" | "directMessage" | "sessionUpdate">;

export class ReadPositions {
  readonly #positions = new Map<string, ReadPosition>();
  readonly #emit: Emit;

  constructor(emit: Emit) {
    this.#emit = emit;
  }

  /** The position in `where`, if the server or a message said anything of it. */
  get(where: Conversation): ReadPosition | undefined {
    return this.#positions.get(conversationKey(where));
  }

  /** Every known position: the user's channels, and their conversations (newest first on connect). */
  all(): ReadPosition[] {
    return [...this.#positions.values()];
  }

  /** Takes in a read-state frame of the server (`me`: this user). */
  receive(frame: ServerFrameA<"readState" | "read" | "readReceipt">, me: string): void {
    switch (frame.type) {
      case "readState":
        this.#positions.clear();
        for (const { name, ...position } of frame.channels) {
          this.#set({ conversation: { channel: name }, ...position });
        }
        for (const { with: user, ...position } of frame.conversations) {
          this.#set({ conversation: { with: user }, ...position });
        }
        return this.#emit("readState", frame);
      case "read": {
        const conversation = frame.with === undefined
          ? { channel: frame.to }
          : { with: frame.with };
        this.#emit("read", { ...frame, conversation });
        const { read } = this.get(conversation) ?? {};
        // Positions only move forward: an older one was overtaken on the way.
        if (read !== undefined && frame.id < read) return;
        const { id, unread, mentions } = frame;
        return this.#update(conversation, { read: id, unread, mentions });
      }
      case "readReceipt": {
        const conversation = conversationOf(frame, me);
        this.#emit("readReceipt", { ...frame, conversation });
        const theirRead = this.get(conversation)?.theirRead;
        if (frame.direct && (theirRead === undefined || frame.id > theirRead)) {
          this.#update(conversation, { theirRead: frame.id });
        }
        return;
      }
    }
  }

  /** Counts a message this client showed for the first time, as the server counts it. */
  message(frame: CountedMessage, me: string): void {
    if (frame.replay || frame.local) return;
    const conversation = conversationOf(frame, me);
    const { read, unread = 0, mentions: mentioned = 0 } = this.get(conversation) ?? {};
    if (read !== undefined && frame.id <= read) return;
    if (sameUser(frame.from, me)) {
      return this.#update(conversation, { read: frame.id, unread: 0, mentions: 0 });
    }
    const more = "channel" in conversation && mentions(frame, me) ? 1 : 0;
    this.#update(conversation, { unread: unread + 1, mentions: mentioned + more });
  }

  /** The user left `channel`: its position goes with it. */
  forget(channel: string): void {
    this.#positions.delete(conversationKey({ channel }));
  }

  #update(conversation: Conversation, change: Partial<ReadPosition>): void {
    const before = this.get(conversation) ?? { conversation, unread: 0, mentions: 0 };
    this.#emit("unread", this.#set({ ...before, ...change }));
  }

  #set(position: ReadPosition): ReadPosition {
    this.#positions.set(conversationKey(position.conversation), position);
    return position;
  }
}
