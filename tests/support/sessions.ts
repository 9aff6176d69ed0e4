/**
 * Sessions on fake connections, for the core's module tests: a connection
 * that records what the core sends and how it closes, with a settable
 * `bufferedAmount`, and sessions built on it with generous limits and a
 * silent log.
 *
 * @module
 */
import { Metrics } from "../../src/metrics/metrics.ts";
import type { Broker } from "../../src/broker/broker.ts";
import { type Channels, createChannels } from "../../src/core/channels.ts";
import type { Connection } from "../../src/core/connection.ts";
import { createMemberships, type Memberships } from "../../src/core/memberships.ts";
import { createPresence, type PresenceFeed } from "../../src/core/presence.ts";
import { createListFeed, type ListFeed, type ListFeedOptions } from "../../src/core/lists.ts";
import { createRoster } from "../../src/core/roster.ts";
import { createSession, type Session, type SessionSettings } from "../../src/core/session.ts";
import type { Logger } from "../../src/log.ts";
import { createCodecA } from "../../src/protocol/codec_a.ts";
import { createCodecB } from "../../src/protocol/codec_b.ts";
import type { Codec } from "../../src/protocol/commands.ts";

/** A log that prints nothing. */
export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A log that keeps every line, for tests that check what was reported. */
export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** The codecs of both client kinds, with a 100-character message limit. */
export const codecA: Codec = createCodecA({ maxMessageChars: 100 });
export const codecB: Codec = createCodecB({ maxMessageChars: 100 });

/** Session settings with generous limits. */
export function testSettings(overrides: Partial<SessionSettings> = {}): SessionSettings {
  return {
    log: silent,
    refusalLog: silent,
    overloadLog: silent,
    maxFrameBytes: 4096,
    slowConsumerBytes: 1_048_576,
    rateMessagesPerSecond: 1_000_000,
    rateBurst: 1_000_000,
    channelCreationsPerMinute: 1_000_000,
    messageChangesPerMinute: 1_000_000,
    maxQueuedFrames: 64,
    lastDelivered: new Map(),
    metrics: new Metrics(),
    ...overrides,
  };
}

/** A connection that records what it is sent and how it is closed. */
export interface FakeConnection extends Connection {
  /** Frames sent, as strings. */
  readonly sent: string[];
  /** How the core closed it, if it did. */
  closedWith?: { code: number; reason: string };
  /** What `bufferedAmount` reports; a test raises it to play a client that stopped reading. */
  buffered: number;
  /** When true, `send` throws, as a broken edge might. */
  broken: boolean;
}

/** A fresh fake connection. */
export function fakeConnection(): FakeConnection {
  const connection: FakeConnection = {
    sent: [],
    buffered: 0,
    broken: false,
    send(text) {
      if (connection.broken) throw new Error("broken edge");
      connection.sent.push(text);
    },
    close(code, reason) {
      connection.closedWith = { code, reason };
    },
    get bufferedAmount() {
      return connection.buffered;
    },
  };
  return connection;
}

/** A session on a fake connection: `open` with a user unless told otherwise; a registering one has no user. */
export function fakeSession(
  options: {
    id?: string;
    codec?: Codec;
    user?: string;
    state?: Session["state"];
    settings?: SessionSettings;
  } = {},
): Session & { connection: FakeConnection } {
  const connection = fakeConnection();
  const id = options.id ?? crypto.randomUUID();
  const session = createSession(
    id,
    options.codec ?? codecA,
    connection,
    options.settings ?? testSettings(),
  );
  session.state = options.state ?? "open";
  if (session.state !== "registering" || options.user !== undefined) {
    const name = options.user ?? `user-${id.slice(0, 8)}`;
    session.user = { name, key: name.toLowerCase(), token: "t", claimTag: "c" };
  }
  return session as Session & { connection: FakeConnection };
}

/** The frames a fake session was sent, parsed. */
export function framesOf(session: { connection: FakeConnection }): Record<string, unknown>[] {
  return session.connection.sent.map((text) => JSON.parse(text));
}

/** Resolves after every queued microtask has run (a timer runs only once they have). */
export function microtasksDrained(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves once `check` holds, looked at every few milliseconds; fails after 5 s. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Presence over `broker`: per-member events for channels of up to 1,000 members. */
export function presenceOn(broker: Broker): PresenceFeed {
  return createPresence({
    broker,
    log: silent,
    presenceEventsMaxMembers: 1000,
    readReceiptsMaxMembers: 50,
  });
}

/** A list feed over `broker` as the core makes it, with a byte budget no test reaches. */
export function listFeedOn(
  broker: Broker,
  presence: PresenceFeed,
  intervalMs = 1000,
  limits: Partial<Pick<ListFeedOptions, "listMaxNames" | "listBytesPerSecond">> = {},
): ListFeed {
  return createListFeed({
    broker,
    intervalMs,
    log: silent,
    presence,
    listMaxNames: 200,
    listBytesPerSecond: 1_000_000,
    ...limits,
  });
}

/** Claims `name` for one kind-A session in the directory, as a connecting client would. */
export async function claimName(broker: Broker, name: string): Promise<void> {
  await broker.users.open({
    name,
    freshTokenHash: `hash-${name}`,
    sessionId: `session-${name}`,
    kind: "A",
    maxSessions: 10,
  });
}

/** The channel manager and the user-owned memberships over `broker`, with generous limits. */
export function channelsOn(
  broker: Broker,
): { channels: Channels; memberships: Memberships; presence: PresenceFeed } {
  const channels = createChannels({
    broker,
    roster: createRoster<Session>(broker.bus),
    maxChannelsPerSession: 100,
    channelCreationsPerMinute: 100,
  });
  const presence = presenceOn(broker);
  return { channels, memberships: createMemberships({ broker, channels, presence }), presence };
}

/** The settings of message changes and read receipts, at their defaults, for handlers in tests. */
export const CHANGE_SETTINGS = {
  editWindowSeconds: 86_400,
  maxReactionsPerMessage: 20,
  readReceiptsMaxMembers: 50,
} as const;
