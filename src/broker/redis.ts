/**
 * The Redis broker (npm:ioredis): the broker contract for many instances on
 * one Redis. Two connections per instance: one for commands and scripts,
 * one in subscriber mode. Every key and topic starts with the prefix. This
 * module holds the connections, the bus, the history and the channel
 * registry, and composes them with the subscriber side
 * (`redis_subscriber.ts`) and the user directory (`redis_presence.ts`).
 *
 * Failure model (see docs/redis.md):
 * - Commands are never queued while Redis is unreachable and never resent
 *   after a reconnect, so a publish either reaches Redis now or fails now
 *   (`BrokerUnavailableError`); a failed channel publish is still delivered
 *   to this instance's own members.
 * - The broker remembers what this instance holds (its sessions and their
 *   claims, the topics it wants, the channels it knows) and puts it back
 *   whenever a connection becomes ready again, so a restarted Redis or a
 *   killed connection heals without a human.
 * - Presence expires: each session has an expiry that a heartbeat pushes
 *   forward every third of `presenceTtlMs`; a dead instance's users vanish.
 * - Every message is stored in its topics' history streams in the same
 *   script that publishes it. Pub/Sub drops what is published while the
 *   subscriber connection is down, so after it reconnects the broker reads
 *   each subscribed topic's stream after the last id it delivered and
 *   delivers what it missed, in order, before any newer live message.
 *
 * @module
 */
import { Redis, type RedisOptions } from "ioredis";
import type { DeliveredMessage } from "../protocol/commands.ts";
import { byCodePoints, userKey } from "../protocol/names.ts";
import { createMessageClock, formatMessageId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { Metrics, type RedisConnection } from "../metrics/metrics.ts";
import {
  type Broker,
  type BrokerEvents,
  BrokerUnavailableError,
  type ChannelInfo,
  type ChannelRegistry,
  type Envelope,
  type HistorySince,
  type HistoryStore,
  type MessageBus,
  type MessageDraft,
  MutedError,
  referenceTopic,
  ReplyNotFoundError,
  type StoredEnvelope,
  type Topic,
  userTopic,
} from "./broker.ts";
import { createCommands, redactUrl, whenConnected } from "./redis_commands.ts";
import { asItIsNow, asReplayed } from "./message_state.ts";
import { createRedisChanges } from "./redis_changes.ts";
import {
  activeUntil,
  fromStreamId,
  parseStored,
  reactionsOf,
  stateOf,
  storedMeasure,
  toStreamId,
} from "./redis_payloads.ts";
import { createRedisEventQueue } from "./redis_event_queue.ts";
import { createRedisPresence } from "./redis_presence.ts";
import { createRedisSubscriber } from "./redis_subscriber.ts";

/** Where and how to reach Redis. */
export interface RedisBrokerOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Start of every key and topic. @default "natter:" */
  prefix: string;
  /** How long a session outlives its instance's last heartbeat. @default 15000 */
  presenceTtlMs: number;
  /** Messages kept per topic. @default 1000 */
  historyLimit: number;
  /** Age (ms) after which a kept message is dropped. @default 7 days */
  historyTtlMs: number;
  /** How long a dedup key is remembered. @default 120000 */
  dedupWindowMs: number;
  /** How long a user keeps the name after their last session ends. @default 120000 */
  reconnectGraceMs: number;
  log: Logger;
  /** Where reconnects and backfills are counted. */
  metrics?: Metrics;
}

/** Longest wait for one Redis command before it counts as failed. */
const COMMAND_TIMEOUT_MS = 3000;
/** Longest pause between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** Connects to Redis (in the background: the instance starts even while Redis is down). */
export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const { prefix, presenceTtlMs, historyLimit, historyTtlMs, dedupWindowMs, log } = options;
  const metrics = options.metrics ?? new Metrics();
  const where = redactUrl(options.url);
  const connection: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    // Natter sends nothing on shutdown: drop sockets at once instead of a 2 s grace timer.
    disconnectTimeout: 0,
  };
  const command = new Redis(options.url, connection);
  const subscriber = new Redis(options.url, connection);
  const commands = createCommands(command, prefix, where);
  const { run, attempt } = commands;

  const knownChannels = new Map<string, ChannelInfo>();
  const localStamp = createMessageClock();
  let events: BrokerEvents = { deliver() {}, revoked() {}, expired() {} };
  let closing = false;

  const presence = createRedisPresence({
    commands,
    isConnected: () => command.status === "ready",
    presenceTtlMs,
    historyTtlMs,
    reconnectGraceMs: options.reconnectGraceMs,
    revoked: (sessionId) => events.revoked(sessionId),
    expired: (names) => events.expired(names),
    log,
  });
  const subscriptions = createRedisSubscriber({
    connection: subscriber,
    prefix,
    attempt,
    readSince: (topic, after) => whenCommandsWork(() => readSince(topic, after)),
    streamEnd,
    deliver: (topic, envelope) => events.deliver(topic, envelope),
    historyLimit,
    log,
    metrics,
  });

  watch(command, "commands", restoreState);
  watch(subscriber, "subscriber", subscriptions.onReady);

  /** Logs each outage once, and runs `onReady` whenever the connection is (re)established. */
  function watch(redis: Redis, role: RedisConnection, onReady: () => Promise<void>): void {
    let downSince: number | undefined;
    let connectedBefore = false;
    redis.on("error", (error: Error) => {
      if (downSince !== undefined || closing) return;
      downSince = Date.now();
      log.error("redis.unreachable", { url: where, connection: role, error });
    });
    redis.on("close", () => {
      if (closing || downSince !== undefined) return;
      downSince = Date.now();
      log.warn("redis.connection_lost", { url: where, connection: role });
    });
    redis.on("ready", () => {
      const outageMs = downSince === undefined ? undefined : Date.now() - downSince;
      downSince = undefined;
      if (connectedBefore) metrics.redisReconnects[role]++;
      connectedBefore = true;
      log.info("redis.connected", {
        url: where,
        connection: role,
        ...(outageMs === undefined ? {} : { outageMs }),
      });
      onReady().catch((error) => log.warn("redis.restore_failed", { connection: role, error }));
    });
  }

  /**
   * Puts back what this instance holds: the epoch mark, its channels, its
   * users' claims; and indexes the grants of a deployment from before the
   * grant index, once.
   */
  async function restoreState(): Promise<void> {
    await run("MARK_EPOCH");
    await run("BUILD_GRANT_INDEX");
    // Channels created here, with their privacy: a Redis that lost them gets them back.
    await Promise.all([...knownChannels].map(([name, info]) => registerChannel(name, info)));
    await presence.restore();
  }

  /**
   * Runs `read` once the command connection works: after a Redis restart the
   * subscriber may be back before it, and giving up then would lose what was
   * published meanwhile.
   */
  async function whenCommandsWork<T>(read: () => Promise<T>): Promise<T> {
    while (true) {
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof BrokerUnavailableError) || closing) throw error;
        await whenConnected(command);
      }
    }
  }

  async function readSince(topic: Topic, after: string): Promise<HistorySince> {
    const reply = await run("HISTORY_SINCE", topic, toStreamId(after), historyTtlMs) as [
      number,
      ...string[],
    ];
    const [truncated, ...entries] = reply as unknown as [number, ...[string, string[]][]];
    const envelopes: StoredEnvelope[] = [];
    for (const [json, state] of entries) {
      const { kind, message } = parseStored(json);
      const shown = asReplayed(message, stateOf(state));
      if (shown) envelopes.push({ kind, message: shown });
    }
    return { truncated: truncated === 1, envelopes };
  }

  async function streamEnd(topic: Topic): Promise<string> {
    const [newest] = await command.xrevrange(`${prefix}history:${topic}`, "+", "-", "COUNT", 1);
    return newest ? fromStreamId(newest[0]) : formatMessageId(0, 0);
  }

  const changes = createRedisChanges({ run, historyLimit, historyTtlMs, dedupWindowMs });

  const bus: MessageBus = {
    async publish(topics, draft) {
      const { kind, from, to, text, replyTo, data, system } = draft;
      const direct = draft.kind === "direct";
      try {
        const [stored, duplicate] = await run(
          "PUBLISH_MESSAGE",
          JSON.stringify({ kind, from, to, text, replyTo, data, system }),
          draft.dedupKey ?? "",
          dedupWindowMs,
          historyLimit,
          historyTtlMs,
          direct ? userKey(from) : "",
          direct ? userKey(to) : "",
          // Encoded here: the script splices it into the published copies as it is, decoding no JSON.
          direct ? JSON.stringify(draft.senderSession) : "",
          direct ? "" : to,
          direct || system ? "" : userKey(from),
          replyTo === undefined ? "" : toStreamId(replyTo),
          replyTo === undefined ? "" : referenceTopic(draft),
          draft.kind === "channel" ? (draft.mentions ?? []).join("\n") : "",
          direct ? from : "",
          direct ? to : "",
          draft.author ?? "",
          ...new Set(topics),
        ) as [string, number];
        if (duplicate === MUTED) throw new MutedError(stored === "0" ? Infinity : Number(stored));
        if (duplicate === NO_REPLY_TARGET) throw new ReplyNotFoundError();
        const { message } = parseStored(stored);
        if (draft.kind === "direct" && duplicate !== 1) {
          // A backfill of the sender's topic reads the stored copy, which has no sending session.
          subscriptions.rememberSender(userTopic(userKey(from)), message.id, draft.senderSession);
        }
        return { message, duplicate: duplicate === 1 };
      } catch (error) {
        if (!(error instanceof BrokerUnavailableError)) throw error;
        subscriptions.deliverLocally(topics, localEnvelope(draft));
        throw new BrokerUnavailableError(
          `${error.message}; delivered only to members on this instance, not to other instances`,
        );
      }
    },
    async signal(topic, envelope) {
      await attempt(() => command.publish(prefix + topic, JSON.stringify(envelope)));
    },
    change: changes.change,
    subscribe: (topic) => subscriptions.subscribe(topic),
    unsubscribe: (topic) => subscriptions.unsubscribe(topic),
    async recall(dedupKey) {
      const stored = await run("RECALL_MESSAGE", dedupKey) as string | null;
      return stored === null ? undefined : parseStored(stored).message;
    },
  };

  /** Redis is out of reach: this instance's own members still get the message, marked local. */
  function localEnvelope(draft: MessageDraft): Envelope {
    const { from, to, text, replyTo, data } = draft;
    const message: DeliveredMessage = {
      ...localStamp(),
      from,
      to,
      text,
      replyTo,
      data,
      local: true,
    };
    return draft.kind === "direct"
      ? { kind: "direct", message, senderSession: draft.senderSession }
      : { kind: "channel", message };
  }

  const history: HistoryStore = {
    async page(topic, { before, limit, between, reader }) {
      const reply = await run(
        "HISTORY_PAGE",
        topic,
        before === undefined ? "" : toStreamId(before),
        limit,
        historyTtlMs,
        reader ?? "",
        ...(between ?? []),
      ) as [string, string[], (string | number)[]][];
      return reply.map(([json, state, reactions]) => {
        const { kind, message } = parseStored(json);
        return { kind, message: asItIsNow(message, stateOf(state), reactionsOf(reactions)) };
      }).reverse();
    },
    since: (topic, after) => readSince(topic, after),
  };

  const channels: ChannelRegistry = {
    async create(name, info = { private: false }) {
      knownChannels.set(name, info);
      return await registerChannel(name, info) === 1;
    },
    async exists(name) {
      return await attempt(() => command.sismember(`${prefix}channels`, name)) === 1;
    },
    async invitations(userKey) {
      return (await run("USER_INVITATIONS", userKey) as string[]).sort(byCodePoints);
    },
    async access(name, userKey) {
      const reply = await run("CHANNEL_ACCESS", name, userKey) as string[];
      const [exists, isPrivate, owner, invited, role, banned, muted] = reply;
      if (!exists) return undefined;
      const bannedUntil = activeUntil(banned);
      const mutedUntil = activeUntil(muted);
      return {
        private: isPrivate === "1",
        ...(owner ? { owner } : {}),
        invited: invited === "1",
        ...(owner === userKey
          ? { role: "owner" as const }
          : role
          ? { role: "moderator" as const }
          : {}),
        ...(bannedUntil === undefined ? {} : { bannedUntil }),
        ...(mutedUntil === undefined ? {} : { mutedUntil }),
      };
    },
    async invite(name, userKey) {
      await run("INVITE_USER", name, userKey);
    },
    async remove(name) {
      knownChannels.delete(name);
      return await run("DELETE_CHANNEL", name) as string[];
    },
    async setRole(name, userKey, role) {
      await run("SET_ROLE", name, userKey, role === "moderator" ? "1" : "");
    },
    async ban(name, userKey, measure) {
      await run("BAN_USER", name, userKey, storedMeasure(measure));
    },
    async mute(name, userKey, measure) {
      await run("SET_MUTE", name, userKey, storedMeasure(measure));
    },
    async list() {
      return await attempt(() => command.sdiff(`${prefix}channels`, `${prefix}private-channels`));
    },
    ...presence.channels,
  };

  function registerChannel(name: string, info: ChannelInfo): Promise<unknown> {
    return run("CREATE_CHANNEL", name, info.private ? "1" : "", info.owner ?? "");
  }

  return {
    bus,
    history,
    users: presence.users,
    channels,
    reads: changes.reads,
    events: createRedisEventQueue(commands),
    instances: presence.instances,
    onEvents(handler) {
      events = handler;
    },
    isReady: () => command.status === "ready" && subscriber.status === "ready",
    async close() {
      closing = true;
      presence.stop();
      command.disconnect();
      subscriber.disconnect();
      // ioredis arms a zero-delay timer per socket on disconnect; let it run.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

/** What PUBLISH_MESSAGE answers for an author muted in the channel. */
const MUTED = 2;
/** What PUBLISH_MESSAGE answers for a reply to no kept message. */
const NO_REPLY_TARGET = 3;
