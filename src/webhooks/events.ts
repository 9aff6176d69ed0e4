/**
 * The webhook events Natter sends to `WEBHOOK_URL`: their type names (what
 * `WEBHOOK_EVENTS` selects from) and the JSON body of each. `docs/webhooks.md`
 * shows every one; the body is what the receiver verifies the signature of.
 *
 * @module
 */
/** Every event type, in the order the docs list them. */
export const WEBHOOK_EVENT_TYPES = [
  "user.online",
  "user.offline",
  "message.offline",
  "channel.created",
  "channel.deleted",
  "channel.member_joined",
  "channel.member_left",
  "channel.member_banned",
  "channel.role_changed",
] as const;

/** The name of one kind of webhook event. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Whether `type` names a webhook event. */
export function isWebhookEventType(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * A message that reached a user who has no session anywhere: a direct
 * message (`conversation`), or a channel message that mentions them
 * (`channel`, `mentioned`).
 */
export type MessageOfflineData =
  & {
    /** Who the message is for: the recipient's name. */
    recipient: string;
    /** Who sent it: a user's name, or the server API's system sender (`system`). */
    from: string;
    /** Posted through the server API as a system sender. */
    system?: true;
    /** The message's id, as clients see it (to fetch or link it). */
    messageId: string;
    /** The first `WEBHOOK_PREVIEW_CHARS` characters of its text; absent when that is 0. */
    preview?: string;
  }
  & (
    | { conversation: { with: string } }
    | { channel: string; mentioned: true }
  );

/** What each event's `data` holds. Users are named as they spell their name. */
export interface WebhookEventData {
  /** A holding of a name started: the user came online (not a returning tab or reconnect). */
  "user.online": { user: string; kind: "A" | "B" };
  /** The user's last session ended, and they did not come back within `RECONNECT_GRACE_MS`. */
  "user.offline": { user: string };
  "message.offline": MessageOfflineData;
  /** `owner`: the creator's name; absent for channels the server creates. */
  "channel.created": { channel: string; private: boolean; owner?: string };
  /** `members`: how many users it was one of the channels of. */
  "channel.deleted": { channel: string; members: number };
  "channel.member_joined": { channel: string; user: string };
  "channel.member_left": { channel: string; user: string };
  /** Until when (ms) the user may not join again, or `forever`. */
  "channel.member_banned":
    & { channel: string; user: string }
    & ({ until: number } | { forever: true });
  /** The user's role now: a moderator, or a plain member again. */
  "channel.role_changed": { channel: string; user: string; role: "moderator" | "member" };
}

/** One event as its body says it: fixed when it is queued, the same in every attempt. */
export interface WebhookEvent<Type extends WebhookEventType = WebhookEventType> {
  /** Unique, stable across attempts: receivers deduplicate by it. */
  id: string;
  type: Type;
  /** When it happened (ms since the epoch): events may arrive out of order. */
  ts: number;
  data: WebhookEventData[Type];
}
