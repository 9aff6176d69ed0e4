/**
 * The embedded broker's history: each topic's retained messages, oldest
 * first, bounded by count (`historyLimit`) and age (`historyTtlMs`), with
 * the newest id dropped so far, so that a resume from before it knows it
 * lost messages. Also what a reply's target must be: a kept message of the
 * topic.
 *
 * @module
 */
import { formatMessageId } from "../ids.ts";
import { userKey } from "../protocol/names.ts";
import type { HistoryStore, MessageDraft, StoredEnvelope, Topic } from "./broker.ts";

/** One topic's retained messages, oldest first, and the newest id dropped from them. */
interface Retained {
  envelopes: StoredEnvelope[];
  maxDropped?: string;
}

/** The retained messages of every topic of one hub. */
export interface MemoryHistory {
  history: HistoryStore;
  store(topic: Topic, envelope: StoredEnvelope): void;
  /** Whether `draft.replyTo` is a kept message of `topic` (one of the same two users, if direct). */
  answerable(topic: Topic, draft: MessageDraft): boolean;
  /** Drops a topic's messages (a deleted channel, a freed user's inbox). */
  forget(topic: Topic): void;
  /** How many topics hold messages. */
  topics(): number;
  /** The id of the newest kept message of `topic`. */
  newest(topic: Topic): string | undefined;
}

export function createMemoryHistory(
  { historyLimit, historyTtlMs }: { historyLimit: number; historyTtlMs: number },
): MemoryHistory {
  const retained = new Map<Topic, Retained>();
  /** Where this hub's data begins: a resume from before it lost its history. */
  const epoch = formatMessageId(Date.now(), 0);

  /** A topic's retained messages, aged; reading an unknown topic creates nothing. */
  function retainedOf(topic: Topic, create = false): Retained {
    let topicRetained = retained.get(topic);
    if (!topicRetained) {
      topicRetained = { envelopes: [] };
      if (create) retained.set(topic, topicRetained);
    }
    const oldest = Date.now() - historyTtlMs;
    const { envelopes } = topicRetained;
    while (envelopes.length > 0 && envelopes[0].message.ts < oldest) drop(topicRetained);
    return topicRetained;
  }

  function drop(topicRetained: Retained): void {
    topicRetained.maxDropped = topicRetained.envelopes.shift()?.message.id;
  }

  return {
    store(topic, envelope) {
      const topicRetained = retainedOf(topic, true);
      topicRetained.envelopes.push(envelope);
      while (topicRetained.envelopes.length > historyLimit) drop(topicRetained);
    },
    answerable(topic, draft) {
      const target = retainedOf(topic).envelopes.find(({ message }) =>
        message.id === draft.replyTo
      );
      if (!target || draft.kind === "channel") return target !== undefined;
      return isBetween(target, [userKey(draft.from), userKey(draft.to)]);
    },
    forget: (topic) => void retained.delete(topic),
    topics: () => retained.size,
    newest: (topic) => retainedOf(topic).envelopes.at(-1)?.message.id,
    history: {
      page(topic, { before, limit, between }) {
        const matches = retainedOf(topic).envelopes.filter((envelope) =>
          (before === undefined || envelope.message.id < before) &&
          (between === undefined || isBetween(envelope, between))
        );
        return Promise.resolve(matches.slice(-limit));
      },
      since(topic, after) {
        const { envelopes, maxDropped } = retainedOf(topic);
        const fromStart = after === formatMessageId(0, 0);
        return Promise.resolve({
          envelopes: envelopes.filter((envelope) => envelope.message.id > after),
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
