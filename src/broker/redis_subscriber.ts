/**
 * The Redis broker's subscriber side: which topics this instance wants, the
 * connection in subscriber mode that receives them, and every delivery to
 * the core. Pub/Sub is at most once, so each topic's last delivered id is
 * kept: when the connection comes back after a drop, the topics are
 * subscribed again and their history streams read after that id, and what
 * was missed is delivered merged with the live messages held back meanwhile,
 * each once, in order, before any newer live message.
 *
 * Stored messages do not hold the sending session of a direct message, but a
 * backfilled copy of one on the sender's own topic must still skip that
 * session. The session is always on the publishing instance, so that
 * instance remembers it until the message is delivered there.
 *
 * @module
 */
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import {
  type Envelope,
  type HistorySince,
  isMessage,
  type MessageEnvelope,
  type Topic,
} from "./broker.ts";
import { mergeById } from "./merge.ts";
import type { Commands } from "./redis_commands.ts";
import { parseEnvelope } from "./redis_payloads.ts";

/** What the subscriber side needs from the rest of the broker. */
export interface SubscriberOptions {
  /** The connection in subscriber mode. */
  connection: Redis;
  /** Start of every topic's Pub/Sub channel. */
  prefix: string;
  attempt: Commands["attempt"];
  /** A topic's retained messages after an id, once the command connection works. */
  readSince(topic: Topic, after: string): Promise<HistorySince>;
  /** The id where a topic's history ends now (the zero id when it holds nothing). */
  streamEnd(topic: Topic): Promise<string>;
  /** Where every delivery goes: the core's handler. */
  deliver(topic: Topic, envelope: Envelope): void;
  /** Messages kept per topic: a remembered sender beyond that many could never be backfilled. */
  historyLimit: number;
  log: Logger;
  /** Where backfills are counted. */
  metrics: Metrics;
}

/** The subscriber side, as the rest of the broker uses it. */
export interface Subscriptions {
  /** Wants `topic`; resolves once messages published afterwards will arrive (or be backfilled). */
  subscribe(topic: Topic): Promise<void>;
  /** Drops `topic` and all that was kept about it. */
  unsubscribe(topic: Topic): Promise<void>;
  /** Runs whenever the connection is ready: subscribes the wanted topics, and backfills them after a drop. */
  onReady(): Promise<void>;
  /** Remembers that this instance's `sessionId` sent the direct message `id` on `topic` (the sender's). */
  rememberSender(topic: Topic, id: string, sessionId: string): void;
  /** Redis is out of reach: hands `envelope` to this instance's own subscribers of `topics`. */
  deliverLocally(topics: readonly Topic[], envelope: Envelope): void;
}

/** A backfill under way: the live messages held back meanwhile, and whether a reconnect asked it to start over. */
interface Backfill {
  held: Map<Topic, MessageEnvelope[]>;
  again: boolean;
  done: Promise<void>;
}

/** Sets up the subscriber side on `options.connection`. */
export function createRedisSubscriber(options: SubscriberOptions): Subscriptions {
  const { connection, prefix, attempt, log } = options;
  const wantedTopics = new Set<Topic>();
  const delivered = createDeliveryLog(options.deliver, options.historyLimit);
  /**
   * Per topic, where its stream ended when subscribed: a backfill before the
   * first delivery starts there. Never used to filter live messages, which
   * may still be on their way when it is read.
   */
  const subscribedAt = new Map<Topic, string>();
  let backfill: Backfill | undefined;
  let wasReady = false;

  connection.on("message", (channel: string, payload: string) => {
    if (!channel.startsWith(prefix)) return;
    const envelope = parseEnvelope(payload);
    if (!envelope) {
      log.warn("redis.malformed_payload", { topic: channel });
      return;
    }
    const topic = channel.slice(prefix.length);
    // A message still in flight when the topic was dropped belongs to nobody here.
    if (!wantedTopics.has(topic)) return;
    if (backfill && isMessage(envelope)) append(backfill.held, topic, envelope);
    else delivered.once(topic, envelope);
  });

  async function resubscribe(): Promise<void> {
    if (wantedTopics.size === 0) return;
    await connection.subscribe(...[...wantedTopics].map((topic) => prefix + topic));
  }

  /**
   * After the connection is back: subscribe again, read from the streams
   * what was published meanwhile, and deliver it merged by id with the live
   * messages held back during the read, each once and in order per topic.
   * One backfill runs at a time; a reconnect during it makes it start over.
   */
  function backfillAll(): Promise<void> {
    if (backfill) {
      backfill.again = true;
      return backfill.done;
    }
    const current: Backfill = { held: new Map(), again: true, done: Promise.resolve() };
    backfill = current;
    options.metrics.redisBackfills++;
    current.done = (async () => {
      const read = new Map<Topic, MessageEnvelope[]>();
      try {
        while (current.again) {
          current.again = false;
          await resubscribe();
          for (const topic of wantedTopics) {
            const after = delivered.last(topic) ?? subscribedAt.get(topic);
            if (after === undefined) continue;
            const missed = await options.readSince(topic, after);
            options.metrics.redisBackfilledMessages += missed.envelopes.length;
            if (missed.truncated) {
              log.warn("redis.backfill_truncated", {
                topic,
                message: "messages published while the subscriber was down were trimmed",
              });
            }
            read.set(topic, missed.envelopes);
          }
        }
      } finally {
        backfill = undefined;
        for (const topic of new Set([...read.keys(), ...current.held.keys()])) {
          // The live copy wins a tie: it names the sending session of a direct message.
          const merged = mergeById(
            current.held.get(topic) ?? [],
            read.get(topic) ?? [],
            delivered.last(topic),
          );
          for (const envelope of merged) delivered.once(topic, envelope);
        }
      }
    })();
    return current.done;
  }

  /** Remembers where a newly subscribed topic's stream ends, so a later backfill starts there. */
  async function markSubscribed(topic: Topic): Promise<void> {
    subscribedAt.set(topic, await options.streamEnd(topic));
  }

  return {
    async subscribe(topic) {
      wantedTopics.add(topic);
      // While the connection is down, the topic is subscribed (and backfilled) when it is back.
      if (connection.status === "ready") await attempt(() => connection.subscribe(prefix + topic));
      await markSubscribed(topic).catch((error) =>
        log.warn("redis.stream_end_unknown", { topic, error })
      );
    },
    async unsubscribe(topic) {
      wantedTopics.delete(topic);
      delivered.forget(topic);
      subscribedAt.delete(topic);
      if (connection.status !== "ready") return;
      await attempt(() => connection.unsubscribe(prefix + topic));
    },
    async onReady() {
      const reconnected = wasReady;
      wasReady = true;
      await (reconnected ? backfillAll() : resubscribe());
    },
    rememberSender(topic, id, sessionId) {
      // A topic this instance does not want is never delivered here: nothing to attach to.
      if (wantedTopics.has(topic)) delivered.rememberSender(topic, id, sessionId);
    },
    deliverLocally(topics, envelope) {
      for (const topic of topics) {
        if (wantedTopics.has(topic)) queueMicrotask(() => options.deliver(topic, envelope));
      }
    },
  };
}

/** What was delivered per topic: each stored message once, with its sender when this instance sent it. */
interface DeliveryLog {
  /** Delivers `envelope` unless `topic` already had its id (ids only grow per topic). */
  once(topic: Topic, envelope: Envelope): void;
  /** The id of the last message delivered on `topic`. */
  last(topic: Topic): string | undefined;
  /** Attaches `sessionId` to the delivery of `id` on `topic`, unless it was delivered already. */
  rememberSender(topic: Topic, id: string, sessionId: string): void;
  /** Drops what is kept about `topic`. */
  forget(topic: Topic): void;
}

function createDeliveryLog(
  deliver: (topic: Topic, envelope: Envelope) => void,
  maxSenders: number,
): DeliveryLog {
  const lastDelivered = new Map<Topic, string>();
  /**
   * Per topic, message id → sending session, for this instance's direct
   * messages not delivered yet. Insertion order is id order: they are
   * recorded as their publishes are answered, on one connection.
   */
  const senders = new Map<Topic, Map<string, string>>();

  /** The envelope with its sender attached if remembered; forgets every sender up to its id. */
  function withSender(topic: Topic, envelope: MessageEnvelope): MessageEnvelope {
    const pending = senders.get(topic);
    if (!pending) return envelope;
    const { id } = envelope.message;
    const sessionId = pending.get(id);
    // Ids only grow per topic: a sender of an earlier id can no longer be needed.
    for (const earlier of pending.keys()) {
      if (earlier > id) break;
      pending.delete(earlier);
    }
    if (pending.size === 0) senders.delete(topic);
    if (sessionId === undefined || envelope.kind !== "direct") return envelope;
    if (envelope.senderSession !== undefined) return envelope;
    return { ...envelope, senderSession: sessionId };
  }

  return {
    once(topic, envelope) {
      if (isMessage(envelope)) {
        const last = lastDelivered.get(topic);
        if (last !== undefined && envelope.message.id <= last) return;
        lastDelivered.set(topic, envelope.message.id);
        envelope = withSender(topic, envelope);
      }
      deliver(topic, envelope);
    },
    last: (topic) => lastDelivered.get(topic),
    rememberSender(topic, id, sessionId) {
      // The live copy may have come before the publish's answer: then there is nothing to attach to.
      const last = lastDelivered.get(topic);
      if (last !== undefined && id <= last) return;
      const pending = senders.get(topic) ?? new Map<string, string>();
      senders.set(topic, pending);
      pending.set(id, sessionId);
      if (pending.size > maxSenders) pending.delete(pending.keys().next().value!);
    },
    forget(topic) {
      lastDelivered.delete(topic);
      senders.delete(topic);
    },
  };
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const values = map.get(key);
  if (values) values.push(value);
  else map.set(key, [value]);
}
