/**
 * What a kept message has become since it was stored (edited, deleted), and
 * how both brokers show it: a history page and a replay read the stored
 * entry and the message's state through these functions, so the two
 * brokers cannot drift apart on what a reader sees.
 *
 * @module
 */
import { type DeliveredMessage, isChange, type Reaction } from "../protocol/commands.ts";
import { byCodePoints } from "../protocol/names.ts";

/** A kept message's state: its latest edit, or when it was deleted. */
export interface MessageState {
  /** The text of the latest edit. */
  text?: string;
  /** When it was last edited (ms). */
  edited?: number;
  /** When it was deleted (ms): its text, data and reactions are gone. */
  deleted?: number;
}

/** `message` as a history page shows it now, with `reactions` when it has any. */
export function asItIsNow(
  message: DeliveredMessage,
  state: MessageState | undefined,
  reactions: Reaction[] = [],
): DeliveredMessage {
  if (state?.deleted !== undefined) return tombstone(message);
  const withReactions = reactions.length === 0 ? message : { ...message, reactions };
  if (state?.edited === undefined) return withReactions;
  return { ...withReactions, text: state.text ?? "", edited: state.edited };
}

/**
 * A kept entry as a replay sends it, given the state of the message it is
 * (or, for a change, the message it changes): a deleted message as a
 * tombstone, an edit with the text as it is now, and nothing for the other
 * changes of a deleted message (its deletion comes later in the replay),
 * so that a replay shows no text that is gone.
 */
export function asReplayed(
  entry: DeliveredMessage,
  state: MessageState | undefined,
): DeliveredMessage | undefined {
  if (!isChange(entry)) {
    if (state?.deleted !== undefined) return tombstone(entry);
    return state?.edited === undefined
      ? entry
      : { ...entry, text: state.text ?? "", edited: state.edited };
  }
  if (entry.change.action === "delete") return entry;
  if (state?.deleted !== undefined) return undefined;
  return entry.change.action === "edit" && state?.text !== undefined
    ? { ...entry, text: state.text }
    : entry;
}

/** A deleted message: who sent it where and when, what it answered, and nothing of its content. */
function tombstone(message: DeliveredMessage): DeliveredMessage {
  const { id, ts, from, to, replyTo } = message;
  return {
    id,
    ts,
    from,
    to,
    text: "",
    ...(replyTo === undefined ? {} : { replyTo }),
    deleted: true,
  };
}

/** Reactions in the order every reader sees them: by emoji, in code-point order. */
export function orderReactions(reactions: Reaction[]): Reaction[] {
  return reactions.sort((a, b) => byCodePoints(a.emoji, b.emoji));
}
