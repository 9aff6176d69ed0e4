/**
 * The wire contract's frames: every frame a client may send and every frame
 * Natter sends back, for both client kinds, as zod schemas, with the limits
 * and name rules they enforce. The codecs build their outbound frames as
 * values of the types derived here, so the schemas are the encoders' contract
 * as well as the tests'.
 *
 * Kind A is the "Distributed-Chat-App" protocol (`/ws?username=NAME`,
 * `{"type","to","from","sessionID","message"}` frames); kind B is the
 * "Chat Backend" protocol (`/ws`, `{"sender","text"}` frames). The README's
 * protocol tables are written from these names and the tests check every
 * frame they receive against the outbound schemas.
 *
 * @module
 */
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "./codes.ts";
import {
  checkName,
  DEFAULT_SCRIPT_RESTRICTION,
  exceedsCodePoints,
  isPrintableText,
  type NameKind,
  quoteName,
  type ScriptRestriction,
} from "./names.ts";

/** Longest `ref` a client may attach to a frame. */
export const MAX_REF_CHARS = 64;

/** Message ids: `<13-digit ms>-<6-digit sequence>`. */
export const MESSAGE_ID_PATTERN = /^\d{13}-\d{6}$/;

/** Most messages one `history` answer carries. */
export const MAX_HISTORY_LIMIT = 100;

/** Messages a `history` answer carries when the request names no `limit`. */
export const DEFAULT_HISTORY_LIMIT = 50;

/** A message id sent by a client (`since`, `before`). */
const MessageIdField = z.string().regex(
  MESSAGE_ID_PATTERN,
  "must be a message id such as 1795271816712-000003",
);

const Ref = z.string().max(MAX_REF_CHARS).optional();

/** How each kind of name is called in a refusal, and the code it is refused with. */
const NAME_REFUSALS = {
  username: { subject: "Username", code: "invalid_username" },
  channel: { subject: "Channel name", code: "invalid_channel" },
} as const satisfies Record<NameKind, { subject: string; code: ErrorCode }>;

/**
 * A username or channel name: its NFC form out, or a failure with
 * `invalid_username` or `invalid_channel` whose message names the broken rule.
 */
function nameSchema(kind: NameKind, scripts: ScriptRestriction) {
  const { subject, code } = NAME_REFUSALS[kind];
  return normalizedName((raw) => {
    const verdict = checkName(raw, kind, scripts);
    return verdict.ok
      ? verdict
      : { ok: false, message: `${subject} ${quoteName(raw)} ${verdict.problem}`, code };
  });
}

/** A `typing` target: a channel name or a username, in its NFC form. */
function targetSchema(scripts: ScriptRestriction) {
  return normalizedName((raw) => {
    const asChannel = checkName(raw, "channel", scripts);
    if (asChannel.ok) return asChannel;
    const asUser = checkName(raw, "username", scripts);
    if (asUser.ok) return asUser;
    return {
      ok: false,
      message: `to must be a channel name or a username: ${quoteName(raw)} ${asChannel.problem}`,
    };
  });
}

/**
 * A string schema that replaces its value with the checked name's NFC form,
 * or fails with the refusal's message and params. It is a check that sets
 * the value, as zod's own `overwrite` is: a `transform` would cost the
 * broadcast path a third more.
 */
function normalizedName(
  check: (
    raw: string,
  ) => { ok: true; name: string } | { ok: false; message: string; code?: ErrorCode },
) {
  return z.string().check((ctx) => {
    const verdict = check(ctx.value);
    if (verdict.ok) ctx.value = verdict.name;
    else {
      ctx.issues.push({
        code: "custom",
        message: verdict.message,
        input: ctx.value,
        ...(verdict.code === undefined ? {} : { params: { code: verdict.code } }),
      });
    }
  });
}

/** Limits the inbound schemas enforce that come from configuration. */
export interface FrameLimits {
  /** Longest message text, in code points. */
  maxMessageChars: number;
  /** How far names may mix scripts (NAME_SCRIPT_RESTRICTION). @default "moderately-restrictive" */
  nameScriptRestriction?: ScriptRestriction;
}

/** Longest ban or mute with a duration: a year; longer is for good (no `seconds`). */
const MAX_MEASURE_SECONDS = 31_536_000;

/** The inbound schemas, built for the configured limits. */
export function clientFrameSchemas(limits: FrameLimits) {
  const BoundedText = z.string().refine(
    (text) => !exceedsCodePoints(text, limits.maxMessageChars),
    {
      message: `text is longer than ${limits.maxMessageChars} characters`,
      params: { code: "message_too_long" satisfies ErrorCode },
    },
  );
  const PrintableText = BoundedText.refine(isPrintableText, {
    message:
      "text must be well-formed Unicode without control characters (tab and newlines allowed)",
  });
  const Text = PrintableText.min(1, "text must not be empty");
  const scripts = limits.nameScriptRestriction ?? DEFAULT_SCRIPT_RESTRICTION;
  const ChannelName = nameSchema("channel", scripts);
  const Username = nameSchema("username", scripts);
  /** A ban or mute frame: the channel, the user, and how long (absent: for good; 0: lifted). */
  const Measure = <T extends "ban" | "mute">(type: T) =>
    z.object({
      type: z.literal(type),
      to: ChannelName,
      user: Username,
      seconds: z.number().int().min(0).max(MAX_MEASURE_SECONDS).optional(),
      ref: Ref,
    });
  const Target = targetSchema(scripts);
  const kindA = {
    createChannel: z.object({
      type: z.literal("createChannel"),
      message: ChannelName,
      private: z.boolean().optional(),
      ref: Ref,
    }),
    invite: z.object({ type: z.literal("invite"), to: ChannelName, user: Username, ref: Ref }),
    setRole: z.object({
      type: z.literal("setRole"),
      to: ChannelName,
      user: Username,
      role: z.enum(["moderator", "member"]),
      ref: Ref,
    }),
    kick: z.object({ type: z.literal("kick"), to: ChannelName, user: Username, ref: Ref }),
    deleteChannel: z.object({ type: z.literal("deleteChannel"), to: ChannelName, ref: Ref }),
    ban: Measure("ban"),
    mute: Measure("mute"),
    joinChannel: z.object({
      type: z.literal("joinChannel"),
      to: ChannelName,
      since: MessageIdField.optional(),
      ref: Ref,
    }),
    leaveChannel: z.object({ type: z.literal("leaveChannel"), to: ChannelName, ref: Ref }),
    broadcast: z.object({ type: z.literal("broadcast"), to: ChannelName, message: Text, ref: Ref }),
    directMessage: z.object({
      type: z.literal("directMessage"),
      to: Username,
      message: Text,
      ref: Ref,
    }),
    typing: z.object({ type: z.literal("typing"), to: Target, ref: Ref }),
    /** Seed A's keep-alive (`{"type":"ping","message":"keep-alive","from":NAME}`); other keys ignored. */
    ping: z.object({ type: z.literal("ping"), ref: Ref.catch(undefined) }),
    refresh: z.object({ type: z.literal("refresh"), token: z.string().min(1).max(8192), ref: Ref }),
    history: z.object({
      type: z.literal("history"),
      to: ChannelName.optional(),
      with: Username.optional(),
      before: MessageIdField.optional(),
      limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional(),
      ref: Ref,
    }).refine((frame) => (frame.to === undefined) !== (frame.with === undefined), {
      message: "history needs exactly one of to (a channel) or with (a username)",
    }),
  };
  /** A kind-B frame: the first one registers `sender`, later ones say `text`. */
  const kindB = z.object({ sender: z.string(), text: PrintableText, ref: Ref });
  return { kindA, kindB };
}

/** The frame types a kind-A client may send. */
export type ClientTypeA = keyof ReturnType<typeof clientFrameSchemas>["kindA"];

// ---- Outbound: what Natter sends. -----------------------------------------

/**
 * Kind-A frames always carry the seed's five keys (`type`, `to`, `from`,
 * `sessionID`, `message`), empty where unused, because seed clients read
 * them without checking; Natter's additions come as further keys.
 */
const baseA = {
  to: z.string(),
  from: z.string(),
  sessionID: z.string(),
  message: z.string(),
};

const MessageId = z.string().regex(MESSAGE_ID_PATTERN);
const Timestamp = z.number().int().nonnegative();

/** Flags a delivered message may carry. */
const MessageFlags = {
  /** Sent again from history (resume), not live. */
  replay: z.literal(true).optional(),
  /** The broker was unreachable: only members on the sender's instance got it. */
  local: z.literal(true).optional(),
};

/** Every frame Natter sends to a kind-A client, by `type`. */
export const ServerFramesA = {
  sessionID: z.object({
    ...baseA,
    type: z.literal("sessionID"),
    username: z.string(),
    token: z.string(),
    /** Direct messages that came while the user had no session (replayed next). */
    unread: z.number().int().nonnegative(),
  }),
  userList: z.object({ ...baseA, type: z.literal("userList") }),
  channelList: z.object({ ...baseA, type: z.literal("channelList") }),
  broadcast: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("broadcast"),
    id: MessageId,
    ts: Timestamp,
  }),
  directMessage: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("directMessage"),
    id: MessageId,
    ts: Timestamp,
  }),
  sessionUpdate: z.object({
    ...baseA,
    ...MessageFlags,
    type: z.literal("sessionUpdate"),
    id: MessageId,
    ts: Timestamp,
  }),
  typing: z.object({ ...baseA, type: z.literal("typing") }),
  /** The user's channels, with their newest ids: this session is in them when `live`. */
  memberships: z.object({
    ...baseA,
    type: z.literal("memberships"),
    live: z.boolean(),
    channels: z.array(z.object({ name: z.string(), last: MessageId.optional() })),
  }),
  /** `from` invited this user to the private channel `to`: `joinChannel` now works. */
  invited: z.object({ ...baseA, type: z.literal("invited") }),
  /** Another session of the user joined `to`: this session is a member now too. */
  joined: z.object({ ...baseA, type: z.literal("joined") }),
  /** Another session of the user left `to`: so did this one. */
  left: z.object({ ...baseA, type: z.literal("left") }),
  /** The answer to a `ping`, as seed A's server gave it; with the ping's `ref` if it had one. */
  pong: z.object({ ...baseA, type: z.literal("pong"), ref: z.string().optional() }),
  ack: z.object({
    ...baseA,
    type: z.literal("ack"),
    ref: z.string(),
    id: MessageId.optional(),
    /** The `ref` was already published within DEDUP_WINDOW_MS: `id` is the first publish's. */
    duplicate: z.literal(true).optional(),
  }),
  error: z.object({
    ...baseA,
    type: z.literal("error"),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    ref: z.string().optional(),
  }),
  /** The answer to a `history` request: `to` (channel) or `with` (user), messages oldest first. */
  history: z.object({
    ...baseA,
    type: z.literal("history"),
    with: z.string().optional(),
    ref: z.string().optional(),
    messages: z.array(z.record(z.string(), z.unknown())),
  }),
};

/** Any frame Natter sends to a kind-A client. */
export const ServerFrameA = z.discriminatedUnion("type", [
  ServerFramesA.sessionID,
  ServerFramesA.userList,
  ServerFramesA.channelList,
  ServerFramesA.broadcast,
  ServerFramesA.directMessage,
  ServerFramesA.sessionUpdate,
  ServerFramesA.typing,
  ServerFramesA.pong,
  ServerFramesA.memberships,
  ServerFramesA.invited,
  ServerFramesA.joined,
  ServerFramesA.left,
  ServerFramesA.ack,
  ServerFramesA.error,
  ServerFramesA.history,
]);

/**
 * A frame Natter sends to a kind-A client, as the value codec A builds:
 * `ServerFrameA<"ack">` is an ack, `ServerFrameA` any of them. Deriving it
 * from the schema makes an encoder that drifts from it (a missing or an
 * unknown key, a wrong type) fail type-checking.
 */
export type ServerFrameA<K extends keyof typeof ServerFramesA = keyof typeof ServerFramesA> =
  z.output<(typeof ServerFramesA)[K]>;

/** Every frame Natter sends to a kind-B client. */
export const ServerFramesB = {
  /** A lobby message, or an announcement from `Server`. */
  message: z.object({
    sender: z.string(),
    text: z.string(),
    id: MessageId,
    ts: Timestamp,
    local: z.literal(true).optional(),
  }),
  ack: z.object({
    type: z.literal("ack"),
    sender: z.literal("Server"),
    text: z.string(),
    ref: z.string(),
    id: MessageId.optional(),
    duplicate: z.literal(true).optional(),
  }),
  /** Refused input; `username_taken` has the seed's text "Username already taken" and closes. */
  error: z.object({
    type: z.literal("error"),
    sender: z.literal("Server"),
    text: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    ref: z.string().optional(),
  }),
};

/** Any frame Natter sends to a kind-B client. */
export const ServerFrameB = z.union([
  ServerFramesB.message,
  ServerFramesB.ack,
  ServerFramesB.error,
]);

/** A frame Natter sends to a kind-B client, as the value codec B builds: see `ServerFrameA`. */
export type ServerFrameB<K extends keyof typeof ServerFramesB = keyof typeof ServerFramesB> =
  z.output<(typeof ServerFramesB)[K]>;
