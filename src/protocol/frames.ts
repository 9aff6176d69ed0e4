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
import type { ErrorCode } from "./codes.ts";
import {
  checkName,
  DEFAULT_SCRIPT_RESTRICTION,
  exceedsCodePoints,
  isPrintableText,
  type NameKind,
  quoteName,
  RESERVED_USERNAMES,
  type ScriptRestriction,
  userKey,
} from "./names.ts";
import { MESSAGE_ID_PATTERN } from "./server_frames.ts";

export * from "./server_frames.ts";

/** Longest `ref` a client may attach to a frame. */
export const MAX_REF_CHARS = 64;

/** Most messages one `history` answer carries. */
export const MAX_HISTORY_LIMIT = 100;

/** Messages a `history` answer carries when the request names no `limit`. */
export const DEFAULT_HISTORY_LIMIT = 50;

/** Most entries one `members` or `channels` page carries, and how many when not said. */
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 50;

/** Longest custom status text, in code points. */
export const MAX_STATUS_CHARS = 64;

/** Longest reaction, in code points: room for any emoji sequence, or a short `:name:`. */
export const MAX_REACTION_CHARS = 32;

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
  return normalizedName(nameCheck(kind, scripts));
}

/** The check of a name of `kind`: its NFC form, or the refusal naming the broken rule. */
function nameCheck(kind: NameKind, scripts: ScriptRestriction) {
  const { subject, code } = NAME_REFUSALS[kind];
  return (raw: string) => {
    const verdict = checkName(raw, kind, scripts);
    return verdict.ok
      ? verdict
      : { ok: false as const, message: `${subject} ${quoteName(raw)} ${verdict.problem}`, code };
  };
}

/**
 * The other side of a direct conversation: a username, or a reserved name
 * (`system`), which no user holds but the server API sends as.
 */
function peerSchema(scripts: ScriptRestriction) {
  const username = nameCheck("username", scripts);
  return normalizedName((raw) =>
    RESERVED_USERNAMES.includes(userKey(raw)) ? { ok: true, name: raw } : username(raw)
  );
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
  /** Largest `data` of a message, as JSON in UTF-8 bytes. @default 4096 */
  maxDataBytes?: number;
  /** How far names may mix scripts (NAME_SCRIPT_RESTRICTION). @default "moderately-restrictive" */
  nameScriptRestriction?: ScriptRestriction;
}

const UTF8 = new TextEncoder();

/** Longest ban or mute with a duration: a year; longer is for good (no `seconds`). */
const MAX_MEASURE_SECONDS = 31_536_000;

/**
 * The fields a message and its addressing are made of, built for the
 * configured limits: shared by the client frames and the server API.
 */
export function messageFieldSchemas(limits: FrameLimits) {
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
  const maxDataBytes = limits.maxDataBytes ?? 4096;
  /**
   * Application data a message carries as it is: a JSON object, bounded in
   * size. A top-level `__proto__` key is refused: copied into an object it
   * would set the prototype instead (the key lost, its value inherited).
   */
  const Data = z.custom<Record<string, unknown>>(
    (data) => !(typeof data === "object" && data !== null && Object.hasOwn(data, "__proto__")),
    "data must not have a key named __proto__: rename it",
  ).pipe(z.record(z.string(), z.unknown())).refine(
    (data) => UTF8.encode(JSON.stringify(data)).length <= maxDataBytes,
    {
      message: `data is larger than ${maxDataBytes} bytes as JSON (MAX_DATA_BYTES)`,
      params: { code: "data_too_large" satisfies ErrorCode },
    },
  ).optional();
  const scripts = limits.nameScriptRestriction ?? DEFAULT_SCRIPT_RESTRICTION;
  const ChannelName = nameSchema("channel", scripts);
  const Username = nameSchema("username", scripts);
  /** How long a ban or mute lasts, in seconds: 0 lifts it where that is allowed. */
  const MeasureSeconds = z.number().int().min(0).max(MAX_MEASURE_SECONDS);
  return {
    PrintableText,
    Text,
    Data,
    ChannelName,
    Username,
    MessageId: MessageIdField,
    MeasureSeconds,
    scripts,
  };
}

/** The inbound schemas, built for the configured limits. */
export function clientFrameSchemas(limits: FrameLimits) {
  const { PrintableText, Text, Data, ChannelName, Username, MeasureSeconds, scripts } =
    messageFieldSchemas(limits);
  /** A ban or mute frame: the channel, the user, and how long (absent: for good; 0: lifted). */
  const Measure = <T extends "ban" | "mute">(type: T) =>
    z.object({
      type: z.literal(type),
      to: ChannelName,
      user: Username,
      seconds: MeasureSeconds.optional(),
      ref: Ref,
    });
  const Target = targetSchema(scripts);
  const Peer = peerSchema(scripts);
  /** A frame about a message of a channel (`to`) or of the conversation with a user (`with`). */
  const aboutMessage = <K extends string, T extends z.ZodRawShape>(type: K, shape: T) =>
    z.object({
      type: z.literal(type),
      to: ChannelName.optional(),
      with: Peer.optional(),
      ...shape,
      ref: Ref,
    }).refine(
      (frame) => {
        // The shape's extra keys keep zod from seeing `to` and `with` through the generic.
        const { to, with: user } = frame as { to?: string; with?: string };
        return (to === undefined) !== (user === undefined);
      },
      { message: `${type} needs exactly one of to (a channel) or with (a username)` },
    );
  const Emoji = z.string().refine(
    (emoji) =>
      emoji !== "" && !exceedsCodePoints(emoji, MAX_REACTION_CHARS) && isPrintableText(emoji) &&
      !/\s/u.test(emoji),
    { message: `emoji must be 1-${MAX_REACTION_CHARS} characters without spaces` },
  );
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
    broadcast: z.object({
      type: z.literal("broadcast"),
      to: ChannelName,
      message: Text,
      replyTo: MessageIdField.optional(),
      data: Data,
      ref: Ref,
    }),
    directMessage: z.object({
      type: z.literal("directMessage"),
      to: Username,
      message: Text,
      replyTo: MessageIdField.optional(),
      data: Data,
      ref: Ref,
    }),
    typing: z.object({ type: z.literal("typing"), to: Target, ref: Ref }),
    editMessage: aboutMessage("editMessage", { id: MessageIdField, message: Text }),
    deleteMessage: aboutMessage("deleteMessage", { id: MessageIdField }),
    react: aboutMessage("react", {
      id: MessageIdField,
      emoji: Emoji,
      remove: z.boolean().optional(),
    }),
    markRead: aboutMessage("markRead", { id: MessageIdField.optional() }),
    /** Seed A's keep-alive (`{"type":"ping","message":"keep-alive","from":NAME}`); other keys ignored. */
    ping: z.object({ type: z.literal("ping"), ref: Ref.catch(undefined) }),
    refresh: z.object({ type: z.literal("refresh"), token: z.string().min(1).max(8192), ref: Ref }),
    members: z.object({
      type: z.literal("members"),
      to: ChannelName,
      after: z.string().max(256).optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
      ref: Ref,
    }),
    channels: z.object({
      type: z.literal("channels"),
      prefix: z.string().max(256).optional(),
      after: z.string().max(256).optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
      ref: Ref,
    }),
    status: z.object({
      type: z.literal("status"),
      status: z.enum(["online", "away"]),
      message: PrintableText.refine((text) => !exceedsCodePoints(text, MAX_STATUS_CHARS), {
        message: `the status text is longer than ${MAX_STATUS_CHARS} characters`,
      }).optional(),
      ref: Ref,
    }),
    presence: z.object({
      type: z.literal("presence"),
      users: z.array(Username).min(1).max(MAX_PAGE_LIMIT),
      ref: Ref,
    }),
    history: z.object({
      type: z.literal("history"),
      to: ChannelName.optional(),
      with: Peer.optional(),
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
