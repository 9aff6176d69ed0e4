/**
 * Configuration: defaults, reading values, empty values, and refusing
 * values Natter cannot run with, naming every bad variable.
 */
import { type Config, ConfigError, loadConfig } from "../src/config.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./support/assert.ts";

const DEFAULTS: Config = {
  port: 8080,
  host: "0.0.0.0",
  wsPaths: ["/ws", "/chat"],
  lobbyChannel: "lobby",
  nameScriptRestriction: "moderately-restrictive",
  listUpdateIntervalMs: 1000,
  listMaxNames: 200,
  listBytesPerSecond: 2048,
  presenceEventsMaxMembers: 1000,
  maxMessageChars: 4000,
  maxDataBytes: 4096,
  maxFrameBytes: 65536,
  slowConsumerBytes: 1048576,
  redisPrefix: "natter:",
  presenceTtlMs: 15000,
  reconnectGraceMs: 120000,
  historyLimit: 1000,
  historyTtlSeconds: 604800,
  dedupWindowMs: 120000,
  allowedOrigins: ["*"],
  trustProxy: false,
  maxConnections: 10000,
  maxConnectionsPerIp: 100,
  idleTimeoutMs: 60000,
  rateMessagesPerSecond: 20,
  rateBurst: 40,
  maxQueuedFrames: 512,
  maxChannelsPerSession: 100,
  maxSessionsPerUser: 10,
  channelCreationsPerMinute: 10,
  editWindowSeconds: 86_400,
  messageChangesPerMinute: 60,
  maxReactionsPerMessage: 20,
  readReceiptsMaxMembers: 50,
  apiMaxBodyBytes: 65536,
  webhookEvents: [
    "user.online",
    "user.offline",
    "message.offline",
    "channel.created",
    "channel.deleted",
    "channel.member_joined",
    "channel.member_left",
    "channel.member_banned",
    "channel.role_changed",
  ],
  webhookPreviewChars: 100,
  webhookTimeoutMs: 5000,
  webhookMaxAttempts: 10,
  webhookRetryBaseMs: 1000,
  authMode: "anonymous",
  allowAnonymousLobby: false,
  sharedUsernames: false,
  logLevel: "info",
  shutdownTimeoutMs: 10_000,
};

/** The ConfigError `env` raises; fails if it raises nothing or something else. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

Deno.test("config: an empty environment gives every default", () => {
  assertEquals(loadConfig({}), DEFAULTS);
});

Deno.test("config: unrelated variables are ignored", () => {
  assertEquals(loadConfig({ HOME: "/root", PATH: "/bin", REDIS: "x" }), DEFAULTS);
});

Deno.test("config: every variable is read", () => {
  assertEquals(
    loadConfig({
      PORT: "9000",
      HOST: "127.0.0.1",
      WS_PATHS: "/socket, /v1/chat",
      LOBBY_CHANNEL: "main-hall",
      LIST_UPDATE_INTERVAL_MS: "250",
      MAX_MESSAGE_CHARS: "280",
      MAX_FRAME_BYTES: "4096",
      REDIS_URL: "redis://user:secret@redis.internal:6380/2",
      REDIS_PREFIX: "chat-eu:",
      PRESENCE_TTL_MS: "5000",
      RECONNECT_GRACE_MS: "0",
      HISTORY_LIMIT: "50",
      HISTORY_TTL_SECONDS: "3600",
      DEDUP_WINDOW_MS: "5000",
      ALLOWED_ORIGINS: "https://chat.example.com, http://localhost:3000",
      TRUST_PROXY: "true",
      MAX_CONNECTIONS: "500",
      MAX_CONNECTIONS_PER_IP: "5",
      IDLE_TIMEOUT_MS: "30000",
      RATE_MESSAGES_PER_SECOND: "5",
      RATE_BURST: "8",
      MAX_QUEUED_FRAMES: "2000",
      MAX_CHANNELS_PER_SESSION: "20",
      MAX_SESSIONS_PER_USER: "3",
      CHANNEL_CREATIONS_PER_MINUTE: "4",
      EDGE: "ws",
      SHARED_USERNAMES: "true",
      LOG_LEVEL: "debug",
    }),
    {
      port: 9000,
      host: "127.0.0.1",
      wsPaths: ["/socket", "/v1/chat"],
      lobbyChannel: "main-hall",
      nameScriptRestriction: "moderately-restrictive",
      listUpdateIntervalMs: 250,
      listMaxNames: 200,
      listBytesPerSecond: 2048,
      presenceEventsMaxMembers: 1000,
      maxMessageChars: 280,
      maxDataBytes: 4096,
      maxFrameBytes: 4096,
      slowConsumerBytes: 1048576,
      redisUrl: "redis://user:secret@redis.internal:6380/2",
      redisPrefix: "chat-eu:",
      presenceTtlMs: 5000,
      reconnectGraceMs: 0,
      historyLimit: 50,
      historyTtlSeconds: 3600,
      dedupWindowMs: 5000,
      allowedOrigins: ["https://chat.example.com", "http://localhost:3000"],
      trustProxy: true,
      maxConnections: 500,
      maxConnectionsPerIp: 5,
      idleTimeoutMs: 30000,
      rateMessagesPerSecond: 5,
      rateBurst: 8,
      maxQueuedFrames: 2000,
      maxChannelsPerSession: 20,
      maxSessionsPerUser: 3,
      channelCreationsPerMinute: 4,
      editWindowSeconds: 86_400,
      messageChangesPerMinute: 60,
      maxReactionsPerMessage: 20,
      readReceiptsMaxMembers: 50,
      apiMaxBodyBytes: DEFAULTS.apiMaxBodyBytes,
      webhookEvents: DEFAULTS.webhookEvents,
      webhookPreviewChars: DEFAULTS.webhookPreviewChars,
      webhookTimeoutMs: DEFAULTS.webhookTimeoutMs,
      webhookMaxAttempts: DEFAULTS.webhookMaxAttempts,
      webhookRetryBaseMs: DEFAULTS.webhookRetryBaseMs,
      edge: "ws",
      authMode: "anonymous",
      allowAnonymousLobby: false,
      sharedUsernames: true,
      logLevel: "debug",
      shutdownTimeoutMs: 10_000,
    },
  );
});

Deno.test("config: PORT 0 (pick a free port) and 65535 are accepted", () => {
  assertEquals(loadConfig({ PORT: "0" }).port, 0);
  assertEquals(loadConfig({ PORT: "65535" }).port, 65535);
});

Deno.test("config: every log level is accepted", () => {
  for (const level of ["debug", "info", "warn", "error"] as const) {
    assertEquals(loadConfig({ LOG_LEVEL: level }).logLevel, level);
  }
});

Deno.test("config: empty or blank values fall back to the defaults", () => {
  const empty = {
    PORT: "",
    HOST: "",
    WS_PATHS: "",
    LOBBY_CHANNEL: "",
    LIST_UPDATE_INTERVAL_MS: "",
    MAX_MESSAGE_CHARS: "",
    MAX_FRAME_BYTES: "",
    EDGE: "",
    LOG_LEVEL: "",
  };
  assertEquals(loadConfig(empty), DEFAULTS);
  const blank = Object.fromEntries(Object.keys(empty).map((key) => [key, "  "]));
  assertEquals(loadConfig(blank), DEFAULTS);
  assertEquals(loadConfig({ PORT: undefined, LOG_LEVEL: undefined }), DEFAULTS);
});

Deno.test("config: a PORT that is not an integer from 0 to 65535 throws a ConfigError naming PORT", () => {
  for (const port of ["abc", "70000", "-1", "1.5", "65536", "80 80", "NaN", "0x50", "1e3", "+80"]) {
    const error = configError({ PORT: port });
    assertMatch(error.message, /\bPORT\b/, `for PORT=${port}: ${error.message}`);
    assert(error.message.includes(port), `the message shows the bad value ${port}`);
  }
});

Deno.test("config: out-of-range numeric settings throw a ConfigError naming the variable", () => {
  const cases: Record<string, string> = {
    LIST_UPDATE_INTERVAL_MS: "10",
    MAX_MESSAGE_CHARS: "0",
    MAX_FRAME_BYTES: "100",
  };
  for (const [name, value] of Object.entries(cases)) {
    const error = configError({ [name]: value });
    assert(error.message.includes(name), `for ${name}=${value}: ${error.message}`);
  }
});

Deno.test("config: an unknown LOG_LEVEL throws a ConfigError naming LOG_LEVEL", () => {
  const error = configError({ LOG_LEVEL: "loud" });
  assert(error.message.includes("LOG_LEVEL"), error.message);
  assertThrows(() => loadConfig({ LOG_LEVEL: "INFO" }), ConfigError, "LOG_LEVEL");
});

Deno.test("config: a LOBBY_CHANNEL that is no channel name throws a ConfigError naming it", () => {
  for (const lobby of ["two  spaces", "a/b", "c".repeat(65), "a\u202eb"]) {
    const error = configError({ LOBBY_CHANNEL: lobby });
    assert(error.message.includes("LOBBY_CHANNEL"), `for ${lobby}: ${error.message}`);
  }
});

Deno.test("config: WS_PATHS that cannot be served are refused, naming WS_PATHS", () => {
  for (
    const paths of [
      "ws",
      "/ws,chat",
      "/ws?x=1",
      "/a b",
      "/ws#top",
      "/",
      "/healthz,/ws",
      "/readyz",
      ",",
      "/ws,/ws",
      "/chät",
      "/ws/../x",
      "/./ws",
      "//",
      "/ws//x",
    ]
  ) {
    assertMatch(configError({ WS_PATHS: paths }).message, /WS_PATHS must be a comma list/, paths);
  }
  assertEquals(loadConfig({ WS_PATHS: " /ws ,, /chat/v2 " }).wsPaths, ["/ws", "/chat/v2"]);
  assertEquals(loadConfig({ WS_PATHS: "/ch%C3%A4t,/v1/socket.io" }).wsPaths, [
    "/ch%C3%A4t",
    "/v1/socket.io",
  ]);
});

Deno.test("config: SHARED_USERNAMES is a flag, refused with AUTH_MODE=jwt", () => {
  assertEquals(loadConfig({ SHARED_USERNAMES: "TRUE" }).sharedUsernames, true);
  assertMatch(configError({ SHARED_USERNAMES: "yes" }).message, /SHARED_USERNAMES must be true/);
  const jwt = { AUTH_MODE: "jwt", JWT_SECRET: "s".repeat(32), SHARED_USERNAMES: "true" };
  assertMatch(configError(jwt).message, /SHARED_USERNAMES=true cannot be used with AUTH_MODE=jwt/);
});

Deno.test("config: a ConfigError is an Error called ConfigError", () => {
  const error = configError({ PORT: "abc" });
  assert(error instanceof Error);
  assertEquals(error.name, "ConfigError");
});

Deno.test("config: two bad variables are both named in one error", () => {
  const error = configError({ PORT: "abc", LOG_LEVEL: "loud" });
  assert(error.message.includes("PORT"), error.message);
  assert(error.message.includes("LOG_LEVEL"), error.message);
  const other = configError({ LOBBY_CHANNEL: "two  spaces", MAX_FRAME_BYTES: "-5" });
  assert(other.message.includes("LOBBY_CHANNEL"), other.message);
  assert(other.message.includes("MAX_FRAME_BYTES"), other.message);
});

Deno.test("config: values are read without surrounding whitespace", () => {
  const config = loadConfig({ PORT: " 9000 ", HOST: " 127.0.0.1 ", LOG_LEVEL: " debug " });
  assertEquals([config.port, config.host, config.logLevel], [9000, "127.0.0.1", "debug"]);
});

Deno.test("config: Redis settings that cannot work are refused, naming the variable", () => {
  for (
    const [variable, value] of [
      ["REDIS_URL", "localhost:6379"],
      ["REDIS_URL", "http://127.0.0.1:6379"],
      ["REDIS_PREFIX", "has space"],
      ["REDIS_PREFIX", "glob*"],
      ["PRESENCE_TTL_MS", "10"],
    ]
  ) {
    assertMatch(
      configError({ [variable]: value }).message,
      new RegExp(variable),
      `${variable}=${value}`,
    );
  }
});

Deno.test("config: admission settings that cannot work are refused, naming the variable", () => {
  for (
    const [variable, value] of [
      ["ALLOWED_ORIGINS", "chat.example.com"],
      ["ALLOWED_ORIGINS", "https://chat.example.com/path"],
      ["TRUST_PROXY", "yes"],
      ["MAX_CONNECTIONS", "0"],
      ["MAX_CONNECTIONS_PER_IP", "-3"],
      ["IDLE_TIMEOUT_MS", "10"],
      ["EDGE", "bun"],
    ]
  ) {
    assertMatch(
      configError({ [variable]: value }).message,
      new RegExp(variable),
      `${variable}=${value}`,
    );
  }
});

Deno.test("config: AUTH_MODE=jwt needs exactly one key source and sound values", () => {
  const secret = "s".repeat(32);
  assertEquals(loadConfig({ AUTH_MODE: "jwt", JWT_SECRET: secret, JWT_AUDIENCE: "chat" }).jwt, {
    secret,
    audience: "chat",
  });
  assertMatch(configError({ AUTH_MODE: "jwt" }).message, /exactly one of JWT_SECRET/);
  assertMatch(
    configError({ AUTH_MODE: "jwt", JWT_SECRET: secret, JWKS_URL: "https://x/jwks" }).message,
    /exactly one of JWT_SECRET/,
  );
  assertMatch(configError({ AUTH_MODE: "jwt", JWT_SECRET: "short" }).message, /JWT_SECRET/);
  assertMatch(configError({ AUTH_MODE: "oauth" }).message, /AUTH_MODE/);
  assertMatch(configError({ JWT_PUBLIC_KEY: "not a pem" }).message, /JWT_PUBLIC_KEY/);
  assertMatch(configError({ ALLOW_ANONYMOUS_LOBBY: "maybe" }).message, /ALLOW_ANONYMOUS_LOBBY/);
});

Deno.test("config: JWT settings are checked in every mode but kept only with AUTH_MODE=jwt", () => {
  const secret = "s".repeat(32);
  assertEquals(loadConfig({ JWT_SECRET: secret, JWT_ISSUER: "chat" }), DEFAULTS);
  assertMatch(configError({ JWT_SECRET: "short" }).message, /JWT_SECRET/);
  assertEquals(
    loadConfig({ AUTH_MODE: "jwt", JWT_SECRET: secret, JWKS_URL: "", JWT_ISSUER: "" }).jwt,
    { secret },
  );
});

Deno.test("config: every problem is reported in one message, in the order of SETTINGS", () => {
  assertEquals(
    configError({ LOG_LEVEL: "loud", JWT_SECRET: "short", EDGE: "bun", PORT: "abc" }).message,
    'Invalid configuration: PORT must be an integer from 0 to 65535 (got "abc"); ' +
      "EDGE must be deno or ws; " +
      "JWT_SECRET must be at least 32 characters (HS256 needs a long random secret); " +
      "LOG_LEVEL must be one of debug, info, warn, error",
  );
});

Deno.test("config: only REDIS_URL, EDGE, LOG_FORMAT, METRICS_TOKEN, API_KEY, the webhook URL and secret and the JWT settings can leave their key absent", () => {
  // Checked by the type checker: every other key of Config is required.
  const required: Required<
    Omit<
      Config,
      | "redisUrl"
      | "edge"
      | "jwt"
      | "logFormat"
      | "metricsToken"
      | "apiKey"
      | "webhookUrl"
      | "webhookSecret"
    >
  > = loadConfig(
    {},
  );
  assertEquals(required, DEFAULTS);
});

Deno.test("config: webhooks need a secret, and WEBHOOK_EVENTS names known events only", () => {
  assertThrows(
    () => loadConfig({ WEBHOOK_URL: "http://hooks.example.com/natter" }),
    ConfigError,
    "WEBHOOK_URL needs WEBHOOK_SECRET",
  );
  assertThrows(
    () => loadConfig({ WEBHOOK_EVENTS: "user.online,message.sent" }),
    ConfigError,
    "WEBHOOK_EVENTS must be a comma list of user.online, user.offline",
  );
  assertThrows(() => loadConfig({ API_KEY: "short" }), ConfigError, "API_KEY must be at least 16");
  assertThrows(() => loadConfig({ WS_PATHS: "/api/ws" }), ConfigError, "or under /api");
  const config = loadConfig({
    API_KEY: "k".repeat(16),
    WEBHOOK_URL: "https://hooks.example.com/natter",
    WEBHOOK_SECRET: "s".repeat(16),
    WEBHOOK_EVENTS: "message.offline, user.offline",
    WEBHOOK_PREVIEW_CHARS: "0",
  });
  assertEquals(config.webhookEvents, ["message.offline", "user.offline"]);
  assertEquals(config.webhookPreviewChars, 0);
  assertEquals(config.apiKey, "k".repeat(16));
});
