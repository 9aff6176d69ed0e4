/**
 * The embedded broker: the whole broker contract inside one process, with no
 * Redis. A hub holds the shared state (claims, channels, bounded history,
 * dedup keys); each `connect()` is one instance's view of it, so several
 * cores in one process behave exactly as several instances on one Redis
 * (the contract suite relies on this). Deliveries are queued as
 * microtasks, never run inside `publish`, as they would arrive from a
 * network.
 *
 * @module
 */
import { userKey } from "../protocol/names.ts";
import { channelTopic, userTopic } from "./broker.ts";
import { createMemoryChannels } from "./memory_channels.ts";
import { createMemoryHistory } from "./memory_history.ts";
import { createMemoryPresence } from "./memory_presence.ts";
import { createMemoryMessages } from "./memory_messages.ts";
import { createMemoryReads } from "./memory_reads.ts";
import { createMemoryEventQueue } from "./memory_event_queue.ts";
import type {
  Broker,
  BrokerEvents,
  Envelope,
  MessageBus,
  OpenSessionRequest,
  OpenSessionResult,
  Topic,
  UserDirectory,
  UserRecord,
} from "./broker.ts";

/** Bounds of what the hub retains. */
export interface MemoryHubOptions {
  /** Messages kept per topic. @default 1000 */
  historyLimit: number;
  /** Age (ms) after which a kept message is dropped. @default 7 days */
  historyTtlMs: number;
  /** How long a dedup key is remembered. @default 120000 */
  dedupWindowMs: number;
  /** How long a user keeps the name after their last session ends. @default 120000 */
  reconnectGraceMs: number;
}

const DEFAULT_OPTIONS: MemoryHubOptions = {
  historyLimit: 1000,
  historyTtlMs: 7 * 24 * 3600 * 1000,
  dedupWindowMs: 120_000,
  reconnectGraceMs: 120_000,
};

/** State shared by the instances of one in-memory deployment. */
export interface MemoryHub {
  /** A new instance's broker on this hub. */
  connect(): Broker;
  /** How much the hub holds: topics with history, remembered dedup keys, claims, users' channels. */
  stats(): { historyTopics: number; dedupKeys: number; claims: number; memberships: number };
}

interface Claim extends UserRecord {
  tokenHash: string;
  sessions: Set<string>;
  /** With no session left: when the grace ends and the name is free. */
  graceUntil?: number;
  /** A verified identity (JWT): its inbox and channels outlive the claim. */
  identified: boolean;
}

/** Creates an empty in-memory deployment. */
export function createMemoryHub(options: Partial<MemoryHubOptions> = {}): MemoryHub {
  const { historyLimit, historyTtlMs, dedupWindowMs, reconnectGraceMs } = {
    ...DEFAULT_OPTIONS,
    ...options,
  };
  /** Whose token hash each user key's inbox belongs to: a new holder of the name starts empty. */
  const inboxOwners = new Map<string, string>();
  /** Per user key, the newest inbox message when the user's sessions last ended. */
  const inboxSeen = new Map<string, string>();
  /** Per user key, the channels the user belongs to (they go with the inbox), and the profile. */
  const presence = createMemoryPresence();
  const retained = createMemoryHistory({ historyLimit, historyTtlMs });
  const readState = createMemoryReads({
    history: retained,
    isMember: (key, channel) => presence.channelsOf(key).includes(channel),
    memberCount: (channel) => presence.memberCount(channel),
    lastId: () => messages.lastId(),
  });
  const instances = new Set<Instance>();
  const claims = new Map<string, Claim>();
  /** Users with a live session: counted as they come and go, so counting costs nothing. */
  let onlineUsers = 0;
  const claimsByToken = new Map<string, Claim>();
  /** Per user key, until when (ms) the name may not open a session. */
  const bars = new Map<string, number>();
  const eventQueue = createMemoryEventQueue();

  interface Instance {
    topics: Set<Topic>;
    /** Only deliveries: claims in one process are never lost, so nothing is ever revoked. */
    events: BrokerEvents;
  }

  function deliver(topics: readonly Topic[], envelope: Envelope): void {
    for (const instance of instances) {
      for (const topic of new Set(topics)) {
        if (instance.topics.has(topic)) {
          queueMicrotask(() => instance.events.deliver(topic, envelope));
        }
      }
    }
  }

  const users: UserDirectory = {
    open(request: OpenSessionRequest): Promise<OpenSessionResult> {
      return Promise.resolve(openSession(request));
    },
    close(name, sessionId) {
      const key = userKey(name);
      const claim = claims.get(key);
      const offline = claim?.sessions.delete(sessionId) === true && claim.sessions.size === 0;
      if (claim && offline) {
        onlineUsers--;
        claim.graceUntil = Date.now() + reconnectGraceMs;
        const newest = retained.newest(userTopic(key));
        if (newest) inboxSeen.set(key, newest);
        presence.lastSeen(key, claim.name);
        // A lobby (kind-B) client has no token to come back with: its name is free at once.
        if (reconnectGraceMs === 0 || claim.kind === "B") release(key, claim);
      }
      return Promise.resolve(offline);
    },
    lookup(name) {
      const claim = held(userKey(name));
      return Promise.resolve(
        claim && { name: claim.name, kind: claim.kind, online: claim.sessions.size > 0 },
      );
    },
    online() {
      const names = [];
      for (const [key, claim] of claims) {
        if (claim.sessions.size > 0) names.push(claim.name);
        else held(key); // Frees it once its grace has ended: the list feed reads this often.
      }
      return Promise.resolve(names);
    },
    onlineCount() {
      return Promise.resolve(onlineUsers);
    },
    setStatus(name, status, text) {
      presence.setStatus(userKey(name), name, status, text);
      return Promise.resolve();
    },
    presence(names) {
      return Promise.resolve(names.map((name) => {
        const key = userKey(name);
        return presence.presenceOf(key, name, isOnline(key));
      }));
    },
    memberships(name) {
      return Promise.resolve(presence.channelsOf(userKey(name)));
    },
    setMembership(name, channel, member) {
      const changed = presence.setMembership(userKey(name), name, channel, member);
      if (changed) {
        if (member) readState.joined(userKey(name), channel);
        else readState.left(userKey(name), channel);
      }
      return Promise.resolve(changed);
    },
    bar(name, measure) {
      if ("lifted" in measure) bars.delete(userKey(name));
      else bars.set(userKey(name), "forever" in measure ? Infinity : measure.until);
      return Promise.resolve();
    },
    barredUntil(name) {
      const until = bars.get(userKey(name));
      if (until !== undefined && until <= Date.now()) bars.delete(userKey(name));
      return Promise.resolve(until !== undefined && until > Date.now() ? until : undefined);
    },
  };

  function isOnline(key: string): boolean {
    return (claims.get(key)?.sessions.size ?? 0) > 0;
  }

  /** The claim on `key`, unless its grace has ended (then the name is freed). */
  function held(key: string): Claim | undefined {
    const claim = claims.get(key);
    if (claim?.graceUntil !== undefined && claim.sessions.size === 0) {
      if (claim.graceUntil <= Date.now()) return release(key, claim);
    }
    return claim;
  }

  function release(key: string, claim: Claim): undefined {
    claims.delete(key);
    claimsByToken.delete(claim.tokenHash);
    // An anonymous holding ends here: nobody can read its inbox or channels again.
    if (!claim.identified) {
      retained.forget(userTopic(key));
      inboxOwners.delete(key);
      inboxSeen.delete(key);
      presence.dropUser(key);
      readState.forgetUser(key);
    }
    return undefined;
  }

  function openSession(request: OpenSessionRequest): OpenSessionResult {
    const { name, presentedTokenHash, sessionId, kind } = request;
    const byToken = claimsByToken.get(presentedTokenHash ?? "");
    const claim = name === undefined ? byToken && held(userKey(byToken.name)) : held(userKey(name));
    if (claim) {
      const mayJoin = claim.tokenHash === presentedTokenHash ||
        (request.shared && name !== undefined);
      if (!mayJoin || claim.kind !== kind) return { status: "taken" };
      if (claim.sessions.size >= request.maxSessions) return { status: "too_many_sessions" };
      const firstSession = claim.sessions.size === 0;
      claim.sessions.add(sessionId);
      claim.graceUntil = undefined;
      if (firstSession) onlineUsers++;
      const seen = firstSession ? inboxSeen.get(userKey(claim.name)) : undefined;
      return {
        status: "joined",
        user: { name: claim.name, kind },
        tokenHash: claim.tokenHash,
        firstSession,
        ...(seen === undefined ? {} : { seen }),
      };
    }
    if (name === undefined) return { status: "unknown_token" };
    const key = userKey(name);
    const fresh: Claim = {
      name,
      kind,
      tokenHash: request.freshTokenHash,
      sessions: new Set([sessionId]),
      identified: request.identified === true,
    };
    claims.set(key, fresh);
    onlineUsers++;
    if (!request.identified && inboxOwners.get(key) !== fresh.tokenHash) {
      retained.forget(userTopic(key));
      inboxSeen.delete(key);
      presence.dropUser(key);
      readState.forgetUser(key);
    }
    registry.claimed(key, fresh.tokenHash);
    inboxOwners.set(key, fresh.tokenHash);
    claimsByToken.set(fresh.tokenHash, fresh);
    const seen = inboxSeen.get(key);
    return {
      status: "claimed",
      user: { name, kind },
      tokenHash: fresh.tokenHash,
      firstSession: true,
      ...(seen === undefined ? {} : { seen }),
    };
  }

  const messages = createMemoryMessages({
    history: retained,
    readState,
    dedupWindowMs,
    mutedUntil: (channel, key) => registry.mutedUntil(channel, key),
    deliver,
  });

  const registry = createMemoryChannels({
    presence,
    isOnline,
    holderOf: (key) => held(key)?.tokenHash,
    // The history goes with the channel; the registry holds none.
    removed: (name) => {
      retained.forget(channelTopic(name));
      readState.forgetChannel(name);
    },
    banned: (key, name) => readState.left(key, name),
  });

  return {
    stats: () => ({
      historyTopics: retained.topics(),
      dedupKeys: messages.dedupKeys(),
      claims: claims.size,
      memberships: presence.users(),
    }),
    connect(): Broker {
      const instance: Instance = {
        topics: new Set(),
        events: { deliver() {}, revoked() {}, expired() {} },
      };
      instances.add(instance);
      const bus: MessageBus = {
        publish(topics, draft) {
          try {
            return Promise.resolve(messages.publish(topics, draft));
          } catch (error) {
            return Promise.reject(error);
          }
        },
        change(topics, draft) {
          try {
            return Promise.resolve(messages.change(topics, draft));
          } catch (error) {
            return Promise.reject(error);
          }
        },
        signal(topic, envelope) {
          deliver([topic], envelope);
          return Promise.resolve();
        },
        subscribe(topic) {
          instance.topics.add(topic);
          return Promise.resolve();
        },
        unsubscribe(topic) {
          instance.topics.delete(topic);
          return Promise.resolve();
        },
        recall(dedupKey) {
          return Promise.resolve(messages.recall(dedupKey));
        },
      };
      return {
        bus,
        history: retained.history,
        users,
        channels: registry,
        reads: readState.reads,
        events: eventQueue,
        instances: () => Promise.resolve(instances.size),
        onEvents(events) {
          instance.events = events;
        },
        isReady: () => true,
        close() {
          instances.delete(instance);
          return Promise.resolve();
        },
      };
    },
  };
}

/** The broker of a single-process deployment. */
export function createMemoryBroker(options: Partial<MemoryHubOptions> = {}): Broker {
  return createMemoryHub(options).connect();
}
