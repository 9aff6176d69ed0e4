/**
 * The server API's contract (`/api/`, see `docs/api.md`): the zod schema of
 * every request body and query, and every error it answers with, with its
 * HTTP status and meaning. Names and message limits are the WebSocket
 * protocol's own (`frames.ts`), so a message the API accepts is one a client
 * could have sent.
 *
 * @module
 */
import { z } from "zod";
import { type FrameLimits, MAX_PAGE_LIMIT, MAX_REF_CHARS, messageFieldSchemas } from "./frames.ts";
import { isPrintableText, utf8Length } from "./names.ts";

/** Every error the API answers with: its HTTP status and what it means. */
export const API_ERRORS = {
  invalid_request: {
    status: 400,
    meaning:
      "The body is not JSON, or a field is missing, unknown or invalid: the message names it",
  },
  unauthorized: {
    status: 401,
    meaning: "No `Authorization: Bearer API_KEY` header, or another key",
  },
  not_permitted: { status: 403, meaning: "Not even the server may do that (delete the lobby)" },
  muted: { status: 403, meaning: "A message on behalf of a user who is muted in that channel" },
  not_found: { status: 404, meaning: "No such route (or the API is off: `API_KEY` is unset)" },
  channel_not_found: { status: 404, meaning: "No channel of that name" },
  user_not_found: {
    status: 404,
    meaning: "Nobody holds that username (anonymous mode: no session and no grace left)",
  },
  method_not_allowed: {
    status: 405,
    meaning: "The route exists, not with this method: the `Allow` header lists those it takes",
  },
  channel_exists: { status: 409, meaning: "A channel of that name exists already" },
  banned: { status: 409, meaning: "The user is banned from that channel: lift the ban first" },
  dm_unsupported: {
    status: 409,
    meaning: "The recipient uses a lobby-only (kind-B) client, which has no direct messages",
  },
  lobby_only: {
    status: 409,
    meaning:
      "The user uses a lobby-only (kind-B) client, which lives in the lobby and joins no channel",
  },
  payload_too_large: { status: 413, meaning: "The body is larger than `API_MAX_BODY_BYTES`" },
  reply_not_found: {
    status: 422,
    meaning: "`replyTo` names no kept message of that channel or of the sender's conversation",
  },
  internal_error: { status: 500, meaning: "An unexpected server fault (logged)" },
  unavailable: { status: 503, meaning: "The broker could not be reached: nothing happened" },
} as const;

/** A stable, machine-readable API error code. */
export type ApiErrorCode = keyof typeof API_ERRORS;

/** The sender of system messages posted without `from`. */
export const SYSTEM_SENDER = "system";

/** Longest close reason a WebSocket carries, in UTF-8 bytes (RFC 6455: 125 less the code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** Why sessions close when the API disconnects their user without saying. */
export const DEFAULT_DISCONNECT_REASON = "disconnected by the server";

/** The request schemas, built for the configured limits. */
export function apiSchemas(limits: FrameLimits) {
  const { Text, Data, ChannelName, Username, MessageId, MeasureSeconds } = messageFieldSchemas(
    limits,
  );
  /** How long a ban or mute lasts: `seconds`, or for good without. */
  const Measure = z.strictObject({ seconds: MeasureSeconds.min(1).optional() });
  const PageLimit = z.string().regex(/^\d{1,3}$/, "must be a whole number from 1 to 100")
    .transform(Number).pipe(z.number().min(1, "must be at least 1").max(MAX_PAGE_LIMIT));
  const Cursor = z.string().max(256).optional();
  return {
    channelName: ChannelName,
    username: Username,
    publish: z.strictObject({
      channel: ChannelName.optional(),
      user: Username.optional(),
      text: Text,
      from: Username.optional(),
      system: z.boolean().optional(),
      data: Data,
      replyTo: MessageId.optional(),
      ref: z.string().min(1).max(MAX_REF_CHARS).optional(),
    }).refine((body) => (body.channel === undefined) !== (body.user === undefined), {
      message: "publish needs exactly one of channel (a channel name) or user (a username)",
    }).refine((body) => !(body.user !== undefined && body.system && body.from !== undefined), {
      message: "a system message to a user comes from system: leave out from. A named system " +
        "sender posts to channels only, since a direct conversation is keyed by its name, " +
        "which may be a user's",
      path: ["from"],
    }),
    createChannel: z.strictObject({
      name: ChannelName,
      private: z.boolean().optional(),
      owner: Username.optional(),
    }),
    role: z.strictObject({ role: z.enum(["moderator", "member"]) }),
    measure: Measure,
    disconnect: z.strictObject({
      reason: z.string().min(1).refine(
        (reason) => isPrintableText(reason) && utf8Length(reason) <= MAX_CLOSE_REASON_BYTES,
        `must be printable text of at most ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`,
      ).optional(),
      ban: Measure.optional(),
    }),
    channelsQuery: z.strictObject({
      prefix: z.string().max(256).optional(),
      after: Cursor,
      limit: PageLimit.optional(),
    }),
    pageQuery: z.strictObject({ after: Cursor, limit: PageLimit.optional() }),
    historyQuery: z.strictObject({ before: MessageId.optional(), limit: PageLimit.optional() }),
  };
}

/** The API's request schemas. */
export type ApiSchemas = ReturnType<typeof apiSchemas>;
