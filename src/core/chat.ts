/**
 * The chat core of one instance, wired together: the session registry,
 * opening, the command handlers, the channel manager, delivery and the
 * list feed, over one broker. Nothing here handles a frame; each part does
 * its own. The path of one broadcast: edge → `sessions.ts` → `session.ts`
 * (receive) → `handlers.ts` (publish) → broker → `delivery.ts` → connection.
 *
 * @module
 */
import type { Authenticator } from "../auth.ts";
import type { Broker } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { Metrics } from "../metrics/metrics.ts";
import type { Tracing } from "../tracing.ts";
import { createCodecA } from "../protocol/codec_a.ts";
import { createCodecB } from "../protocol/codec_b.ts";
import { createChannels } from "./channels.ts";
import { createClaims } from "./claims.ts";
import type { Connection, ConnectionEvents } from "./connection.ts";
import { createDelivery } from "./delivery.ts";
import { createHandlers } from "./handlers.ts";
import { createBoundedLog, OVERLOAD_LOG_BURST, OVERLOAD_LOG_RATE } from "./limits.ts";
import { createListFeed } from "./lists.ts";
import { createMemberships } from "./memberships.ts";
import { createModeration, type Moderation } from "./moderation.ts";
import { createOpening } from "./opening.ts";
import { createPresence } from "./presence.ts";
import { createRoster } from "./roster.ts";
import type { Session } from "./session.ts";
import { createSessionRegistry } from "./sessions.ts";
import type { Handshake } from "../protocol/handshake.ts";

/** The settings the core reads. */
export type ChatSettings = Pick<
  Config,
  | "lobbyChannel"
  | "listUpdateIntervalMs"
  | "maxMessageChars"
  | "maxDataBytes"
  | "maxFrameBytes"
  | "slowConsumerBytes"
  | "rateMessagesPerSecond"
  | "rateBurst"
  | "maxChannelsPerSession"
  | "maxSessionsPerUser"
  | "channelCreationsPerMinute"
  | "messageChangesPerMinute"
  | "editWindowSeconds"
  | "maxReactionsPerMessage"
  | "readReceiptsMaxMembers"
  | "maxQueuedFrames"
  | "allowAnonymousLobby"
  | "sharedUsernames"
  | "nameScriptRestriction"
  | "listMaxNames"
  | "listBytesPerSecond"
  | "presenceEventsMaxMembers"
>;

/** What the core needs to run: its settings, the broker and the log. */
export interface ChatOptions extends ChatSettings {
  broker: Broker;
  log: Logger;
  /** AUTH_MODE=jwt: verifies tokens; absent in anonymous mode. */
  authenticator?: Authenticator;
  /** Where refusals are logged (at debug); by default `log`, bounded in rate. */
  refusalLog?: Logger;
  /** Where the core counts what it does, for `/metrics`; by default counts nobody reads. */
  metrics?: Metrics;
  /** Spans around publishing and delivering (see `tracing.ts`); absent: none. */
  tracing?: Tracing;
}

/** How many connections and opened sessions this instance holds, by client kind. */
export interface Census {
  connections: Record<"A" | "B", number>;
  sessions: Record<"A" | "B", number>;
}

/** The chat service of one instance. */
export interface Chat {
  /** Registers the lobby and starts list updates; call once before accepting. */
  start(): Promise<void>;
  /** Takes over a freshly opened connection; the edge reports its events to the result. */
  accept(connection: Connection, handshake: Handshake): ConnectionEvents;
  /**
   * Lets the commands in flight finish (for at most `drainMs`), closes every
   * session with 1012 and waits until their state is released.
   */
  shutdown(drainMs?: number): Promise<void>;
  /** Sessions currently connected to this instance. */
  sessionCount(): number;
  /** What administering channels and users does (for the server API, which acts as the server). */
  readonly moderation: Moderation;
  /** Counts the connections and sessions by client kind (for `/metrics`: walks every session). */
  census(): Census;
}

/** Creates the chat service on `options.broker`. */
export function createChat(options: ChatOptions): Chat {
  const { broker, log, authenticator } = options;
  const metrics = options.metrics ?? new Metrics();
  const roster = createRoster<Session>(broker.bus);
  /** Shared by delivery, which notes each channel's newest id, and the sessions' resumes. */
  const lastDelivered = new Map<string, string>();
  const channels = createChannels({ ...options, roster });
  const presence = createPresence(options);
  const lists = createListFeed({ ...options, intervalMs: options.listUpdateIntervalMs, presence });
  const memberships = createMemberships({ broker, channels, presence });
  const moderation = createModeration({ broker, presence });
  const handlers = createHandlers({ ...options, memberships, presence, moderation });
  const claims = createClaims(options);
  const opening = createOpening({
    ...options,
    claims,
    channels,
    memberships,
    lists,
    handlers,
    presence,
    requireTokens: authenticator !== undefined,
  });
  const sessions = createSessionRegistry({
    settings: {
      ...options,
      refusalLog: options.refusalLog ?? createBoundedLog(log),
      lastDelivered,
      overloadLog: createBoundedLog(log, OVERLOAD_LOG_RATE, OVERLOAD_LOG_BURST),
      metrics,
    },
    codecs: { A: createCodecA(options), B: createCodecB(options) },
    opening,
    handlers,
    channels,
    claims,
    presence,
  });
  broker.onEvents({
    deliver: createDelivery({
      roster,
      log,
      follow: memberships.follow,
      onPresence: presence.deliver,
      lastDelivered,
      metrics,
      tracing: options.tracing,
    }),
    revoked: sessions.revoke,
    expired: presence.expired,
  });

  const lobby = lobbyRegistration(broker, options.lobbyChannel, log);

  return {
    async start() {
      await lobby.register();
      lists.start(sessions);
    },
    accept: sessions.accept,
    async shutdown(drainMs) {
      lobby.stop();
      lists.stop();
      await sessions.shutdown(drainMs);
    },
    sessionCount: sessions.count,
    moderation,
    census() {
      const census: Census = { connections: { A: 0, B: 0 }, sessions: { A: 0, B: 0 } };
      for (const session of sessions.values()) {
        if (session.state === "closed") continue;
        census.connections[session.codec.kind]++;
        if (session.state === "open") census.sessions[session.codec.kind]++;
      }
      return census;
    },
  };
}

/** How long the broker may stay unreachable at startup before that is worth a warning. */
const LOBBY_PATIENCE_MS = 5_000;

/**
 * Registers the lobby. An instance often starts before its Redis connection
 * is up: then it tries again in the background, quietly, and warns only if
 * the broker stays unreachable past `LOBBY_PATIENCE_MS`.
 */
function lobbyRegistration(broker: Broker, lobby: string, log: Logger) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let warned = false;
  let began = 0;

  async function attempt(delayMs: number): Promise<void> {
    try {
      await broker.channels.create(lobby);
      if (warned) log.info("lobby.registered", { channel: lobby });
    } catch (error) {
      if (!warned && Date.now() - began > LOBBY_PATIENCE_MS) {
        warned = true;
        log.warn("lobby.unregistered", { channel: lobby, error, message: "retrying" });
      }
      timer = setTimeout(() => attempt(Math.min(delayMs * 2, 1000)), delayMs);
    }
  }

  return {
    register(): Promise<void> {
      began = Date.now();
      return attempt(50);
    },
    stop: () => clearTimeout(timer),
  };
}
