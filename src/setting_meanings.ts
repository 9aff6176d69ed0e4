/**
 * What each setting means, in the words of the README's configuration table
 * (Markdown): one text per environment variable, which `--help` prints and a
 * test holds the README's rows to, so the two cannot differ. A setting's
 * default and bounds come from its reader in `config.ts`, not from here.
 *
 * @module
 */

/** Each variable's meaning, keyed by its name, in `SETTINGS` order. */
export const SETTING_MEANINGS: Readonly<Record<string, string>> = {
  PORT: "TCP port to listen on (`0` picks a free one).",
  HOST: "Interface to bind.",
  WS_PATHS:
    "Comma list of the paths that upgrade to WebSocket, all alike (`/chat` is where seed A's web client connects). Each starts with `/`, has no spaces, `?` or `#`, and is not `/`, `/healthz`, `/readyz` or `/metrics`. Other paths answer 404. The first one is the one `/` advertises.",
  LOBBY_CHANNEL:
    "The channel kind-B clients live in: any valid channel name (see [Names](#names)), kept in NFC; `NAME_SCRIPT_RESTRICTION` does not apply to it.",
  NAME_SCRIPT_RESTRICTION:
    "How far usernames and channel names may mix scripts (UTS #39 restriction levels): `highly-restrictive` (one script, or Latin with Han and kana, Bopomofo or Hangul), `moderately-restrictive` (also Latin with any one other script but Cyrillic and Greek) or `unrestricted`. See [Names](#names).",
  LIST_UPDATE_INTERVAL_MS:
    "How often each instance checks the user and channel lists: a client gets at most one update of each per interval (besides the lists in its handshake), and a change shows within one interval.",
  LIST_MAX_NAMES:
    "Largest deployment whose `userList` and `channelList` frames list everyone: while at most this many users are online (or public channels exist), each seed client gets the whole list, as seed A did. Beyond, a client's `userList` holds itself and the online members of its channels, and its `channelList` its own channels, each at most this many names; lobby (kind-B) arrivals are no longer announced. 10-100000.",
  LIST_BYTES_PER_SECOND:
    "Most bytes of `userList` and `channelList` frames one client gets per second, on average: a list waits until its budget allows it, and then the current one goes. With the default, a full list of 200 names (about 2.5 KB) goes at most every 1.3 s. 256-10485760.",
  PRESENCE_EVENTS_MAX_MEMBERS:
    "Channels with at most this many members send each join, leave and status change to the sessions watching them (`member` frames); bigger ones send `memberCount` frames instead. 0-1000000.",
  MAX_MESSAGE_CHARS: "Longest message text, in Unicode characters (code points).",
  MAX_DATA_BYTES:
    "Largest `data` of one message, as JSON in UTF-8 bytes (0 to 65536; 0 refuses any data).",
  MAX_FRAME_BYTES:
    "Largest client frame in UTF-8 bytes; larger frames close the connection with 1009. The ws edge (Node, or `EDGE=ws`) also closes a message sent in more than 64 fragments, with 1008.",
  SLOW_CONSUMER_BYTES:
    "Bytes waiting to be sent to one client beyond which it is disconnected (close 4005): a client that stops reading cannot grow the server's memory or hold back others.",
  REDIS_URL:
    "`redis://[user:password@]host:port[/db]` (or `rediss://`): share state with other instances through this Redis. Unset: the embedded in-memory broker (one process).",
  REDIS_PREFIX:
    "Start of every Redis key and Pub/Sub topic, so several deployments (or test runs) share one Redis safely.",
  PRESENCE_TTL_MS:
    "Redis mode: how long the users of an instance that died without closing stay online. Instances refresh their sessions every third of it.",
  RECONNECT_GRACE_MS:
    "How long a user keeps the name, token and inbox after the last session ends (a closed tab, a restarted or crashed instance: after a crash the grace starts when `PRESENCE_TTL_MS` ends). Within it the name is held (others get `username_taken`), direct messages to it are stored and acked, and the token brings the user back with them (see [Authentication](#authentication)). `0` frees the name at once. A client that does not keep its token (seed A's) cannot take its name back within it: use `SHARED_USERNAMES=true` on a trusted network, or `0`.",
  HISTORY_LIMIT:
    "Messages kept per channel and per user inbox (in Redis streams, or in memory with the embedded broker).",
  HISTORY_TTL_SECONDS: "Age after which a kept message is dropped (7 days).",
  DEDUP_WINDOW_MS:
    "How long a `ref` makes a re-sent `broadcast` or `directMessage` a duplicate (not published again).",
  ALLOWED_ORIGINS:
    "Comma list of origins (`https://chat.example.com`) browsers may connect from; other origins get 403 before any WebSocket opens. `*` allows any: safe by default because Natter never authenticates with cookies, so another site's page gains nothing it could not get by connecting itself (see [docs/security.md](docs/security.md)).",
  TRUST_PROXY:
    "`true` behind one reverse proxy: the client address is the last `X-Forwarded-For` entry (the one the proxy added). Otherwise the header is ignored.",
  MAX_CONNECTIONS:
    "Open WebSocket connections per instance; more are refused with 503 before the upgrade.",
  MAX_CONNECTIONS_PER_IP: "Open connections per client address; more are refused with 429.",
  IDLE_TIMEOUT_MS:
    "The server pings each client; one that answers no ping and sends no frame within this time is closed with 1001 (on the ws edge, within one to two times this). Seed A's JSON `ping` keeps a client alive like any frame.",
  RATE_MESSAGES_PER_SECOND:
    "Frames one session may send per second on average (a token bucket); more are refused with `rate_limited`, and more than 100 refused within 10 s close the session (1008).",
  RATE_BURST: "Frames one session may send at once after a quiet spell.",
  MAX_QUEUED_FRAMES:
    "Frames one session may have waiting or in flight; more are refused at once with `rate_limited`, and logged at `warn` (at most 10 lines at once, then 1 a second, never texts). A session's publishes are pipelined, so this is what one client may have on its way to the broker: 512 lets one client sustain 1,000 messages a second through half a second in which the server or the broker falls behind (a GC pause, a Redis hiccup, frames bunched by a lossy link), with at most 512 × `MAX_FRAME_BYTES` held for it. Raise `RATE_MESSAGES_PER_SECOND` and `RATE_BURST` too for such a client.",
  MAX_CHANNELS_PER_SESSION:
    "Channels one session may be a member of; more get `too_many_channels`.",
  MAX_SESSIONS_PER_USER:
    "Sessions one user may hold at once, across all instances; one more gets `too_many_sessions` and close 4006.",
  CHANNEL_CREATIONS_PER_MINUTE:
    "New channels one session may create per minute; more get `rate_limited`.",
  EDIT_WINDOW_SECONDS:
    "How long after sending a message its author may edit it (0 to 31536000; 0 turns editing off); later edits get `edit_window_closed`. Deleting has no window.",
  MESSAGE_CHANGES_PER_MINUTE:
    "Edits, deletes and reactions one session may make per minute; more get `rate_limited`.",
  MAX_REACTIONS_PER_MESSAGE:
    "Different emoji one message may have reactions with (1 to 100); one more gets `too_many_reactions`.",
  READ_RECEIPTS_MAX_MEMBERS:
    "Channels with at most this many members send `readReceipt` frames to their members when one reads (0 to 10000; 0 turns them off in channels). Direct conversations always do.",
  METRICS_TOKEN:
    "When set, `/metrics` answers only requests with `Authorization: Bearer` and this token (at least 16 printable ASCII characters, no spaces), others get `401`. Unset, anyone who can reach the port can read the metrics.",
  API_KEY:
    "Turns the server API on (see [docs/api.md](docs/api.md)): every `/api/` request must bear `Authorization: Bearer` and this key (at least 16 printable ASCII characters, no spaces), others get `401`. Unset, `/api/` answers `404`.",
  API_MAX_BODY_BYTES:
    "Largest request body the server API reads, in bytes (1024 to 16777216); larger ones get `413`.",
  WEBHOOK_URL:
    "Where webhook events are POSTed (an `http(s)` URL; see [docs/webhooks.md](docs/webhooks.md)). Unset, none are sent. Needs `WEBHOOK_SECRET`.",
  WEBHOOK_SECRET:
    "The key of each webhook's HMAC-SHA256 signature (at least 16 characters), which receivers verify.",
  WEBHOOK_EVENTS:
    "Comma list of the webhook events sent: any of `user.online`, `user.offline`, `message.offline`, `channel.created`, `channel.deleted`, `channel.member_joined`, `channel.member_left`, `channel.member_banned`, `channel.role_changed`.",
  WEBHOOK_PREVIEW_CHARS:
    "Characters of a message's text a `message.offline` event carries as its `preview` (0 to 4000; 0 sends no text at all).",
  WEBHOOK_TIMEOUT_MS:
    "How long one webhook request may take (100 to 60000); a slower answer counts as a failure and is retried.",
  WEBHOOK_MAX_ATTEMPTS:
    "Attempts to deliver one webhook event (1 to 100) before it is dropped, logged as `webhook.dropped` and counted.",
  WEBHOOK_RETRY_BASE_MS:
    "Wait before a failed webhook's first retry (10 to 3600000); each next retry waits twice as long, at most an hour.",
  EDGE:
    "How WebSockets are served. Unset: `deno` on Deno, `ws` on Node. `deno` (Deno only): Deno's own HTTP server and `upgradeWebSocket`. `ws`: `node:http` + the `ws` package, which refuses an oversized fragmented message while it arrives (see [docs/security.md](docs/security.md)); the only edge of the Node build, and available on Deno too.",
  AUTH_MODE:
    "`anonymous`: names are claimed with session tokens. `jwt`: the identity is a verified JWT's `sub` (see Authentication).",
  JWT_SECRET: "`AUTH_MODE=jwt` with HS256: the shared secret (at least 32 characters).",
  JWT_PUBLIC_KEY:
    "`AUTH_MODE=jwt` with RS256 or ES256: the PEM public key (`-----BEGIN PUBLIC KEY-----`).",
  JWKS_URL: "`AUTH_MODE=jwt` with RS256 or ES256 keys fetched from this JWKS URL.",
  JWT_ISSUER: "When set, a token's `iss` must equal it.",
  JWT_AUDIENCE: "When set, a token's `aud` must contain it.",
  ALLOW_ANONYMOUS_LOBBY:
    "`AUTH_MODE=jwt`: let kind-B clients into the lobby without a token, named `guest-NAME`.",
  SHARED_USERNAMES:
    "**Only on a trusted network: anyone can then speak as any online name.** A migration mode for seed A's web client, which has no token handling: a kind-A client naming a live user without its token joins that user (another tab) instead of getting `username_taken`, as seed A allowed. The startup log warns while it is on. Refused with `AUTH_MODE=jwt`.",
  LOG_LEVEL:
    "`debug`, `info`, `warn` or `error`. `debug` adds a line for every refusal (see [Logs](#logs)).",
  LOG_FORMAT:
    "`json` (one JSON object a line) or `pretty` (text). Unset: `pretty` when stdout is a terminal, `json` otherwise. See [Logs](#logs).",
  SHUTDOWN_TIMEOUT_MS:
    "How long a shutdown (SIGTERM, SIGINT) may take before the process exits anyway (100 to 600000). See [Shutdown](#shutdown).",
};
