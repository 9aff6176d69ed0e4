/**
 * Where webhook events come from: a broker decorator (like
 * `broker/instrumented.ts`) that notices what the core and the server API
 * ask of the broker and queues the events it means on the broker's shared
 * event queue. Neither the core nor the API knows webhooks exist.
 *
 * - `users.open` claiming a name: `user.online`; an offline of the name's
 *   previous holding still waiting goes at once.
 * - `users.close` ending the last session, or an instance's death
 *   (`BrokerEvents.expired`): `user.offline`, due after the reconnect grace,
 *   one per user (queued again, it replaces the waiting one), sent only if
 *   the user did not come back (the dispatcher checks).
 * - A published message: `message.offline` for a direct message's
 *   recipient, or each mentioned member of the channel, with no session
 *   anywhere.
 * - Channel changes: created, deleted, a member joined, left, was banned,
 *   got a role.
 *
 * The broker call resolves as soon as the inner one does: events are made
 * and queued in the background, and a failure is logged, never thrown into
 * chat. Only the event types of `WEBHOOK_EVENTS` are queued.
 *
 * @module
 */
import type { Broker, BrokerEvents, MessageDraft } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import { newEventId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { DeliveredMessage } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import type {
  MessageOfflineData,
  WebhookEvent,
  WebhookEventData,
  WebhookEventType,
} from "./events.ts";

/** What noticing needs. */
export interface NoticingOptions extends
  Pick<
    Config,
    "webhookEvents" | "webhookPreviewChars" | "reconnectGraceMs" | "lobbyChannel"
  > {
  log: Logger;
}

/** The decorated broker, and a way to wait for the events still being queued. */
export interface NoticingBroker {
  broker: Broker;
  /** Resolves once every event noticed so far is queued (or failed to be). */
  idle(): Promise<void>;
}

/** Most mentioned members one channel message sends `message.offline` for. */
export const MAX_MENTION_EVENTS = 20;

/** The queue id of a user's waiting offline event: one per user, replaced when queued again. */
export function offlineEventId(name: string): string {
  return `offline:${userKey(name)}`;
}

/** The check an offline event waits for: the user `name` still has no session. */
export function offlineCheck(name: string): string {
  return `offline:${name}`;
}

/** `broker`, queuing the webhook events of what it is asked to do on its event queue. */
export function noticeWebhookEvents(broker: Broker, options: NoticingOptions): NoticingBroker {
  const { bus, users, channels, events } = broker;
  const { log, webhookPreviewChars, reconnectGraceMs, lobbyChannel } = options;
  // Config checked every name (isWebhookEventType); a string set answers `has` for any type.
  const selected: ReadonlySet<string> = new Set(options.webhookEvents);
  const pending = new Set<Promise<void>>();

  /** Runs `work` in the background; its failure is logged, never thrown into chat. */
  function background(what: string, work: () => Promise<unknown>): void {
    const done = work().then(
      () => {},
      (error) => log.warn("webhook.queue_failed", { event: what, error }),
    );
    pending.add(done);
    done.finally(() => pending.delete(done));
  }

  /**
   * Queues an event of `type` that happened at `ts` (now by default) if
   * selected, due in `delayMs`, under `queueId` (its own id by default).
   */
  async function queue<Type extends WebhookEventType>(
    type: Type,
    data: WebhookEventData[Type],
    { queueId, check, delayMs = 0, ts = Date.now() }: {
      queueId?: string;
      check?: string;
      delayMs?: number;
      ts?: number;
    } = {},
  ): Promise<void> {
    if (!selected.has(type)) return;
    const event: WebhookEvent<Type> = { id: newEventId(), type, ts, data };
    const body = JSON.stringify(event);
    await events.add(
      { id: queueId ?? event.id, body, ...(check === undefined ? {} : { check }) },
      delayMs,
    );
  }

  /** The user is offline now: their offline goes after the grace, unless they come back. */
  function wentOffline(name: string): Promise<void> {
    return queue("user.offline", { user: name }, {
      queueId: offlineEventId(name),
      check: offlineCheck(name),
      delayMs: reconnectGraceMs,
    });
  }

  /** The name of the user `key` as they spell it, while someone holds it; else the key. */
  async function nameOf(key: string): Promise<string> {
    return (await users.lookup(key))?.name ?? key;
  }

  function preview(text: string): Pick<MessageOfflineData, "preview"> {
    if (webhookPreviewChars === 0) return {};
    return { preview: Array.from(text).slice(0, webhookPreviewChars).join("") };
  }

  /** `message.offline` for whom `message` reached while they had no session anywhere. */
  async function messagePublished(draft: MessageDraft, message: DeliveredMessage): Promise<void> {
    const sender = userKey(message.from);
    const common = {
      from: message.from,
      ...(message.system ? { system: true as const } : {}),
      messageId: message.id,
      ...preview(message.text),
    };
    if (draft.kind === "direct") {
      if (userKey(message.to) === sender) return;
      const recipient = await users.lookup(message.to);
      if (recipient?.online) return;
      const data = { recipient: recipient?.name ?? message.to, ...common };
      return queue("message.offline", { ...data, conversation: { with: message.from } }, {
        ts: message.ts,
      });
    }
    const mentioned = (draft.mentions ?? []).filter((key) => key !== sender)
      .slice(0, MAX_MENTION_EVENTS);
    if (mentioned.length === 0) return;
    const offline = (await users.presence(mentioned)).filter((presence) => !presence.online);
    const memberships = await Promise.all(offline.map(({ name }) => users.memberships(name)));
    await Promise.all(
      offline.filter((_, i) => memberships[i].includes(message.to)).map(({ name }) =>
        queue("message.offline", {
          recipient: name,
          ...common,
          channel: message.to,
          mentioned: true,
        }, { ts: message.ts })
      ),
    );
  }

  function watchedEvents(core: BrokerEvents): BrokerEvents {
    return {
      deliver: (topic, envelope) => core.deliver(topic, envelope),
      revoked: (sessionId) => core.revoked(sessionId),
      expired(names) {
        core.expired(names);
        for (const name of names) background("user.offline", () => wentOffline(name));
      },
    };
  }

  const noticing: Broker = {
    // Both brokers are object literals of closures: their parts work from a copy.
    ...broker,
    bus: {
      ...bus,
      async publish(topics, draft) {
        const published = await bus.publish(topics, draft);
        if (!published.duplicate && selected.has("message.offline")) {
          background("message.offline", () => messagePublished(draft, published.message));
        }
        return published;
      },
    },
    users: {
      ...users,
      async open(request) {
        const result = await users.open(request);
        if (result.status === "claimed") {
          const { name, kind } = result.user;
          background("user.online", async () => {
            // The previous holding's offline is known now, whatever its check would say.
            await events.expedite(offlineEventId(name));
            await queue("user.online", { user: name, kind });
          });
        }
        return result;
      },
      async close(name, sessionId) {
        const offline = await users.close(name, sessionId);
        if (offline) background("user.offline", () => wentOffline(name));
        return offline;
      },
      async setMembership(name, channel, member) {
        const changed = await users.setMembership(name, channel, member);
        if (changed) {
          const type = member ? "channel.member_joined" : "channel.member_left";
          background(type, () => queue(type, { channel, user: name }));
        }
        return changed;
      },
    },
    channels: {
      ...channels,
      async create(name, info) {
        const created = await channels.create(name, info);
        if (created && name !== lobbyChannel) {
          background("channel.created", async () => {
            const owner = info?.owner === undefined ? {} : { owner: await nameOf(info.owner) };
            await queue("channel.created", {
              channel: name,
              private: info?.private ?? false,
              ...owner,
            });
          });
        }
        return created;
      },
      async remove(name) {
        const members = await channels.remove(name);
        background(
          "channel.deleted",
          () => queue("channel.deleted", { channel: name, members: members.length }),
        );
        return members;
      },
      async ban(name, key, measure) {
        await channels.ban(name, key, measure);
        if ("lifted" in measure) return;
        const lasts = "forever" in measure ? { forever: true as const } : { until: measure.until };
        background(
          "channel.member_banned",
          async () =>
            queue("channel.member_banned", { channel: name, user: await nameOf(key), ...lasts }),
        );
      },
      async setRole(name, key, role) {
        await channels.setRole(name, key, role);
        background(
          "channel.role_changed",
          async () =>
            queue("channel.role_changed", { channel: name, user: await nameOf(key), role }),
        );
      },
    },
    onEvents(core) {
      broker.onEvents(watchedEvents(core));
    },
  };

  return {
    broker: noticing,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
