/**
 * The codes of Natter's protocol: the `code` an `error` frame carries, with
 * what it means, and the WebSocket close codes it uses. The README's error
 * and close code tables are written from these, and a test keeps them in
 * step.
 *
 * @module
 */

/** Every `code` an `error` frame can carry, with what it means. */
export const ERROR_CODES = {
  invalid_json: "The frame is not a JSON object",
  unknown_type: "The frame's `type` is missing or not one Natter knows",
  invalid_frame: "A field is missing, empty or of the wrong type",
  invalid_channel:
    "A channel name breaks the naming rules (1-64 letters, marks, digits, inner spaces, _ - . ' ’; see Names); the message names the rule",
  invalid_username:
    "A username breaks the naming rules (1-32 letters, marks, digits, inner spaces, _ - . ' ’; see Names) or is reserved (Server, system); the message names the rule",
  invalid_token:
    "The token is not valid: no online user holds it, or (AUTH_MODE=jwt) it is expired, badly signed or for another audience",
  auth_required: "AUTH_MODE=jwt: connect with a token (?token= or Authorization: Bearer)",
  token_expired: "The session's JWT expired before a newer one came with refresh",
  forbidden: "The token's channels claim does not include that channel",
  username_taken: "The username belongs to another live session and no matching token was given",
  message_too_long: "The message text is longer than MAX_MESSAGE_CHARS",
  data_too_large: "The message's data, as JSON, is larger than MAX_DATA_BYTES",
  reply_not_found:
    "replyTo names no kept message of that channel or conversation (wrong id, or dropped by HISTORY_LIMIT or HISTORY_TTL_SECONDS)",
  message_not_found:
    "No kept message with that id in that channel or conversation (wrong id, deleted, or dropped by HISTORY_LIMIT or HISTORY_TTL_SECONDS)",
  edit_window_closed: "The message is older than EDIT_WINDOW_SECONDS: it can no longer be edited",
  too_many_reactions:
    "The message already has MAX_REACTIONS_PER_MESSAGE different reactions: react with one of them",
  binary_unsupported: "Binary frames are not part of the protocol; send JSON text",
  user_offline: "The recipient has no open session",
  dm_unsupported: "The recipient uses a lobby-only (kind-B) client, which has no direct messages",
  not_member: "The session is not a member of that channel",
  channel_unavailable:
    "The channel cannot be joined: its name is taken by a channel you were not invited to",
  not_permitted:
    "Your role does not allow that: the owner appoints moderators and deletes the channel; the owner and moderators invite, kick, ban and mute those below them, and delete any message; only its author edits a message",
  banned:
    "You are banned from that channel, or at connect from the server (for good, or until the time the message says)",
  muted:
    "You are muted in that channel: you read it but may not post (for good, or until the time the message says)",
  history_truncated:
    "Messages after `since` were dropped (HISTORY_LIMIT or HISTORY_TTL_SECONDS): the replay has what is left",
  rate_limited:
    "Too many frames: over RATE_MESSAGES_PER_SECOND (or 64 waiting), CHANNEL_CREATIONS_PER_MINUTE or MESSAGE_CHANGES_PER_MINUTE",
  too_many_channels: "The session is already in MAX_CHANNELS_PER_SESSION channels",
  too_many_sessions: "The user already holds MAX_SESSIONS_PER_USER sessions",
  unavailable: "The broker could not be reached; nothing was published",
  internal_error: "An unexpected server fault; the frame had no effect",
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** WebSocket close codes Natter uses, with their meaning. */
export const CLOSE_CODES = {
  /** The client went idle (no pong within IDLE_TIMEOUT_MS). */
  going_away: 1001,
  /** The server is restarting: reconnect at once (another instance takes the session). */
  service_restart: 1012,
  /** A frame was larger than MAX_FRAME_BYTES. */
  frame_too_large: 1009,
  /** The server failed while handling this connection (logged); reconnect. */
  internal_error: 1011,
  /** The broker was unreachable while the session was being opened; reconnect later. */
  unavailable: 1013,
  /** The username is held by another user (after an `error` frame). */
  username_taken: 4002,
  /** The requested username is not allowed (after an `error` frame). */
  invalid_username: 4003,
  /** The session token matches no online user (after an `error` frame). */
  invalid_token: 4004,
  /** AUTH_MODE=jwt: the JWT expired and no refresh came (after an `error` frame). */
  token_expired: 4001,
  /** AUTH_MODE=jwt: the connection brought no token (after an `error` frame). */
  auth_required: 4007,
  /** The client did not read: more than SLOW_CONSUMER_BYTES were waiting to be sent to it. */
  slow_consumer: 4005,
  /** The user already holds MAX_SESSIONS_PER_USER sessions (after an `error` frame). */
  too_many_sessions: 4006,
  /** Sustained flooding: frames kept coming far over the rate limit. */
  rate_abuse: 1008,
  /** The application's backend disconnected the user through the server API; the reason says why. */
  disconnected: 4008,
  /** The user is banned from the server (through the server API): at connect, after an `error` frame. */
  banned: 4009,
} as const;
