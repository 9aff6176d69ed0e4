/**
 * The embedded broker: the whole broker contract inside one process, with no
 * Redis. A hub holds the shared state; each `connect()` is one instance's
 * view of it, so several cores in one process behave exactly as several
 * instances on one Redis (the contract suite relies on this). Deliveries
 * are queued as microtasks, never run inside `publish`, as they would arrive
 * from a network.
 *
 * @module
 */
import { createMessageClock } from "../ids.ts";
import { userKey } from "../protocol/names.ts";
import type { DeliveredMessage } from "../protocol/commands.ts";
import type {
  Broker,
  ChannelRegistry,
  DeliveryHandler,
  Envelope,
  MessageBus,
  MessageDraft,
  OpenSessionRequest,
  OpenSessionResult,
  Topic,
  UserDirectory,
  UserRecord,
} from "./broker.ts";

/** State shared by the instances of one in-memory deployment. */
export interface MemoryHub {
  /** A new instance's broker on this hub. */
  connect(): Broker;
}

interface Claim extends UserRecord {
  tokenHash: string;
  sessions: Set<string>;
}

/** Creates an empty in-memory deployment. */
export function createMemoryHub(): MemoryHub {
  const stamp = createMessageClock();
  const instances = new Set<Instance>();
  const claims = new Map<string, Claim>();
  const claimsByToken = new Map<string, Claim>();
  const channels = new Set<string>();

  interface Instance {
    topics: Set<Topic>;
    handler: DeliveryHandler;
  }

  function deliver(topics: readonly Topic[], envelope: Envelope): void {
    for (const instance of instances) {
      for (const topic of new Set(topics)) {
        if (instance.topics.has(topic)) queueMicrotask(() => instance.handler(topic, envelope));
      }
    }
  }

  const users: UserDirectory = {
    open(request: OpenSessionRequest): Promise<OpenSessionResult> {
      return Promise.resolve(openSession(request));
    },
    close(name, sessionId) {
      const claim = claims.get(userKey(name));
      if (claim?.sessions.delete(sessionId) && claim.sessions.size === 0) {
        claims.delete(userKey(name));
        claimsByToken.delete(claim.tokenHash);
      }
      return Promise.resolve();
    },
    lookup(name) {
      const claim = claims.get(userKey(name));
      return Promise.resolve(claim && { name: claim.name, kind: claim.kind });
    },
    online() {
      return Promise.resolve(Array.from(claims.values(), (claim) => claim.name));
    },
    onRevoked() {
      // Claims in one process are never lost.
    },
  };

  function openSession(request: OpenSessionRequest): OpenSessionResult {
    const { name, presentedTokenHash, sessionId, kind } = request;
    const held = name === undefined
      ? claimsByToken.get(presentedTokenHash ?? "")
      : claims.get(userKey(name));
    if (held) {
      if (held.tokenHash !== presentedTokenHash || held.kind !== kind) return { status: "taken" };
      held.sessions.add(sessionId);
      return { status: "joined", user: { name: held.name, kind } };
    }
    if (name === undefined) return { status: "unknown_token" };
    const claim = { name, kind, tokenHash: request.freshTokenHash, sessions: new Set([sessionId]) };
    claims.set(userKey(name), claim);
    claimsByToken.set(claim.tokenHash, claim);
    return { status: "claimed", user: { name, kind } };
  }

  const registry: ChannelRegistry = {
    create(name) {
      const created = !channels.has(name);
      channels.add(name);
      return Promise.resolve(created);
    },
    exists(name) {
      return Promise.resolve(channels.has(name));
    },
    list() {
      return Promise.resolve([...channels]);
    },
  };

  return {
    connect(): Broker {
      const instance: Instance = { topics: new Set(), handler: () => {} };
      instances.add(instance);
      const bus: MessageBus = {
        publish(topics: readonly Topic[], draft: MessageDraft): Promise<DeliveredMessage> {
          const message = { ...stamp(), from: draft.from, to: draft.to, text: draft.text };
          deliver(
            topics,
            draft.kind === "direct"
              ? { kind: "direct", message, senderSession: draft.senderSession }
              : { kind: "channel", message },
          );
          return Promise.resolve(message);
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
        onDelivery(handler) {
          instance.handler = handler;
        },
      };
      return {
        bus,
        users,
        channels: registry,
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
export function createMemoryBroker(): Broker {
  return createMemoryHub().connect();
}
