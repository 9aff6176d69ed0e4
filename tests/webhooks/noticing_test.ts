/**
 * The broker decorator that notices webhook events, on the embedded broker:
 * what each broker call queues (type, data, queue id, check, delay), the
 * lobby and unselected types left out, a new holding sending the previous
 * one's offline at once, and a queue that fails never failing chat.
 */
import type { Broker, BrokerEvents, EventQueue } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { createMemoryEventQueue } from "../../src/broker/memory_event_queue.ts";
import type { WebhookEventType } from "../../src/webhooks/events.ts";
import { WEBHOOK_EVENT_TYPES } from "../../src/webhooks/events.ts";
import { noticeWebhookEvents } from "../../src/webhooks/noticing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { recordingLog } from "../support/sessions.ts";

const GRACE_MS = 60_000;

function noticing(types: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES, inner?: Broker) {
  const log = recordingLog();
  const base = inner ?? createMemoryBroker({ reconnectGraceMs: GRACE_MS });
  const { broker, idle } = noticeWebhookEvents(base, {
    webhookEvents: [...types],
    webhookPreviewChars: 3,
    reconnectGraceMs: GRACE_MS,
    lobbyChannel: "lobby",
    log,
  });
  /** Every due event's queue id, check and body, after the background work settled; taken off the queue. */
  async function due(): Promise<
    { queueId: string; check?: string; event: Record<string, unknown> }[]
  > {
    await idle();
    const claimed = await base.events.claim(100, 60_000);
    for (const { id, claim } of claimed) await base.events.done(id, claim);
    return claimed.map(({ id, check, body }) => ({
      queueId: id,
      ...(check === undefined ? {} : { check }),
      event: JSON.parse(body),
    }));
  }
  return { broker, base, log, idle, due };
}

function open(broker: Broker, name: string, kind: "A" | "B" = "A", session = `s-${name}`) {
  return broker.users.open({
    name,
    freshTokenHash: `hash-${name}-${session}`,
    presentedTokenHash: `hash-${name}-s-${name}`,
    sessionId: session,
    kind,
    maxSessions: 10,
  });
}

Deno.test("noticing: channel changes queue their events, the lobby's creation none", async () => {
  const { broker, due } = noticing();
  await open(broker, "Alice");
  await due();
  await broker.channels.create("lobby");
  await broker.channels.create("design", { private: true, owner: "alice" });
  await broker.users.setMembership("Bob", "design", true);
  await broker.users.setMembership("Bob", "design", true); // No change: no event.
  await broker.channels.setRole("design", "alice", "moderator");
  await broker.channels.ban("design", "mallory", { until: 1_900_000_000_000 });
  await broker.channels.ban("design", "eve", { forever: true });
  await broker.channels.ban("design", "eve", { lifted: true });
  await broker.users.setMembership("Bob", "design", false);
  await broker.channels.remove("design");
  const events = await due();
  for (const { queueId, event } of events) assertEquals(queueId, event.id);
  assert(events.every(({ event }) => typeof event.ts === "number"));
  assertEquals(
    events.map(({ event }) => JSON.stringify([event.type, event.data])).sort(),
    [
      ["channel.created", { channel: "design", private: true, owner: "Alice" }],
      ["channel.deleted", { channel: "design", members: 0 }],
      ["channel.member_banned", { channel: "design", user: "eve", forever: true }],
      ["channel.member_banned", { channel: "design", user: "mallory", until: 1_900_000_000_000 }],
      ["channel.member_joined", { channel: "design", user: "Bob" }],
      ["channel.member_left", { channel: "design", user: "Bob" }],
      ["channel.role_changed", { channel: "design", user: "Alice", role: "moderator" }],
    ].map((event) => JSON.stringify(event)).sort(),
  );
});

Deno.test("noticing: an offline waits the grace under one id per user; a new holding sends it at once", async () => {
  const { broker, base, due } = noticing(["user.online", "user.offline"]);
  const opened = await open(broker, "Lou", "B");
  assertEquals(opened.status, "claimed");
  assertEquals((await due()).map(({ event }) => [event.type, event.data]), [
    ["user.online", { user: "Lou", kind: "B" }],
  ]);
  assertEquals(await broker.users.close("Lou", "s-Lou"), true);
  assertEquals(await due(), [], "an offline is due after the grace");
  assertEquals(await base.events.size(), 1);
  // A lobby name is free at once: claimed again, the waiting offline goes now, without its check.
  await open(broker, "Lou", "B", "s-2");
  const events = await due();
  const byType = Object.fromEntries(events.map((due) => [String(due.event.type), due]));
  assertEquals(Object.keys(byType).sort(), ["user.offline", "user.online"]);
  assertEquals([byType["user.offline"].queueId, byType["user.offline"].check], [
    "offline:lou",
    undefined,
  ]);
  assertEquals(byType["user.offline"].event.data, { user: "Lou" });
  assertEquals(byType["user.online"].queueId, byType["user.online"].event.id);
});

Deno.test("noticing: only selected types are queued; an expired user's offline waits the grace, with its check", async () => {
  let clock = 1_000_000;
  let registered: BrokerEvents | undefined;
  const memory = createMemoryBroker({ reconnectGraceMs: GRACE_MS });
  const inner: Broker = {
    ...memory,
    events: createMemoryEventQueue(() => clock),
    onEvents(events) {
      registered = events;
      memory.onEvents(events);
    },
  };
  const { broker, due } = noticing(["user.offline"], inner);
  const told: string[][] = [];
  broker.onEvents({ deliver() {}, revoked() {}, expired: (names) => told.push(names) });
  await open(broker, "Ann");
  await broker.channels.create("quiet");
  assertEquals(await due(), [], "user.online and channel.created are not selected");
  // The embedded broker never expires anyone: play the Redis broker's report.
  registered!.expired(["Ann"]);
  assertEquals(told, [["Ann"]], "the core is told as before");
  assertEquals(await due(), []);
  clock += GRACE_MS;
  const [offline] = await due();
  assertEquals([offline.queueId, offline.check, offline.event.type, offline.event.data], [
    "offline:ann",
    "offline:Ann",
    "user.offline",
    { user: "Ann" },
  ]);
});

Deno.test("noticing: a queue that fails is logged, and the chat step it follows still resolves", async () => {
  const memory = createMemoryBroker({ reconnectGraceMs: GRACE_MS });
  const failing: EventQueue = {
    ...memory.events,
    add: () => Promise.reject(new Error("Redis is unreachable")),
  };
  const { broker, log, idle } = noticing(WEBHOOK_EVENT_TYPES, { ...memory, events: failing });
  assertEquals((await open(broker, "Zed")).status, "claimed");
  assertEquals(await broker.channels.create("room"), true);
  await idle();
  assertEquals(log.lines.filter((line) => line.startsWith("warn webhook.queue_failed")).length, 2);
});
