/**
 * Where the user stands in each channel and direct conversation: how far
 * they have read (on any of their devices), how many messages from others
 * came after that and how many of those mention them, and, in a direct
 * conversation, how far the other user has read. The server says it all on
 * each connect (`readState`) and again for one conversation whenever the
 * user reads it on any device (`read`), with the newest id its counts
 * include (`countedTo`). In between, the counts follow the messages as the
 * server counts them: one from someone else after both the read position
 * and `countedTo` adds one, one of the user's own marks everything before
 * it read. A message that crossed a server count on the way is added to it
 * again, so no count is off by one whatever the order of arrival.
 *
 * @module
 */
import { conversationKey, conversationOf, isOwn, mentions } from "./messages.ts";
import type { ClientEvents, Conversation, ReadPosition, ServerFrameA } from "./types.ts";

/** How positions report what changed: `readState`, `read`, `readReceipt` and `unread` events. */
type Emit = <E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]) => void;

/** A message as the counts read it. */
type CountedMessage = ServerFrameA<"broadcast" | "directMessage" | "sessionUpdate">;

/** How long a message counted here may wait for a server count that includes it. */
const PENDING_MS = 60_000;

/** The milliseconds of a message id (`<ms>-<sequence>`). */
function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}

/** A message counted here and not yet in a server count: its id, and whether it mentions the user. */
interface Pending {
  id: string;
  mention: boolean;
}

export class ReadPositions {
  readonly #positions = new Map<string, ReadPosition>();
  /** Per conversation, the newest id the last server count included. */
  readonly #countedTo = new Map<string, string>();
  /** Per conversation, the messages counted here after that. */
  readonly #pending = new Map<string, Pending[]>();
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
      case "readState": {
        this.#positions.clear();
        const { countedTo } = frame;
        for (const { name, ...position } of frame.channels) {
          this.#set(this.#counted({ conversation: { channel: name }, ...position }, countedTo));
        }
        for (const { with: user, ...position } of frame.conversations) {
          this.#set(this.#counted({ conversation: { with: user }, ...position }, countedTo));
        }
        return this.#emit("readState", frame);
      }
      case "read": {
        const conversation = frame.with === undefined
          ? { channel: frame.to }
          : { with: frame.with };
        if (this.#stale(conversation, frame.id, frame.countedTo)) return;
        this.#emit("read", { ...frame, conversation });
        const { id, unread, mentions, countedTo } = frame;
        const counted = this.#counted({ conversation, read: id, unread, mentions }, countedTo);
        return this.#update(conversation, counted);
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
    if (frame.local) return;
    const conversation = conversationOf(frame, me);
    const key = conversationKey(conversation);
    const { read, unread = 0, mentions: mentioned = 0 } = this.get(conversation) ?? {};
    if (read !== undefined && frame.id <= read) return;
    if (isOwn(frame, me)) {
      this.#pending.delete(key);
      return this.#update(conversation, { read: frame.id, unread: 0, mentions: 0 });
    }
    // The server's last count has it already.
    const countedTo = this.#countedTo.get(key);
    if (countedTo !== undefined && frame.id <= countedTo) return;
    const mention = "channel" in conversation && mentions(frame, me);
    this.#remember(key, { id: frame.id, mention });
    this.#update(conversation, { unread: unread + 1, mentions: mentioned + (mention ? 1 : 0) });
  }

  /**
   * The user sent message `id` to `where` from this session, which gets no
   * copy of its own direct message: it marks everything up to it read.
   */
  sent(where: Conversation, id: string): void {
    const { read } = this.get(where) ?? {};
    if (read !== undefined && id <= read) return;
    this.#pending.delete(conversationKey(where));
    this.#update(where, { read: id, unread: 0, mentions: 0 });
  }

  /**
   * Whether a `read` frame is older than what is known: a smaller id, or
   * the same id counted to an older point (it crossed a newer count on the
   * way, from another instance).
   */
  #stale(where: Conversation, id: string, countedTo: string | undefined): boolean {
    const { read } = this.get(where) ?? {};
    if (read === undefined || id > read) return false;
    if (id < read) return true;
    const known = this.#countedTo.get(conversationKey(where));
    return known !== undefined && (countedTo === undefined || countedTo <= known);
  }

  /**
   * Notes a message counted here and not in a server count yet. Those more
   * than `PENDING_MS` older than the newest are dropped: no count is that
   * late on its way, so the list stays short in a conversation never read.
   */
  #remember(key: string, pending: Pending): void {
    const list = this.#pending.get(key) ?? [];
    list.push(pending);
    const oldest = idTime(pending.id) - PENDING_MS;
    let drop = 0;
    while (drop < list.length && idTime(list[drop].id) < oldest) drop++;
    this.#pending.set(key, drop === 0 ? list : list.slice(drop));
  }

  /** The user left `channel`: its position goes with it. */
  forget(channel: string): void {
    const key = conversationKey({ channel });
    this.#positions.delete(key);
    this.#countedTo.delete(key);
    this.#pending.delete(key);
  }

  /**
   * A server count taken up to `countedTo`, plus the messages counted here
   * that it did not include (they arrived before it, or it came late).
   */
  #counted(position: ReadPosition, countedTo: string | undefined): ReadPosition {
    if (countedTo === undefined) return position;
    const key = conversationKey(position.conversation);
    const known = this.#countedTo.get(key);
    if (known === undefined || countedTo > known) this.#countedTo.set(key, countedTo);
    const after = (this.#pending.get(key) ?? []).filter(({ id }) =>
      id > countedTo && (position.read === undefined || id > position.read)
    );
    if (after.length === 0) this.#pending.delete(key);
    else this.#pending.set(key, after);
    return {
      ...position,
      unread: position.unread + after.length,
      mentions: position.mentions + after.filter(({ mention }) => mention).length,
    };
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
