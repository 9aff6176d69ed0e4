/**
 * The README's tables are the user's manual: every variable, frame type,
 * error code and close code the code defines must appear there, with the
 * defaults the code really uses.
 */
import { ConfigSchema, loadConfig } from "../src/config.ts";
import { CLOSE_CODES, ERROR_CODES } from "../src/protocol/codes.ts";
import { clientFrameSchemas, ServerFramesA } from "../src/protocol/frames.ts";
import { assert } from "./support/assert.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const rows = readme.split("\n").filter((line) => line.startsWith("|"));

function row(name: string): string | undefined {
  return rows.find((line) => line.split("|")[1]?.trim() === `\`${name}\``);
}

Deno.test("README: every configuration variable has a row with its real default", () => {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>;
  const byVariable: Record<string, unknown> = {
    PORT: defaults.port,
    HOST: defaults.host,
    LOBBY_CHANNEL: defaults.lobbyChannel,
    LIST_UPDATE_INTERVAL_MS: defaults.listUpdateIntervalMs,
    MAX_MESSAGE_CHARS: defaults.maxMessageChars,
    MAX_FRAME_BYTES: defaults.maxFrameBytes,
    SLOW_CONSUMER_BYTES: defaults.slowConsumerBytes,
    ALLOWED_ORIGINS: "*",
    TRUST_PROXY: defaults.trustProxy,
    MAX_CONNECTIONS: defaults.maxConnections,
    MAX_CONNECTIONS_PER_IP: defaults.maxConnectionsPerIp,
    IDLE_TIMEOUT_MS: defaults.idleTimeoutMs,
    RATE_MESSAGES_PER_SECOND: defaults.rateMessagesPerSecond,
    RATE_BURST: defaults.rateBurst,
    MAX_CHANNELS_PER_SESSION: defaults.maxChannelsPerSession,
    MAX_SESSIONS_PER_USER: defaults.maxSessionsPerUser,
    CHANNEL_CREATIONS_PER_MINUTE: defaults.channelCreationsPerMinute,
    EDGE: defaults.edge,
    AUTH_MODE: defaults.authMode,
    JWT_SECRET: undefined,
    JWT_PUBLIC_KEY: undefined,
    JWKS_URL: undefined,
    JWT_ISSUER: undefined,
    JWT_AUDIENCE: undefined,
    ALLOW_ANONYMOUS_LOBBY: defaults.allowAnonymousLobby,
    LOG_LEVEL: defaults.logLevel,
    REDIS_URL: defaults.redisUrl,
    REDIS_PREFIX: defaults.redisPrefix,
    PRESENCE_TTL_MS: defaults.presenceTtlMs,
    HISTORY_LIMIT: defaults.historyLimit,
    HISTORY_TTL_SECONDS: defaults.historyTtlSeconds,
    DEDUP_WINDOW_MS: defaults.dedupWindowMs,
  };
  for (const variable of Object.keys(ConfigSchema.shape)) {
    const line = row(variable);
    assert(line, `README has no configuration row for ${variable}`);
    assert(variable in byVariable, `this test does not know the default of ${variable}`);
    const shown = byVariable[variable] === undefined ? "unset" : `\`${byVariable[variable]}\``;
    assert(line.split("|")[2].includes(shown), `README's default of ${variable}`);
  }
});

Deno.test("README: every frame type, error code and close code is documented", () => {
  const kindA = Object.keys(clientFrameSchemas({ maxMessageChars: 1 }).kindA);
  for (const type of [...kindA, ...Object.keys(ServerFramesA)]) {
    assert(row(type), `README has no row for frame type ${type}`);
  }
  for (const code of Object.keys(ERROR_CODES)) {
    assert(row(code), `README has no row for error ${code}`);
  }
  for (const code of Object.values(CLOSE_CODES)) {
    assert(row(String(code)), `README has no row for close code ${code}`);
  }
});
