/**
 * Natter's configuration: every environment variable the server reads, its
 * default and its bounds, in one zod schema. `loadConfig` is pure (it takes
 * the environment as a plain record) so that every runtime entry point and
 * every test loads configuration the same way.
 *
 * @module
 */
import { z } from "zod";
import { isChannelName } from "./protocol/names.ts";

const integer = (name: string, fallback: number, min: number, max: number) =>
  z.string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === "") return fallback;
      const value = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
        ctx.addIssue({
          code: "custom",
          message: `${name} must be an integer from ${min} to ${max} (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });

const text = (fallback: string) =>
  z.string().optional().transform((raw) =>
    raw === undefined || raw.trim() === "" ? fallback : raw.trim()
  );

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** The runtime edges, by the name `EDGE` selects them with. */
export const EDGE_NAMES = ["deno", "ws"] as const;
/** A runtime edge's name. */
export type EdgeName = (typeof EDGE_NAMES)[number];

const flag = (name: string) =>
  z.string().optional().transform((raw, ctx) => {
    const value = raw?.trim().toLowerCase() ?? "";
    if (value === "" || value === "false") return false;
    if (value === "true") return true;
    ctx.addIssue({ code: "custom", message: `${name} must be true or false (got "${raw}")` });
    return z.NEVER;
  });

/** The schema of the environment Natter reads; keys are variable names. */
export const ConfigSchema = z.object({
  PORT: integer("PORT", 8080, 0, 65535),
  HOST: text("0.0.0.0"),
  LOBBY_CHANNEL: text("lobby").refine(isChannelName, {
    message: "LOBBY_CHANNEL must be a valid channel name: 1-64 letters, digits, '_', '-' or '.'",
  }),
  LIST_UPDATE_INTERVAL_MS: integer("LIST_UPDATE_INTERVAL_MS", 1000, 50, 60_000),
  MAX_MESSAGE_CHARS: integer("MAX_MESSAGE_CHARS", 4000, 1, 1_000_000),
  MAX_FRAME_BYTES: integer("MAX_FRAME_BYTES", 65536, 256, 16 * 1024 * 1024),
  SLOW_CONSUMER_BYTES: integer("SLOW_CONSUMER_BYTES", 1_048_576, 65_536, 1_073_741_824),
  REDIS_URL: z.string().optional().transform((raw) => raw?.trim() || undefined).refine(
    (url) => url === undefined || /^rediss?:\/\/[^\s]+$/.test(url),
    { message: "REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379" },
  ),
  REDIS_PREFIX: text("natter:").refine((prefix) => /^[^\s*?[\]]{1,64}$/.test(prefix), {
    message: "REDIS_PREFIX must be 1-64 characters without spaces or glob characters (*?[])",
  }),
  PRESENCE_TTL_MS: integer("PRESENCE_TTL_MS", 15_000, 1000, 3_600_000),
  HISTORY_LIMIT: integer("HISTORY_LIMIT", 1000, 1, 10_000),
  HISTORY_TTL_SECONDS: integer("HISTORY_TTL_SECONDS", 604_800, 1, 31_536_000),
  DEDUP_WINDOW_MS: integer("DEDUP_WINDOW_MS", 120_000, 1000, 86_400_000),
  ALLOWED_ORIGINS: text("*").transform((raw) =>
    raw.split(",").map((origin) => origin.trim()).filter(Boolean)
  ).refine((origins) => origins.every((o) => o === "*" || /^https?:\/\/[^\s/]+$/.test(o)), {
    message:
      "ALLOWED_ORIGINS must be * or a comma list of origins such as https://chat.example.com",
  }),
  TRUST_PROXY: flag("TRUST_PROXY"),
  MAX_CONNECTIONS: integer("MAX_CONNECTIONS", 10_000, 1, 1_000_000),
  MAX_CONNECTIONS_PER_IP: integer("MAX_CONNECTIONS_PER_IP", 100, 1, 1_000_000),
  IDLE_TIMEOUT_MS: integer("IDLE_TIMEOUT_MS", 60_000, 1000, 3_600_000),
  RATE_MESSAGES_PER_SECOND: integer("RATE_MESSAGES_PER_SECOND", 20, 1, 1_000_000),
  RATE_BURST: integer("RATE_BURST", 40, 1, 1_000_000),
  MAX_CHANNELS_PER_SESSION: integer("MAX_CHANNELS_PER_SESSION", 100, 1, 100_000),
  MAX_SESSIONS_PER_USER: integer("MAX_SESSIONS_PER_USER", 10, 1, 100_000),
  CHANNEL_CREATIONS_PER_MINUTE: integer("CHANNEL_CREATIONS_PER_MINUTE", 10, 1, 1_000_000),
  EDGE: z.string().optional().transform((raw) => raw?.trim() || undefined).pipe(
    z.enum(EDGE_NAMES, { error: "EDGE must be deno or ws" }).optional(),
  ),
  AUTH_MODE: text("anonymous").pipe(
    z.enum(["anonymous", "jwt"], { error: "AUTH_MODE must be anonymous or jwt" }),
  ),
  JWT_SECRET: z.string().optional().refine((secret) => !secret || secret.length >= 32, {
    message: "JWT_SECRET must be at least 32 characters (HS256 needs a long random secret)",
  }),
  JWT_PUBLIC_KEY: z.string().optional().refine(
    (pem) => !pem || pem.includes("-----BEGIN PUBLIC KEY-----"),
    { message: "JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)" },
  ),
  JWKS_URL: z.string().optional().refine((url) => !url || /^https?:\/\/\S+$/.test(url), {
    message: "JWKS_URL must be an http(s) URL",
  }),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  ALLOW_ANONYMOUS_LOBBY: flag("ALLOW_ANONYMOUS_LOBBY"),
  LOG_LEVEL: text("info").pipe(
    z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` }),
  ),
});

/** Natter's settings, with defaults applied. */
export interface Config {
  /** TCP port to listen on; 0 picks a free one. @default 8080 */
  port: number;
  /** Interface to bind. @default "0.0.0.0" */
  host: string;
  /** The channel kind-B clients live in. @default "lobby" */
  lobbyChannel: string;
  /** Least time between two userList (or channelList) frames to one client. @default 1000 */
  listUpdateIntervalMs: number;
  /** Longest text of one message, in Unicode code points. @default 4000 */
  maxMessageChars: number;
  /** Largest client frame in UTF-8 bytes; larger ones close the connection with 1009. @default 65536 */
  maxFrameBytes: number;
  /** Bytes queued to a client that does not read before it is disconnected (4005). @default 1048576 */
  slowConsumerBytes: number;
  /** Redis to share state with other instances; without it, the embedded broker. */
  redisUrl?: string;
  /** Start of every Redis key and topic. @default "natter:" */
  redisPrefix: string;
  /** How long a crashed instance's users stay online (Redis mode). @default 15000 */
  presenceTtlMs: number;
  /** Messages kept per channel and per user inbox. @default 1000 */
  historyLimit: number;
  /** Age after which a kept message is dropped. @default 604800 (7 days) */
  historyTtlSeconds: number;
  /** How long a `ref` makes a re-sent message a duplicate. @default 120000 */
  dedupWindowMs: number;
  /** Origins browsers may connect from (checked on upgrade). @default ["*"] */
  allowedOrigins: string[];
  /** Take the client address from X-Forwarded-For (behind one trusted proxy). @default false */
  trustProxy: boolean;
  /** Open connections per instance; more are refused with 503. @default 10000 */
  maxConnections: number;
  /** Open connections per client address; more are refused with 429. @default 100 */
  maxConnectionsPerIp: number;
  /** A client that answers no ping for this long is disconnected. @default 60000 */
  idleTimeoutMs: number;
  /** Frames a session may send per second, on average. @default 20 */
  rateMessagesPerSecond: number;
  /** Frames a session may send at once after a quiet spell. @default 40 */
  rateBurst: number;
  /** Channels one session may be a member of. @default 100 */
  maxChannelsPerSession: number;
  /** Sessions one user may hold at once, across all instances. @default 10 */
  maxSessionsPerUser: number;
  /** New channels one session may create per minute. @default 10 */
  channelCreationsPerMinute: number;
  /**
   * How WebSockets are served: `Deno.upgradeWebSocket` (`deno`, Deno only) or
   * `node:http` with `ws` (`ws`, both runtimes). Unset: the runtime's own,
   * `deno` on Deno and `ws` on Node.
   */
  edge?: EdgeName;
  /** How clients prove who they are. @default "anonymous" */
  authMode: "anonymous" | "jwt";
  /** Where JWTs are verified (AUTH_MODE=jwt): exactly one key source, and optional checks. */
  jwt?: {
    secret?: string;
    publicKeyPem?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
  };
  /** With AUTH_MODE=jwt: let kind-B clients into the lobby without a token. @default false */
  allowAnonymousLobby: boolean;
  /** Least severe log level printed. @default "info" */
  logLevel: (typeof LOG_LEVELS)[number];
}

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
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const vars = parsed.data;
  const keySources = [vars.JWT_SECRET, vars.JWT_PUBLIC_KEY, vars.JWKS_URL].filter(Boolean).length;
  if (vars.AUTH_MODE === "jwt" && keySources !== 1) {
    throw new ConfigError(
      "Invalid configuration: AUTH_MODE=jwt needs exactly one of JWT_SECRET, JWT_PUBLIC_KEY or JWKS_URL",
    );
  }
  const jwt = {
    ...(vars.JWT_SECRET ? { secret: vars.JWT_SECRET } : {}),
    ...(vars.JWT_PUBLIC_KEY ? { publicKeyPem: vars.JWT_PUBLIC_KEY } : {}),
    ...(vars.JWKS_URL ? { jwksUrl: vars.JWKS_URL } : {}),
    ...(vars.JWT_ISSUER ? { issuer: vars.JWT_ISSUER } : {}),
    ...(vars.JWT_AUDIENCE ? { audience: vars.JWT_AUDIENCE } : {}),
  };
  return {
    port: vars.PORT,
    host: vars.HOST,
    lobbyChannel: vars.LOBBY_CHANNEL,
    listUpdateIntervalMs: vars.LIST_UPDATE_INTERVAL_MS,
    maxMessageChars: vars.MAX_MESSAGE_CHARS,
    maxFrameBytes: vars.MAX_FRAME_BYTES,
    slowConsumerBytes: vars.SLOW_CONSUMER_BYTES,
    ...(vars.REDIS_URL === undefined ? {} : { redisUrl: vars.REDIS_URL }),
    redisPrefix: vars.REDIS_PREFIX,
    presenceTtlMs: vars.PRESENCE_TTL_MS,
    historyLimit: vars.HISTORY_LIMIT,
    historyTtlSeconds: vars.HISTORY_TTL_SECONDS,
    dedupWindowMs: vars.DEDUP_WINDOW_MS,
    allowedOrigins: vars.ALLOWED_ORIGINS,
    trustProxy: vars.TRUST_PROXY,
    maxConnections: vars.MAX_CONNECTIONS,
    maxConnectionsPerIp: vars.MAX_CONNECTIONS_PER_IP,
    idleTimeoutMs: vars.IDLE_TIMEOUT_MS,
    rateMessagesPerSecond: vars.RATE_MESSAGES_PER_SECOND,
    rateBurst: vars.RATE_BURST,
    maxChannelsPerSession: vars.MAX_CHANNELS_PER_SESSION,
    maxSessionsPerUser: vars.MAX_SESSIONS_PER_USER,
    channelCreationsPerMinute: vars.CHANNEL_CREATIONS_PER_MINUTE,
    ...(vars.EDGE === undefined ? {} : { edge: vars.EDGE }),
    authMode: vars.AUTH_MODE,
    ...(vars.AUTH_MODE === "jwt" ? { jwt } : {}),
    allowAnonymousLobby: vars.ALLOW_ANONYMOUS_LOBBY,
    logLevel: vars.LOG_LEVEL,
  };
}
