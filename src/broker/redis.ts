/**
 * The Redis broker (npm:ioredis): the broker contract for many instances on
 * one Redis. Two connections per instance: one for commands and scripts,
 * one in subscriber mode. Every key and topic starts with the prefix.
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
import { userKey } from "../protocol/names.ts";
import { createMessageClock, formatMessageId } from "../ids.ts";
import type { Logger } from "../log.ts";
import {
  type Broker,
  BrokerUnavailableError,
  type ChannelRegistry,
  type DeliveryHandler,
  type Envelope,
  type HistoryStore,
  type MessageBus,
  type MessageDraft,
  type OpenSessionRequest,
  type OpenSessionResult,
  type StoredEnvelope,
  type Topic,
  type UserDirectory,
} from "./broker.ts";
import * as scripts from "./redis_scripts.ts";

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
  log: Logger;
}

/** A session this instance opened, kept so it can be refreshed and restored. */
interface LocalSession {
  key: string;
  name: string;
  kind: "A" | "B";
  tokenHash: string;
}

type ScriptName = keyof typeof scripts;
type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

/** Longest wait for one Redis command before it counts as failed. */
const COMMAND_TIMEOUT_MS = 3000;
/** Longest pause between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** Connects to Redis (in the background: the instance starts even while Redis is down). */
export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const { prefix, presenceTtlMs, historyLimit, historyTtlMs, dedupWindowMs, log } = options;
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
  for (const [name, lua] of Object.entries(scripts)) {
    command.defineCommand(name, { numberOfKeys: 0, lua });
  }

  const localSessions = new Map<string, LocalSession>();
  const wantedTopics = new Set<Topic>();
  const knownChannels = new Set<string>();
  const localStamp = createMessageClock();
  let deliver: DeliveryHandler = () => {};
  let revoke: (sessionId: string) => void = () => {};
  let closing = false;
  /** Per topic, the id of the last message delivered. */
  const lastDelivered = new Map<Topic, string>();
  /**
   * Per topic, where its stream ended when subscribed: a backfill before the
   * first delivery starts there. Never used to filter live messages, which
   * may still be on their way when it is read.
   */
  const subscribedAt = new Map<Topic, string>();
  /** While backfilling after a reconnect, live messages wait here. */
  let heldBack: { topic: Topic; envelope: StoredEnvelope }[] | undefined;
  let subscriberWasReady = false;
  let backfilling: Promise<void> | undefined;
  let backfillAgain = false;

  watch(command, "commands", restoreState);
  watch(subscriber, "subscriber", async () => {
    const reconnected = subscriberWasReady;
    subscriberWasReady = true;
    await (reconnected ? backfill() : resubscribe());
  });
  subscriber.on("message", (channel: string, payload: string) => {
    if (!channel.startsWith(prefix)) return;
    const envelope = parseEnvelope(payload);
    if (!envelope) {
      log.warn("ignored a malformed message", { topic: channel });
      return;
    }
    const topic = channel.slice(prefix.length);
    // A message still in flight when the topic was dropped belongs to nobody here.
    if (!wantedTopics.has(topic)) return;
    if (heldBack && envelope.kind !== "typing") heldBack.push({ topic, envelope });
    else deliverOnce(topic, envelope);
  });
  const heartbeat = setInterval(beat, Math.max(250, Math.floor(presenceTtlMs / 3)));

  /** Logs each outage once, and runs `onReady` whenever the connection is (re)established. */
  function watch(redis: Redis, role: string, onReady: () => Promise<void>): void {
    let downSince: number | undefined;
    redis.on("error", (error: Error) => {
      if (downSince !== undefined || closing) return;
      downSince = Date.now();
      log.error(`Redis unreachable at ${where}; retrying`, { connection: role, error });
    });
    redis.on("close", () => {
      if (closing || downSince !== undefined) return;
      downSince = Date.now();
      log.warn(`Redis connection lost at ${where}; reconnecting`, { connection: role });
    });
    redis.on("ready", () => {
      const outageMs = downSince === undefined ? undefined : Date.now() - downSince;
      downSince = undefined;
      log.info(`Redis connected at ${where}`, {
        connection: role,
        ...(outageMs === undefined ? {} : { outageMs }),
      });
      onReady().catch((error) =>
        log.warn("Redis state not restored yet", { connection: role, error })
      );
    });
  }

  function run(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    const runner = (command as unknown as Record<ScriptName, ScriptRunner>)[name];
    return attempt(() => runner.call(command, prefix, ...args));
  }

  /** Runs a Redis call, turning connection trouble into `BrokerUnavailableError`. */
  async function attempt<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && error.name === "ReplyError") throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new BrokerUnavailableError(`Redis at ${where}: ${reason}`);
    }
  }

  // ---- Healing: put back what this instance holds. ----------------------

  async function restoreState(): Promise<void> {
    await run("MARK_EPOCH");
    if (knownChannels.size > 0) {
      await attempt(() => command.sadd(`${prefix}channels`, ...knownChannels));
    }
    await restoreUsers(new Set([...localSessions.values()].map((session) => session.key)));
  }

  async function restoreUsers(keys: Set<string>): Promise<void> {
    const byUser = new Map<string, [string, LocalSession][]>();
    for (const entry of localSessions) {
      if (!keys.has(entry[1].key)) continue;
      const sessions = byUser.get(entry[1].key);
      if (sessions) sessions.push(entry);
      else byUser.set(entry[1].key, [entry]);
    }
    await Promise.all([...byUser.values()].map(async (sessions) => {
      const { name, kind, tokenHash } = sessions[0][1];
      const ids = sessions.map(([id]) => id);
      const restored = await run(
        "RESTORE_USER",
        presenceTtlMs,
        historyTtlMs,
        name,
        kind,
        tokenHash,
        ...ids,
      );
      if (restored === 1) return;
      log.warn("a claim was lost while Redis was unreachable; closing its sessions", {
        user: name,
      });
      for (const id of ids) {
        localSessions.delete(id);
        revoke(id);
      }
    }));
  }

  async function beat(): Promise<void> {
    if (command.status !== "ready" || localSessions.size === 0) return;
    const args = [...localSessions].flatMap(([id, s]) => [s.key, s.name, s.tokenHash, id]);
    try {
      const missing = await run("HEARTBEAT", presenceTtlMs, ...args) as string[];
      if (missing.length > 0) await restoreUsers(new Set(missing));
    } catch (error) {
      log.warn("presence heartbeat failed", { error });
    }
  }

  async function resubscribe(): Promise<void> {
    if (wantedTopics.size === 0) return;
    await subscriber.subscribe(...[...wantedTopics].map((topic) => prefix + topic));
  }

  /** Delivers a stored message unless this topic already had it (ids only grow per topic). */
  function deliverOnce(topic: Topic, envelope: Envelope): void {
    if (envelope.kind !== "typing") {
      const last = lastDelivered.get(topic);
      if (last !== undefined && envelope.message.id <= last) return;
      lastDelivered.set(topic, envelope.message.id);
    }
    deliver(topic, envelope);
  }

  /**
   * After the subscriber reconnects: subscribe again, read from the streams
   * what was published meanwhile, and deliver it merged by id with the live
   * messages held back during the read, each once and in order per topic.
   * One backfill runs at a time; a reconnect during it makes it start over.
   */
  function backfill(): Promise<void> {
    if (backfilling) {
      backfillAgain = true;
      return backfilling;
    }
    heldBack ??= [];
    backfilling = (async () => {
      const read = new Map<Topic, StoredEnvelope[]>();
      try {
        do {
          backfillAgain = false;
          await resubscribe();
          for (const topic of wantedTopics) {
            const after = lastDelivered.get(topic) ?? subscribedAt.get(topic);
            if (after === undefined) continue;
            const missed = await whenCommandsWork(() => readSince(topic, after));
            if (missed.truncated) log.warn("backfill incomplete: history was trimmed", { topic });
            read.set(topic, missed.envelopes);
          }
        } while (backfillAgain);
      } finally {
        const held = heldBack ?? [];
        heldBack = undefined;
        backfilling = undefined;
        for (const { topic, envelope } of held) {
          const envelopes = read.get(topic);
          if (envelopes) envelopes.push(envelope);
          else read.set(topic, [envelope]);
        }
        for (const [topic, envelopes] of read) {
          envelopes.sort((a, b) => a.message.id < b.message.id ? -1 : 1);
          for (const envelope of envelopes) deliverOnce(topic, envelope);
        }
      }
    })();
    return backfilling;
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
        await new Promise<void>((resolve) => {
          if (command.status === "ready") return resolve();
          const done = () => {
            command.off("ready", done);
            command.off("end", done);
            resolve();
          };
          command.on("ready", done);
          command.on("end", done);
        });
      }
    }
  }

  async function readSince(topic: Topic, after: string) {
    const reply = await run("HISTORY_SINCE", topic, toStreamId(after), historyTtlMs) as [
      number,
      ...string[],
    ];
    const [truncated, ...messages] = reply;
    return { truncated: truncated === 1, envelopes: messages.map(parseStored) };
  }

  /** Remembers where a newly subscribed topic's stream ends, so a later backfill starts there. */
  async function markSubscribed(topic: Topic): Promise<void> {
    const [newest] = await command.xrevrange(`${prefix}history:${topic}`, "+", "-", "COUNT", 1);
    subscribedAt.set(topic, newest ? fromStreamId(newest[0]) : formatMessageId(0, 0));
  }

  // ---- The contract. ------------------------------------------------------

  const bus: MessageBus = {
    async publish(topics, draft) {
      const { kind, from, to, text } = draft;
      const body = JSON.stringify(
        draft.kind === "direct"
          ? { kind, from, to, text, senderSession: draft.senderSession }
          : { kind, from, to, text },
      );
      try {
        const [stored, duplicate] = await run(
          "PUBLISH_MESSAGE",
          body,
          draft.dedupKey ?? "",
          dedupWindowMs,
          historyLimit,
          historyTtlMs,
          draft.kind === "direct" ? userKey(from) : "",
          draft.kind === "direct" ? userKey(to) : "",
          ...new Set(topics),
        ) as [string, number];
        return { message: parseStored(stored).message, duplicate: duplicate === 1 };
      } catch (error) {
        if (!(error instanceof BrokerUnavailableError)) throw error;
        deliverLocally(topics, draft);
        throw new BrokerUnavailableError(
          `${error.message}; delivered only to members on this instance, not to other instances`,
        );
      }
    },
    async signal(topic, envelope) {
      await attempt(() => command.publish(prefix + topic, JSON.stringify(envelope)));
    },
    async subscribe(topic) {
      wantedTopics.add(topic);
      // While the subscriber is down, the topic is subscribed (and backfilled) when it is back.
      if (subscriber.status === "ready") await attempt(() => subscriber.subscribe(prefix + topic));
      await markSubscribed(topic).catch((error) =>
        log.warn("could not read where a topic's history ends", { topic, error })
      );
    },
    async unsubscribe(topic) {
      wantedTopics.delete(topic);
      lastDelivered.delete(topic);
      subscribedAt.delete(topic);
      if (subscriber.status !== "ready") return;
      await attempt(() => subscriber.unsubscribe(prefix + topic));
    },
    onDelivery(handler) {
      deliver = handler;
    },
    async recall(dedupKey) {
      const stored = await run("RECALL_MESSAGE", dedupKey) as string | null;
      return stored === null ? undefined : parseStored(stored).message;
    },
  };

  const history: HistoryStore = {
    async page(topic, { before, limit, between }) {
      const reply = await run(
        "HISTORY_PAGE",
        topic,
        before === undefined ? "" : toStreamId(before),
        limit,
        ...(between ?? []),
      ) as string[];
      return reply.map(parseStored).reverse();
    },
    since: (topic, after) => readSince(topic, after),
  };

  /** Redis is out of reach: this instance's own members still get the message, marked local. */
  function deliverLocally(topics: readonly Topic[], draft: MessageDraft): void {
    const message: DeliveredMessage = {
      ...localStamp(),
      from: draft.from,
      to: draft.to,
      text: draft.text,
      local: true,
    };
    const envelope: Envelope = draft.kind === "direct"
      ? { kind: "direct", message, senderSession: draft.senderSession }
      : { kind: "channel", message };
    for (const topic of topics) {
      if (wantedTopics.has(topic)) queueMicrotask(() => deliver(topic, envelope));
    }
  }

  const users: UserDirectory = {
    async open(request: OpenSessionRequest): Promise<OpenSessionResult> {
      const reply = await run(
        "OPEN_SESSION",
        request.name ?? "",
        request.presentedTokenHash ?? "",
        request.freshTokenHash,
        request.sessionId,
        request.kind,
        presenceTtlMs,
        historyTtlMs,
        request.maxSessions,
      ) as string[];
      const [status, name, kind, tokenHash] = reply;
      if (status === "taken" || status === "unknown_token" || status === "too_many_sessions") {
        return { status };
      }
      const user = { name, kind: kind as "A" | "B" };
      localSessions.set(request.sessionId, {
        key: userKey(name),
        name,
        kind: user.kind,
        tokenHash,
      });
      return { status: status as "claimed" | "joined", user };
    },
    async close(name, sessionId) {
      localSessions.delete(sessionId);
      await run("CLOSE_SESSION", name, sessionId);
    },
    async lookup(name) {
      const reply = await run("LOOKUP_USER", name) as [string, string] | null;
      return reply && reply[0] ? { name: reply[0], kind: reply[1] as "A" | "B" } : undefined;
    },
    async online() {
      return await run("ONLINE_USERS") as string[];
    },
    onRevoked(handler) {
      revoke = handler;
    },
  };

  const channels: ChannelRegistry = {
    async create(name) {
      knownChannels.add(name);
      return await attempt(() => command.sadd(`${prefix}channels`, name)) === 1;
    },
    async exists(name) {
      return await attempt(() => command.sismember(`${prefix}channels`, name)) === 1;
    },
    async list() {
      const names = await attempt(() => command.smembers(`${prefix}channels`));
      for (const name of names) knownChannels.add(name);
      return names;
    },
  };

  return {
    bus,
    history,
    users,
    channels,
    isReady: () => command.status === "ready" && subscriber.status === "ready",
    async close() {
      closing = true;
      clearInterval(heartbeat);
      command.disconnect();
      subscriber.disconnect();
      // ioredis arms a zero-delay timer per socket on disconnect; let it run.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

function parseEnvelope(payload: string): Envelope | undefined {
  try {
    const value = JSON.parse(payload);
    switch (value.kind) {
      case "typing":
        return { kind: "typing", from: value.from, to: value.to };
      case "channel":
      case "direct": {
        const message: DeliveredMessage = {
          id: value.id,
          ts: value.ts,
          from: value.from,
          to: value.to,
          text: value.text,
        };
        return value.kind === "direct"
          ? { kind: "direct", message, senderSession: value.senderSession }
          : { kind: "channel", message };
      }
    }
  } catch {
    // Not JSON: reported by the caller.
  }
  return undefined;
}

function parseStored(json: string): StoredEnvelope {
  const envelope = parseEnvelope(json);
  if (!envelope || envelope.kind === "typing") throw new TypeError(`Not a stored message: ${json}`);
  return envelope;
}

/** `1795271816712-000003` → `1795271816712-3`: stream ids carry no padding. */
function toStreamId(id: string): string {
  const [ms, sequence] = id.split("-");
  return `${Number(ms)}-${Number(sequence)}`;
}

function fromStreamId(id: string): string {
  const [ms, sequence] = id.split("-");
  return formatMessageId(Number(ms), Number(sequence));
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(invalid URL)";
  }
}
