/**
 * The embedded broker's publishing: stamping, storing and delivering
 * messages and changes of them, each checked and applied in one step (one
 * process runs one at a time), and the dedup window that makes a re-sent
 * `ref` return the first result.
 *
 * @module
 */
import { createMessageClock } from "../ids.ts";
import type { DeliveredMessage } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import {
  type ChangeDraft,
  ChangeRefusedError,
  type Envelope,
  type MessageDraft,
  MutedError,
  type Published,
  referenceTopic,
  ReplyNotFoundError,
  type StoredEnvelope,
  type Topic,
} from "./broker.ts";
import type { MemoryHistory } from "./memory_history.ts";
import type { MemoryReads } from "./memory_reads.ts";

/** What publishing needs of the rest of the hub. */
export interface MemoryMessagesOptions {
  history: MemoryHistory;
  readState: MemoryReads;
  dedupWindowMs: number;
  /** Until when the user `key` is muted in `channel`, if they are. */
  mutedUntil(channel: string, key: string): number | undefined;
  /** Queues the delivery of `envelope` to the instances subscribed to `topics`. */
  deliver(topics: readonly Topic[], envelope: Envelope): void;
}

/** The hub's publishing. */
export interface MemoryMessages {
  publish(topics: readonly Topic[], draft: MessageDraft): Published;
  change(topics: readonly Topic[], draft: ChangeDraft): Published | undefined;
  /** The entry published with `dedupKey` within the window, if any. */
  recall(dedupKey: string): DeliveredMessage | undefined;
  /** How many dedup keys are remembered. */
  dedupKeys(): number;
  /** The id last stamped, if any: every entry up to it is stored. */
  lastId(): string | undefined;
}

export function createMemoryMessages(options: MemoryMessagesOptions): MemoryMessages {
  const { history, readState: reads, dedupWindowMs, deliver } = options;
  const stamp = createMessageClock();
  /** The id last stamped: every entry up to it is stored (one process stores in order). */
  let lastId: string | undefined;

  function next(): { id: string; ts: number } {
    const stamped = stamp();
    lastId = stamped.id;
    return stamped;
  }
  /** Insertion order is expiry order: the window is the same for every key. */
  const dedup = new Map<string, { message: DeliveredMessage; expires: number }>();

  function remembered(key: string): DeliveredMessage | undefined {
    const now = Date.now();
    for (const [oldest, entry] of dedup) {
      if (entry.expires > now) break;
      dedup.delete(oldest);
    }
    return dedup.get(key)?.message;
  }

  function publish(topics: readonly Topic[], draft: MessageDraft): Published {
    const earlier = draft.dedupKey === undefined ? undefined : remembered(draft.dedupKey);
    if (earlier) return { message: earlier, duplicate: true };
    const mutedUntil = draft.kind === "channel" && !draft.system
      ? options.mutedUntil(draft.to, userKey(draft.from))
      : undefined;
    if (mutedUntil !== undefined) throw new MutedError(mutedUntil);
    if (draft.replyTo !== undefined && !history.answerable(referenceTopic(draft), draft)) {
      throw new ReplyNotFoundError();
    }
    const { from, to, text, replyTo, data, system } = draft;
    const count = reads.counted(draft);
    const message: DeliveredMessage = {
      ...next(),
      from,
      to,
      text,
      ...(replyTo === undefined ? {} : { replyTo }),
      ...(data === undefined ? {} : { data }),
      ...(system ? { system } : {}),
    };
    // The sending session goes with the live delivery only: history never holds it.
    const stored: StoredEnvelope = { kind: draft.kind, message };
    if (draft.dedupKey !== undefined) {
      dedup.set(draft.dedupKey, { message, expires: Date.now() + dedupWindowMs });
    }
    const unique = [...new Set(topics)];
    for (const topic of unique) history.store(topic, stored, count, draft.author);
    reads.published(draft, message, count);
    deliver(
      unique,
      draft.kind === "direct"
        ? { kind: "direct", message, senderSession: draft.senderSession }
        : stored,
    );
    return { message, duplicate: false };
  }

  /** Stores and delivers a change of a kept message, checked where its actor reads it. */
  function change(topics: readonly Topic[], draft: ChangeDraft): Published | undefined {
    const earlier = draft.dedupKey === undefined ? undefined : remembered(draft.dedupKey);
    if (earlier) return { message: earlier, duplicate: true };
    const kept = history.locate(draft);
    if (kept === undefined) throw new ChangeRefusedError("not_found");
    const checked = history.check(kept, draft);
    if (!checked) return undefined;
    const { target } = draft;
    const message: DeliveredMessage = {
      ...next(),
      from: draft.from,
      to: checked.to,
      text: draft.action === "edit" ? draft.text : "",
      change: draft.action === "react"
        ? { action: "react", target, emoji: draft.emoji, added: draft.add, count: checked.count }
        : { action: draft.action, target },
    };
    if (draft.dedupKey !== undefined) {
      dedup.set(draft.dedupKey, { message, expires: Date.now() + dedupWindowMs });
    }
    const stored: StoredEnvelope = { kind: draft.kind, message };
    const count = reads.current(draft);
    // Only where the message is kept: an inbox may have dropped it, or never had it (a new holder's).
    const keeping = [...new Set(topics)].filter((topic) => history.keeps(topic, draft));
    for (const topic of keeping) {
      history.apply(topic, draft, message.ts);
      history.store(topic, stored, count);
    }
    deliver(keeping, stored);
    return { message, duplicate: false };
  }

  return {
    publish,
    change,
    recall: remembered,
    dedupKeys: () => dedup.size,
    lastId: () => lastId,
  };
}
