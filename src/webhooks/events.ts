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
