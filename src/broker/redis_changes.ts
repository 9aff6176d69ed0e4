/**
 * The Redis broker's changes of kept messages (`MessageBus.change`) and its
 * read state (`ReadState`), each one script run (`redis_change_scripts.ts`).
 *
 * @module
 */
import type { Conversation } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import {
  ChangeRefusedError,
  channelTopic,
  type MessageBus,
  type ReadState,
  referenceTopic,
  userTopic,
} from "./broker.ts";
import type { ChangeRefusal } from "./errors.ts";
import type { Commands } from "./redis_commands.ts";
import { fromStreamId, parseStored, toStreamId } from "./redis_payloads.ts";

/** What changes and read state need. */
export interface RedisChangesOptions {
  run: Commands["run"];
  historyLimit: number;
  historyTtlMs: number;
  dedupWindowMs: number;
}

/** What PUBLISH_CHANGE answers for a refused change, and for one that changes nothing. */
const REFUSED = 4;
const UNCHANGED = 5;

export function createRedisChanges(options: RedisChangesOptions): {
  change: MessageBus["change"];
  reads: ReadState;
} {
  const { run, historyTtlMs } = options;

  const change: MessageBus["change"] = async (topics, draft) => {
    const direct = draft.kind === "direct";
    const [stored, outcome] = await run(
      "PUBLISH_CHANGE",
      draft.dedupKey ?? "",
      options.dedupWindowMs,
      options.historyLimit,
      historyTtlMs,
      draft.action,
      userKey(draft.from),
      draft.from,
      draft.actor,
      toStreamId(draft.target),
      draft.target,
      referenceTopic(draft),
      direct ? userKey(draft.to) : "",
      draft.to,
      draft.action === "delete" && draft.moderator ? "1" : "",
      draft.action === "edit" ? draft.windowMs : 0,
      draft.action === "edit" ? draft.text : "",
      draft.action === "react" ? draft.emoji : "",
      draft.action === "react" && draft.add ? "1" : "",
      draft.action === "react" ? draft.maxEmoji : 0,
      ...new Set(topics),
    ) as [string, number];
    if (outcome === REFUSED) throw new ChangeRefusedError(stored as ChangeRefusal);
    if (outcome === UNCHANGED) return undefined;
    return { message: parseStored(stored).message, duplicate: outcome === 1 };
  };

  const reads: ReadState = {
    async markRead(name, where, id) {
      const me = userKey(name);
      const reply = await run(
        "MARK_READ",
        me,
        placeOf(where),
        "channel" in where ? channelTopic(where.channel) : userTopic(me),
        id === undefined ? "" : toStreamId(id),
        "channel" in where ? where.channel : "",
        "channel" in where ? "" : userKey(where.with),
        historyTtlMs,
      ) as [] | [string, number, number, number, number, string];
      if (reply.length === 0) return undefined;
      const [read, unread, mentions, moved, members, countedTo] = reply;
      return {
        position: { read: fromStreamId(read), unread, mentions },
        moved: moved === 1,
        members,
        ...(countedTo === "" ? {} : { countedTo: fromStreamId(countedTo) }),
      };
    },
    async readBy(channel, names) {
      const reply = await run("READ_BY", channel, ...names.map(userKey)) as string[];
      return reply.map((read) => read === "" ? undefined : fromStreamId(read));
    },
    async positions(name, channels, limit) {
      const [inChannels, conversations, countedTo] = await run(
        "READ_POSITIONS",
        userKey(name),
        limit,
        ...channels,
      ) as [[string, number, number][], [string, string, number, string][], string];
      return {
        ...(countedTo === "" ? {} : { countedTo: fromStreamId(countedTo) }),
        channels: inChannels.map(([read, unread, mentions], i) => ({
          channel: channels[i],
          ...(read === "" ? {} : { read: fromStreamId(read) }),
          unread,
          mentions,
        })),
        conversations: conversations.map(([withName, read, unread, theirs]) => ({
          with: withName,
          ...(read === "" ? {} : { read: fromStreamId(read) }),
          unread,
          mentions: 0,
          ...(theirs === "" ? {} : { theirRead: fromStreamId(theirs) }),
        })),
      };
    },
  };

  return { change, reads };
}

/** Where a read position is kept in the user's hash: `channel:<name>` or `user:<key>`. */
function placeOf(where: Conversation): string {
  return "channel" in where ? `channel:${where.channel}` : `user:${userKey(where.with)}`;
}
