/**
 * The embedded broker's read state: a count of each conversation's
 * messages (every entry keeps its number in it, see `memory_history.ts`),
 * and per user their read position in each channel and conversation, their
 * unread mentions and their conversations. An unread count is the
 * conversation's count less the number at the read position: it never
 * reads the history.
 *
 * @module
 */
import type { Conversation, DeliveredMessage } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import {
  channelTopic,
  type MessageDraft,
  type Positions,
  type ReadState,
  userTopic,
} from "./broker.ts";
import type { MemoryHistory } from "./memory_history.ts";

/** A read position: the entry read up to (none in a channel joined empty), and its number in its conversation's count. */
interface ReadMark {
  id?: string;
  count: number;
}

/** A user's read state: positions by place (`channel:<name>`, `user:<key>`), mentions, conversations. */
interface UserReads {
  marks: Map<string, ReadMark>;
  /** Per channel, the numbers of the messages that mention the user, after the read position. */
  mentions: Map<string, number[]>;
  /** Per other user's key: their name and the id of the last message between them. */
  conversations: Map<string, { name: string; last: string }>;
}

/** The read state of one hub, and what publishing tells it. */
export interface MemoryReads {
  reads: ReadState;
  /** Counts a new message in its conversation: its number there. */
  counted(draft: MessageDraft): number;
  /** How many messages the conversation of `draft` has: the number a change of it gets. */
  current(draft: { kind: "channel" | "direct"; from: string; to: string }): number;
  /** What a published message means here: its sender read it, it mentions members, it is a conversation's last. */
  published(draft: MessageDraft, message: DeliveredMessage, count: number): void;
  /** The user `key` joined `channel`: they have read it as it is now. */
  joined(key: string, channel: string): void;
  /** The user `key` is out of `channel`: what they read of it goes, so a later join starts afresh. */
  left(key: string, channel: string): void;
  /** Forgets a user's read state (a new holder of the name starts with none). */
  forgetUser(key: string): void;
  /** Forgets a deleted channel: its count, and what every user read of it. */
  forgetChannel(channel: string): void;
}

/** What the read state needs of the rest of the hub. */
export interface MemoryReadsOptions {
  history: MemoryHistory;
  isMember(key: string, channel: string): boolean;
  memberCount(channel: string): number;
  /** The id last stamped: what the counts include. */
  lastId(): string | undefined;
}

export function createMemoryReads(options: MemoryReadsOptions): MemoryReads {
  const { history } = options;
  /** Messages so far per conversation: a channel's topic, or `pair:` and the two user keys. */
  const counts = new Map<string, number>();
  const users = new Map<string, UserReads>();

  function readsOf(key: string): UserReads {
    let found = users.get(key);
    if (!found) {
      found = { marks: new Map(), mentions: new Map(), conversations: new Map() };
      users.set(key, found);
    }
    return found;
  }

  function counter(draft: { kind: "channel" | "direct"; from: string; to: string }): string {
    return draft.kind === "channel"
      ? channelTopic(draft.to)
      : pairOf(userKey(draft.from), userKey(draft.to));
  }

  /** Where a user stands given their mark, the conversation's counter and, in a channel, its mentions. */
  function standing(key: string, place: string, counterKey: string, channel?: string) {
    const mark = users.get(key)?.marks.get(place);
    const after = mark?.count ?? 0;
    const mentions = channel === undefined
      ? 0
      : (users.get(key)?.mentions.get(channel) ?? []).filter((count) => count > after).length;
    return {
      ...(mark?.id === undefined ? {} : { read: mark.id }),
      // A channel read nowhere yet was joined before read state was kept: nothing counts as unread.
      unread: mark === undefined && channel !== undefined
        ? 0
        : Math.max(0, (counts.get(counterKey) ?? 0) - after),
      mentions,
    };
  }

  function left(key: string, channel: string): void {
    users.get(key)?.marks.delete(`channel:${channel}`);
    users.get(key)?.mentions.delete(channel);
  }

  const reads: Omit<ReadState, "readBy"> = {
    markRead(name, where, id) {
      const me = userKey(name);
      const { place, counterKey, topic, between, channel } = placeOf(me, where);
      const found = history.find(topic, id, between);
      if (!found) return Promise.resolve(undefined);
      const mine = readsOf(me);
      const mark = mine.marks.get(place);
      const moved = mark?.id === undefined || found.envelope.message.id > mark.id;
      if (moved) {
        mine.marks.set(place, { id: found.envelope.message.id, count: found.count });
        if (channel !== undefined) {
          const left = mine.mentions.get(channel)?.filter((count) => count > found.count);
          if (left?.length) mine.mentions.set(channel, left);
          else mine.mentions.delete(channel);
        }
      }
      const position = standing(me, place, counterKey, channel);
      const countedTo = options.lastId();
      return Promise.resolve({
        position: { ...position, read: position.read! },
        moved,
        members: channel === undefined ? 2 : options.memberCount(channel),
        ...(countedTo === undefined ? {} : { countedTo }),
      });
    },
    positions(name, channels, limit) {
      const me = userKey(name);
      const answer: Positions = {
        channels: channels.map((channel) => ({
          channel,
          ...standing(me, `channel:${channel}`, channelTopic(channel), channel),
        })),
        conversations: [],
      };
      const countedTo = options.lastId();
      if (countedTo !== undefined) answer.countedTo = countedTo;
      const recent = [...users.get(me)?.conversations ?? []]
        .sort(([, a], [, b]) => (a.last < b.last ? 1 : -1))
        .slice(0, limit);
      for (const [other, { name: withName }] of recent) {
        const theirRead = users.get(other)?.marks.get(`user:${me}`)?.id;
        answer.conversations.push({
          with: withName,
          ...standing(me, `user:${other}`, pairOf(me, other)),
          ...(theirRead === undefined ? {} : { theirRead }),
        });
      }
      return Promise.resolve(answer);
    },
  };

  return {
    reads: {
      ...reads,
      readBy: (channel, names) =>
        Promise.resolve(
          names.map((name) => users.get(userKey(name))?.marks.get(`channel:${channel}`)?.id),
        ),
    },
    counted(draft) {
      const key = counter(draft);
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return count;
    },
    current: (draft) => counts.get(counter(draft)) ?? 0,
    published(draft, message, count) {
      const from = userKey(draft.from);
      const mark = { id: message.id, count };
      if (draft.kind === "channel") {
        readsOf(from).marks.set(`channel:${draft.to}`, mark);
        for (const key of new Set(draft.mentions ?? [])) {
          if (key === from || !options.isMember(key, draft.to)) continue;
          const mentions = readsOf(key).mentions;
          mentions.set(draft.to, [...mentions.get(draft.to) ?? [], count]);
        }
        return;
      }
      const to = userKey(draft.to);
      readsOf(from).marks.set(`user:${to}`, mark);
      readsOf(from).conversations.set(to, { name: draft.to, last: message.id });
      readsOf(to).conversations.set(from, { name: draft.from, last: message.id });
    },
    joined(key, channel) {
      const topic = channelTopic(channel);
      const marks = readsOf(key).marks;
      if (marks.has(`channel:${channel}`)) return;
      const id = history.newest(topic);
      marks.set(`channel:${channel}`, {
        ...(id === undefined ? {} : { id }),
        count: counts.get(topic) ?? 0,
      });
    },
    left,
    forgetUser(key) {
      // The old holder's conversations start again from nothing for the other users too.
      for (const other of users.get(key)?.conversations.keys() ?? []) {
        counts.delete(pairOf(key, other));
        users.get(other)?.marks.delete(`user:${key}`);
      }
      users.delete(key);
    },
    forgetChannel(channel) {
      counts.delete(channelTopic(channel));
      for (const key of users.keys()) left(key, channel);
    },
  };
}

/** The counter of the conversation between two user keys, the same from either side. */
function pairOf(one: string, other: string): string {
  return one < other ? `pair:${one}\n${other}` : `pair:${other}\n${one}`;
}

/** Where `where` is for the user `me`: their mark's place, its counter, and the topic its entries are in. */
function placeOf(me: string, where: Conversation) {
  if ("channel" in where) {
    return {
      place: `channel:${where.channel}`,
      counterKey: channelTopic(where.channel),
      topic: channelTopic(where.channel),
      between: undefined,
      channel: where.channel,
    };
  }
  const other = userKey(where.with);
  return {
    place: `user:${other}`,
    counterKey: pairOf(me, other),
    topic: userTopic(me),
    between: [me, other] as [string, string],
    channel: undefined,
  };
}
