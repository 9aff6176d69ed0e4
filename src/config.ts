/**
 * Natter's configuration: every environment variable the server reads, in one
 * table, `SETTINGS`. Each entry names its variable, reads it (default, bounds,
 * error message) and documents it; `Config` is derived from the table, so a new
 * setting is one entry (and one README row). `loadConfig` is pure (it takes the
 * environment as a plain record) so that every runtime entry point and every
 * test loads configuration the same way.
 *
 * @module
 */
import { SCRIPT_RESTRICTIONS } from "./protocol/names.ts";
import { LOG_FORMATS } from "./log.ts";
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from "./webhooks/events.ts";
import {
  channelName,
  flag,
  integer,
  list,
  oneOf,
  readSettings,
  type SettingsTable,
  type SettingValues,
  text,
  verbatim,
} from "./settings.ts";

/** Paths the HTTP surface answers itself, so no WebSocket path may take them. */
const HTTP_PATHS = ["/", "/healthz", "/readyz", "/metrics", "/api"];

/** Whether a request can have `path` as its path: as a URL parser leaves it, in RFC 3986 characters. */
function isWebSocketPath(path: string): boolean {
  return /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/.test(path) && !path.includes("//") &&
    new URL(path, "http://host").pathname === path && !HTTP_PATHS.includes(path) &&
    !path.startsWith("/api/");
}

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** The runtime edges, by the name `EDGE` selects them with. */
export const EDGE_NAMES = ["deno", "ws"] as const;
/** A runtime edge's name. */
export type EdgeName = (typeof EDGE_NAMES)[number];

/**
 * Every setting Natter reads, keyed by its `Config` key, in the order errors
 * are reported. Each entry's doc comment is the setting's meaning.
 */
export const SETTINGS = {
  /** TCP port to listen on; 0 picks a free one. @default 8080 */
  port: integer("PORT", 8080, 0, 65535),
  /** Interface to bind. @default "0.0.0.0" */
  host: text("HOST", { fallback: "0.0.0.0" }),
  /**
   * The paths that upgrade to WebSocket, all alike: `/ws` is Natter's, `/chat`
   * the one seed A's web client connects to. @default ["/ws", "/chat"]
   */
  wsPaths: list("WS_PATHS", {
    fallback: "/ws,/chat",
    valid: isWebSocketPath,
    must: "be a comma list of paths such as /ws,/chat: each starts with /, is written as " +
      "a request sends it (ASCII, other characters %-encoded; no ?, #, // or dot segments), " +
      "and is not /, /healthz, /readyz, /metrics or under /api",
  }),
  /** The channel kind-B clients live in. @default "lobby" */
  lobbyChannel: channelName("LOBBY_CHANNEL", "lobby"),
  /**
   * How far usernames and channel names may mix scripts, after UTS #39's
   * restriction levels: `highly-restrictive` (one script, or Latin with
   * Han and Japanese kana, Bopomofo or Hangul), `moderately-restrictive`
   * (also Latin with one other script but Cyrillic or Greek) or
   * `unrestricted`. @default "moderately-restrictive"
   */
  nameScriptRestriction: oneOf("NAME_SCRIPT_RESTRICTION", SCRIPT_RESTRICTIONS, {
    fallback: "moderately-restrictive",
    must: `be one of ${SCRIPT_RESTRICTIONS.join(", ")}`,
  }),
  /** Least time between two userList (or channelList) frames to one client. @default 1000 */
  listUpdateIntervalMs: integer("LIST_UPDATE_INTERVAL_MS", 1000, 50, 60_000),
  /**
   * Names a userList or channelList holds: every one while the deployment has
   * at most this many; beyond, each client's list holds only what concerns it
   * (its channels, the online members of those). @default 200
   */
  listMaxNames: integer("LIST_MAX_NAMES", 200, 10, 100_000),
  /** Most bytes of userList and channelList frames one client gets per second, on average. @default 2048 */
  listBytesPerSecond: integer("LIST_BYTES_PER_SECOND", 2048, 256, 10_485_760),
  /**
   * Channels with at most this many members tell watching members of each
   * join, leave and status change; bigger ones send counts instead. @default 1000
   */
  presenceEventsMaxMembers: integer("PRESENCE_EVENTS_MAX_MEMBERS", 1000, 0, 1_000_000),
  /** Longest text of one message, in Unicode code points. @default 4000 */
  maxMessageChars: integer("MAX_MESSAGE_CHARS", 4000, 1, 1_000_000),
  /** Largest `data` of one message, as JSON in UTF-8 bytes. @default 4096 */
  maxDataBytes: integer("MAX_DATA_BYTES", 4096, 0, 65_536),
  /** Largest client frame in UTF-8 bytes; larger ones close the connection with 1009. @default 65536 */
  maxFrameBytes: integer("MAX_FRAME_BYTES", 65536, 256, 16 * 1024 * 1024),
  /** Bytes queued to a client that does not read before it is disconnected (4005). @default 1048576 */
  slowConsumerBytes: integer("SLOW_CONSUMER_BYTES", 1_048_576, 65_536, 1_073_741_824),
  /** Redis to share state with other instances; without it, the embedded broker. */
  redisUrl: text("REDIS_URL", {
    valid: (url) => /^rediss?:\/\/[^\s]+$/.test(url),
    must: "be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379",
  }),
  /** Start of every Redis key and topic. @default "natter:" */
  redisPrefix: text("REDIS_PREFIX", {
    fallback: "natter:",
    valid: (prefix) => /^[^\s*?[\]]{1,64}$/.test(prefix),
    must: "be 1-64 characters without spaces or glob characters (*?[])",
  }),
  /** How long a crashed instance's users stay online (Redis mode). @default 15000 */
  presenceTtlMs: integer("PRESENCE_TTL_MS", 15_000, 1000, 3_600_000),
  /**
   * How long a user keeps the name, token, inbox and memberships after the
   * last session ends (a closed tab, a restarted instance); 0 releases at once.
   * @default 120000
   */
  reconnectGraceMs: integer("RECONNECT_GRACE_MS", 120_000, 0, 86_400_000),
  /** Messages kept per channel and per user inbox. @default 1000 */
  historyLimit: integer("HISTORY_LIMIT", 1000, 1, 10_000),
  /** Age after which a kept message is dropped. @default 604800 (7 days) */
  historyTtlSeconds: integer("HISTORY_TTL_SECONDS", 604_800, 1, 31_536_000),
  /** How long a `ref` makes a re-sent message a duplicate. @default 120000 */
  dedupWindowMs: integer("DEDUP_WINDOW_MS", 120_000, 1000, 86_400_000),
  /** Origins browsers may connect from (checked on upgrade). @default ["*"] */
  allowedOrigins: list("ALLOWED_ORIGINS", {
    fallback: "*",
    valid: (origin) => origin === "*" || /^https?:\/\/[^\s/]+$/.test(origin),
    must: "be * or a comma list of origins such as https://chat.example.com",
  }),
  /** Take the client address from X-Forwarded-For (behind one trusted proxy). @default false */
  trustProxy: flag("TRUST_PROXY"),
  /** Open connections per instance; more are refused with 503. @default 10000 */
  maxConnections: integer("MAX_CONNECTIONS", 10_000, 1, 1_000_000),
  /** Open connections per client address; more are refused with 429. @default 100 */
  maxConnectionsPerIp: integer("MAX_CONNECTIONS_PER_IP", 100, 1, 1_000_000),
  /** A client that answers no ping for this long is disconnected. @default 60000 */
  idleTimeoutMs: integer("IDLE_TIMEOUT_MS", 60_000, 1000, 3_600_000),
  /** Frames a session may send per second, on average. @default 20 */
  rateMessagesPerSecond: integer("RATE_MESSAGES_PER_SECOND", 20, 1, 1_000_000),
  /** Frames a session may send at once after a quiet spell. @default 40 */
  rateBurst: integer("RATE_BURST", 40, 1, 1_000_000),
  /**
   * Frames one session may have queued and in flight (publishes are pipelined);
   * more are refused with `rate_limited`. @default 512
   */
  maxQueuedFrames: integer("MAX_QUEUED_FRAMES", 512, 1, 100_000),
  /** Channels one session may be a member of. @default 100 */
  maxChannelsPerSession: integer("MAX_CHANNELS_PER_SESSION", 100, 1, 100_000),
  /** Sessions one user may hold at once, across all instances. @default 10 */
  maxSessionsPerUser: integer("MAX_SESSIONS_PER_USER", 10, 1, 100_000),
  /** New channels one session may create per minute. @default 10 */
  channelCreationsPerMinute: integer("CHANNEL_CREATIONS_PER_MINUTE", 10, 1, 1_000_000),
  /** How long after sending a message its author may edit it; 0 turns editing off. @default 86400 */
  editWindowSeconds: integer("EDIT_WINDOW_SECONDS", 86_400, 0, 31_536_000),
  /** Edits, deletes and reactions one session may make per minute. @default 60 */
  messageChangesPerMinute: integer("MESSAGE_CHANGES_PER_MINUTE", 60, 1, 1_000_000),
  /** Different emoji a message may have reactions with. @default 20 */
  maxReactionsPerMessage: integer("MAX_REACTIONS_PER_MESSAGE", 20, 1, 100),
  /**
   * Channels with at most this many members show read receipts to their
   * members (direct conversations always do); 0 turns them off in channels.
   * @default 50
   */
  readReceiptsMaxMembers: integer("READ_RECEIPTS_MAX_MEMBERS", 50, 0, 10_000),
  /**
   * When set, `/metrics` answers only requests with `Authorization: Bearer`
   * and this token (others get 401); unset, it is open to anyone who can
   * reach the port.
   */
  metricsToken: verbatim("METRICS_TOKEN", {
    valid: (token) => /^[\x21-\x7e]{16,}$/.test(token),
    must: "be at least 16 printable ASCII characters without spaces",
  }),
  /**
   * Turns the server API (`/api/`) on: requests must bear
   * `Authorization: Bearer` and this key. Unset, `/api/` answers 404.
   */
  apiKey: verbatim("API_KEY", {
    valid: (key) => /^[\x21-\x7e]{16,}$/.test(key),
    must: "be at least 16 printable ASCII characters without spaces",
  }),
  /** Largest request body the server API reads, in bytes; larger ones get 413. @default 65536 */
  apiMaxBodyBytes: integer("API_MAX_BODY_BYTES", 65_536, 1024, 16 * 1024 * 1024),
  /** Where webhook events are POSTed; unset, none are sent. */
  webhookUrl: verbatim("WEBHOOK_URL", {
    valid: (url) => /^https?:\/\/\S+$/.test(url),
    must: "be an http(s) URL",
  }),
  /** The key of each webhook's HMAC-SHA256 signature; required with WEBHOOK_URL. */
  webhookSecret: verbatim("WEBHOOK_SECRET", {
    valid: (secret) => secret.length >= 16,
    must: "be at least 16 characters",
  }),
  /** The webhook events sent. @default every one */
  webhookEvents: list("WEBHOOK_EVENTS", {
    fallback: WEBHOOK_EVENT_TYPES.join(","),
    valid: isWebhookEventType,
    must: `be a comma list of ${WEBHOOK_EVENT_TYPES.join(", ")}`,
  }),
  /** Characters of a message's text a `message.offline` event carries; 0 sends none. @default 100 */
  webhookPreviewChars: integer("WEBHOOK_PREVIEW_CHARS", 100, 0, 4000),
  /** How long one webhook request may take before it counts as failed. @default 5000 */
  webhookTimeoutMs: integer("WEBHOOK_TIMEOUT_MS", 5000, 100, 60_000),
  /** Attempts to deliver one event before it is dropped. @default 10 */
  webhookMaxAttempts: integer("WEBHOOK_MAX_ATTEMPTS", 10, 1, 100),
  /** Wait before the first retry; each next one waits twice as long, at most an hour. @default 1000 */
  webhookRetryBaseMs: integer("WEBHOOK_RETRY_BASE_MS", 1000, 10, 3_600_000),
  /**
   * How WebSockets are served: Deno's own `upgradeWebSocket` (`deno`, Deno only) or
   * `node:http` with `ws` (`ws`, both runtimes). Unset: the runtime's own,
   * `deno` on Deno and `ws` on Node.
   */
  edge: oneOf("EDGE", EDGE_NAMES, { must: "be deno or ws" }),
  /** How clients prove who they are. @default "anonymous" */
  authMode: oneOf("AUTH_MODE", ["anonymous", "jwt"], {
    fallback: "anonymous",
    must: "be anonymous or jwt",
  }),
  /** Where JWTs are verified (AUTH_MODE=jwt): exactly one key source, and optional checks. */
  jwt: {
    /** HS256: the shared secret. */
    secret: verbatim("JWT_SECRET", {
      valid: (secret) => secret.length >= 32,
      must: "be at least 32 characters (HS256 needs a long random secret)",
    }),
    /** RS256 or ES256: the PEM public key. */
    publicKeyPem: verbatim("JWT_PUBLIC_KEY", {
      valid: (pem) => pem.includes("-----BEGIN PUBLIC KEY-----"),
      must: "be a PEM public key (-----BEGIN PUBLIC KEY-----)",
    }),
    /** RS256 or ES256: where to fetch the keys (a JWKS). */
    jwksUrl: verbatim("JWKS_URL", {
      valid: (url) => /^https?:\/\/\S+$/.test(url),
      must: "be an http(s) URL",
    }),
    /** When set, a token's `iss` must equal it. */
    issuer: verbatim("JWT_ISSUER"),
    /** When set, a token's `aud` must contain it. */
    audience: verbatim("JWT_AUDIENCE"),
  },
  /** With AUTH_MODE=jwt: let kind-B clients into the lobby without a token. @default false */
  allowAnonymousLobby: flag("ALLOW_ANONYMOUS_LOBBY"),
  /**
   * Migration from seed A: a kind-A client naming a live user without its token
   * joins that user instead of being refused (4002). Anyone can then speak as
   * any online name: only on a trusted network. @default false
   */
  sharedUsernames: flag("SHARED_USERNAMES"),
  /** Least severe log level printed. @default "info" */
  logLevel: oneOf("LOG_LEVEL", LOG_LEVELS, {
    fallback: "info",
    must: `be one of ${LOG_LEVELS.join(", ")}`,
  }),
  /**
   * How log lines are written: `json` (one object a line) or `pretty` (text).
   * Unset: `pretty` when stdout is a terminal, `json` otherwise.
   */
  logFormat: oneOf("LOG_FORMAT", LOG_FORMATS, { must: `be one of ${LOG_FORMATS.join(", ")}` }),
  /**
   * How long a shutdown (SIGTERM, SIGINT) may take: in-flight commands finish,
   * sessions close with 1012, then the process exits 0, at the latest after
   * this. @default 10000
   */
  shutdownTimeoutMs: integer("SHUTDOWN_TIMEOUT_MS", 10_000, 100, 600_000),
} satisfies SettingsTable;

/**
 * Natter's settings, with defaults applied: one key per `SETTINGS` entry,
 * documented there. Name a subset with `Pick<Config, "port" | "host">`.
 */
export interface Config extends SettingValues<typeof SETTINGS> {}

/** Raised for an environment Natter cannot run with; the message names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Reads Natter's configuration from an environment record such as
 * `Deno.env.toObject()` or `process.env`.
 *
 * @throws {ConfigError} naming each invalid variable and what it accepts.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const config = readSettings(SETTINGS, env, problems) as Config;
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  if (config.webhookUrl !== undefined && config.webhookSecret === undefined) {
    throw new ConfigError(
      "Invalid configuration: WEBHOOK_URL needs WEBHOOK_SECRET, the key receivers check each " +
        "event's signature with (at least 16 random characters)",
    );
  }
  const { jwt, ...withoutJwt } = config;
  if (config.authMode !== "jwt") return withoutJwt;
  if (config.sharedUsernames) {
    throw new ConfigError(
      "Invalid configuration: SHARED_USERNAMES=true cannot be used with AUTH_MODE=jwt, where " +
        "a token names the user (a second tab with the same token joins its user already)",
    );
  }
  const keySources = [jwt?.secret, jwt?.publicKeyPem, jwt?.jwksUrl].filter(Boolean).length;
  if (keySources !== 1) {
    throw new ConfigError(
      "Invalid configuration: AUTH_MODE=jwt needs exactly one of JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL",
    );
  }
  return config;
}
