/**
 * The embedded broker's history: each topic's retained entries (messages,
 * and changes of them), oldest first, bounded by count (`historyLimit`) and
 * age (`historyTtlMs`), with the newest id dropped so far, so that a resume
 * from before it knows it lost messages. Each entry keeps its number in its
 * conversation's count (for unread counts), and each changed message its
 * state (edit, deletion, reactions). Also what a reply's target or a
 * change's must be: a kept message of the topic.
 *
 * @module
 */
import { formatMessageId } from "../ids.ts";
import { userKey } from "../protocol/names.ts";
import { isChange, type Reaction } from "../protocol/commands.ts";
import type { ChangeDraft, HistoryStore, MessageDraft, StoredEnvelope, Topic } from "./broker.ts";
import { ChangeRefusedError } from "./errors.ts";
import { asItIsNow, asReplayed, type MessageState, orderReactions } from "./message_state.ts";

/** A changed message's state here, with who reacted with which emoji. */
interface State extends MessageState {
  reactions?: Map<string, Set<string>>;
}

/** One topic's retained entries, oldest first, and the newest id dropped from them. */
interface Retained {
  envelopes: StoredEnvelope[];
  /** Each entry's number in its conversation's count, in step with `envelopes`. */
  counts: number[];
  maxDropped?: string;
  /** The state of each of its messages that changed, by id. */
  states: Map<string, State>;
}

/** A kept entry found by id, with its number in its conversation's count. */
export interface FoundEntry {
  envelope: StoredEnvelope;
  count: number;
}

/** The retained entries of every topic of one hub. */
export interface MemoryHistory {
  history: HistoryStore;
  store(topic: Topic, envelope: StoredEnvelope, count: number): void;
  /** Whether `draft.replyTo` is a kept message of `topic` (one of the same two users, if direct). */
  answerable(topic: Topic, draft: MessageDraft): boolean;
  /**
   * Checks `draft` against its target kept in `topic`, throwing
   * `ChangeRefusedError` when it may not be done; resolves who the change
   * entry is `to` and, for a reaction, how many users have its emoji after
   * it (undefined when it changes nothing).
   */
  check(topic: Topic, draft: ChangeDraft): { to: string; count: number } | undefined;
  /** Applies a checked change of `draft.target` to its state in `topic`. */
  apply(topic: Topic, draft: ChangeDraft, at: number): void;
  /** The kept entry `id` of `topic` (between those two user keys, if given), or the newest. */
  find(topic: Topic, id: string | undefined, between?: [string, string]): FoundEntry | undefined;
  /** Drops a topic's entries (a deleted channel, a freed user's inbox). */
  forget(topic: Topic): void;
  /** How many topics hold entries. */
  topics(): number;
  /** The id of the newest kept entry of `topic`. */
  newest(topic: Topic): string | undefined;
}

export function createMemoryHistory(
  { historyLimit, historyTtlMs }: { historyLimit: number; historyTtlMs: number },
): MemoryHistory {
  const retained = new Map<Topic, Retained>();
  /** Where this hub's data begins: a resume from before it lost its history. */
  const epoch = formatMessageId(Date.now(), 0);

  /** A topic's retained entries, aged; reading an unknown topic creates nothing. */
  function retainedOf(topic: Topic, create = false): Retained {
    let topicRetained = retained.get(topic);
    if (!topicRetained) {
      topicRetained = { envelopes: [], counts: [], states: new Map() };
      if (create) retained.set(topic, topicRetained);
    }
    const oldest = Date.now() - historyTtlMs;
    const { envelopes } = topicRetained;
    while (envelopes.length > 0 && envelopes[0].message.ts < oldest) drop(topicRetained);
    return topicRetained;
  }

  function drop(topicRetained: Retained): void {
    topicRetained.counts.shift();
    const dropped = topicRetained.envelopes.shift()?.message.id;
    topicRetained.maxDropped = dropped;
    if (dropped !== undefined) topicRetained.states.delete(dropped);
  }

  /** The kept message `id` of `topic` (not a change), with its state. */
  function target(topic: Topic, id: string) {
    const { envelopes, states } = retainedOf(topic);
    const envelope = envelopes.find(({ message }) => message.id === id);
    if (!envelope || isChange(envelope.message)) return undefined;
    return { envelope, state: states.get(id) };
  }

  function reactionsOf(state: State | undefined, reader: string | undefined): Reaction[] {
    const reactions: Reaction[] = [];
    for (const [emoji, users] of state?.reactions ?? []) {
      reactions.push({
        emoji,
        count: users.size,
        ...(reader !== undefined && users.has(reader) ? { mine: true as const } : {}),
      });
    }
    return orderReactions(reactions);
  }

  return {
    store(topic, envelope, count) {
      const topicRetained = retainedOf(topic, true);
      topicRetained.envelopes.push(envelope);
      topicRetained.counts.push(count);
      while (topicRetained.envelopes.length > historyLimit) drop(topicRetained);
    },
    answerable(topic, draft) {
      const found = target(topic, draft.replyTo!);
      if (!found || draft.kind === "channel") return found !== undefined;
      return isBetween(found.envelope, [userKey(draft.from), userKey(draft.to)]);
    },
    check(topic, draft) {
      const found = target(topic, draft.target);
      const actor = userKey(draft.from);
      if (
        !found || found.state?.deleted !== undefined ||
        (draft.kind === "direct" && !isBetween(found.envelope, [actor, userKey(draft.to)]))
      ) {
        throw new ChangeRefusedError("not_found");
      }
      const { message } = found.envelope;
      const to = draft.kind === "channel"
        ? draft.to
        : userKey(message.from) === actor
        ? message.to
        : message.from;
      const mine = message.from === draft.from;
      switch (draft.action) {
        case "edit":
          if (!mine) throw new ChangeRefusedError("not_permitted");
          if (message.ts + draft.windowMs <= Date.now()) {
            throw new ChangeRefusedError("window_closed");
          }
          return { to, count: 0 };
        case "delete":
          if (!mine && !draft.moderator) throw new ChangeRefusedError("not_permitted");
          return { to, count: 0 };
        case "react": {
          const reactions = found.state?.reactions;
          const users = reactions?.get(draft.emoji);
          if ((users?.has(actor) ?? false) === draft.add) return undefined;
          if (draft.add && !users && (reactions?.size ?? 0) >= draft.maxEmoji) {
            throw new ChangeRefusedError("too_many_reactions");
          }
          return { to, count: (users?.size ?? 0) + (draft.add ? 1 : -1) };
        }
      }
    },
    apply(topic, draft, at) {
      const { states } = retainedOf(topic);
      if (!target(topic, draft.target)) return;
      const state: State = states.get(draft.target) ?? {};
      states.set(draft.target, state);
      switch (draft.action) {
        case "edit":
          state.text = draft.text;
          state.edited = at;
          break;
        case "delete":
          states.set(draft.target, { deleted: at });
          break;
        case "react": {
          const reactions = state.reactions ??= new Map();
          const users = reactions.get(draft.emoji) ?? new Set();
          if (draft.add) users.add(userKey(draft.from));
          else users.delete(userKey(draft.from));
          if (users.size > 0) reactions.set(draft.emoji, users);
          else reactions.delete(draft.emoji);
        }
      }
    },
    find(topic, id, between) {
      const { envelopes, counts } = retainedOf(topic);
      for (let i = envelopes.length - 1; i >= 0; i--) {
        const envelope = envelopes[i];
        if (id !== undefined && envelope.message.id !== id) continue;
        if (between === undefined || isBetween(envelope, between)) {
          return { envelope, count: counts[i] };
        }
        if (id !== undefined) return undefined;
      }
      return undefined;
    },
    forget: (topic) => void retained.delete(topic),
    topics: () => retained.size,
    newest: (topic) => retainedOf(topic).envelopes.at(-1)?.message.id,
    history: {
      page(topic, { before, limit, between, reader }) {
        const { envelopes, states } = retainedOf(topic);
        const matches = envelopes.filter(({ message, ...rest }) =>
          !isChange(message) &&
          (before === undefined || message.id < before) &&
          (between === undefined || isBetween({ message, ...rest }, between))
        );
        return Promise.resolve(
          matches.slice(-limit).map((envelope) => {
            const state = states.get(envelope.message.id);
            return {
              ...envelope,
              message: asItIsNow(envelope.message, state, reactionsOf(state, reader)),
            };
          }),
        );
      },
      since(topic, after) {
        const { envelopes, maxDropped, states } = retainedOf(topic);
        const fromStart = after === formatMessageId(0, 0);
        const replayed: StoredEnvelope[] = [];
        for (const envelope of envelopes) {
          const { message } = envelope;
          if (message.id <= after) continue;
          const shown = asReplayed(message, states.get(message.change?.target ?? message.id));
          if (shown) replayed.push({ ...envelope, message: shown });
        }
        return Promise.resolve({
          envelopes: replayed,
          truncated: (maxDropped !== undefined && after < maxDropped) ||
            (!fromStart && after < epoch),
        });
      },
    },
  };
}

/** Whether a direct message is between the two user keys `pair`. */
function isBetween(envelope: StoredEnvelope, [one, other]: [string, string]): boolean {
  if (envelope.kind !== "direct") return false;
  const from = userKey(envelope.message.from);
  const to = userKey(envelope.message.to);
  return (from === one && to === other) || (from === other && to === one);
}
