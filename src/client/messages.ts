/**
 * Messages after they are sent: which channel or conversation a frame
 * belongs to (in a direct one, the user who is not this one), whether a
 * message mentions the user, and `applyChange`, which turns a message as
 * `history` gave it into the message after a live edit, deletion or
 * reaction, as a later `history` would give it.
 *
 * @module
 */
import { byCodePoints, mentionedKeys, userKey } from "../protocol/names.ts";
import type { Conversation, HistoryMessage, MessageChange, Reaction } from "./types.ts";

/** A conversation as frames name it: `to` a channel, or `with` a user. */
export function placeKeys(where: Conversation): { to: string } | { with: string } {
  return "channel" in where ? { to: where.channel } : { with: where.with };
}

/** Whether two names are one user's: the server matches names regardless of case. */
export function sameUser(a: string, b: string): boolean {
  return userKey(a) === userKey(b);
}

/** One key per channel or conversation, however the other user's name is capitalized. */
export function conversationKey(where: Conversation): string {
  return "channel" in where ? `#${where.channel}` : `@${userKey(where.with)}`;
}

/**
 * The channel or conversation of a delivered frame, as `me` sees it: a
 * message, a change (`direct` in a conversation) or a read receipt. A
 * system sender's direct message is always in the conversation with that
 * sender: it is never the user's own, whatever its sender is called.
 */
export function conversationOf(
  frame: { type: string; to: string; from: string; direct?: true; system?: true },
  me: string,
): Conversation {
  const direct = frame.direct || frame.type === "directMessage" ||
    frame.type === "sessionUpdate";
  if (!direct) return { channel: frame.to };
  return { with: isOwn(frame, me) ? frame.to : frame.from };
}

/**
 * Whether `me` sent `message`: never so for one a system sender posted
 * through the server API, since its `from` names that sender, not a user.
 */
export function isOwn(message: { from: string; system?: true }, me: string): boolean {
  return !message.system && sameUser(message.from, me);
}

/**
 * Whether `message` mentions `me` (`@me` in its text, or `me` in its
 * `data.mentions`), by the rule the server counts mentions with.
 */
export function mentions(
  message: { message: string; data?: Record<string, unknown> },
  me: string,
): boolean {
  return mentionedKeys(message.message, message.data).includes(userKey(me));
}

/** The parts of a message that changes rewrite, as `history` and message events carry them. */
export type ChangeableMessage = Pick<
  HistoryMessage,
  "id" | "message" | "data" | "edited" | "deleted" | "reactions"
>;

/**
 * `message` after `change`, seen by the user `me` (whose own reactions are
 * `mine`); `message` itself when the change is of another message. A
 * deleted message keeps no text, data or reactions, as in `history`.
 */
export function applyChange<M extends ChangeableMessage>(
  message: M,
  change: MessageChange,
  me: string,
): M {
  if (change.target !== message.id) return message;
  switch (change.type) {
    case "messageEdited":
      return message.deleted ? message : { ...message, message: change.message, edited: change.ts };
    case "messageDeleted":
      return {
        ...message,
        message: "",
        data: undefined,
        edited: undefined,
        reactions: undefined,
        deleted: true,
      };
    case "reaction":
      return message.deleted ? message : {
        ...message,
        reactions: reactionsAfter(message.reactions ?? [], change, sameUser(change.from, me)),
      };
  }
}

/** The reactions after one user's (`byMe`: this user's) reaction change, in code-point order. */
function reactionsAfter(
  reactions: readonly Reaction[],
  change: MessageChange & { type: "reaction" },
  byMe: boolean,
): Reaction[] | undefined {
  const before = reactions.find((reaction) => reaction.emoji === change.emoji);
  const after = reactions.filter((reaction) => reaction !== before);
  if (change.count > 0) {
    const mine = byMe ? change.added : before?.mine === true;
    after.push({ emoji: change.emoji, count: change.count, ...(mine ? { mine: true } : {}) });
  }
  after.sort((a, b) => byCodePoints(a.emoji, b.emoji));
  return after.length > 0 ? after : undefined;
}

/** A request waiting behind the one running for its key, and how to settle its callers. */
interface Waiting {
  request: () => Promise<void>;
  done: Promise<void>;
  settle: (outcome: Promise<void>) => void;
}

/**
 * Runs one request at a time per key: a call made while one runs waits, and
 * the calls after it replace its request and share its promise, so only the
 * newest of them is sent once the running one is answered.
 */
export function oneAtATime(): (key: string, request: () => Promise<void>) => Promise<void> {
  /** Per key with a request running: the one waiting behind it, if any. */
  const queued = new Map<string, Waiting | undefined>();

  function run(key: string, request: () => Promise<void>): Promise<void> {
    queued.set(key, undefined);
    return request().finally(() => {
      const next = queued.get(key);
      queued.delete(key);
      if (next) next.settle(run(key, next.request));
    });
  }

  return (key, request) => {
    if (!queued.has(key)) return run(key, request);
    let next = queued.get(key);
    if (!next) {
      let settle!: (outcome: Promise<void>) => void;
      const done = new Promise<void>((resolve) => settle = resolve);
      next = { request, done, settle };
      queued.set(key, next);
    }
    next.request = request;
    return next.done;
  };
}
