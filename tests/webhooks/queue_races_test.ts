/**
 * The event queue's lease promise ("while the lease lasts no other instance
 * gets them", `event_queue.ts`) against `expedite`, which a new holder of a
 * name triggers at any moment, and each holding's offline kept apart.
 */
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { createMemoryEventQueue } from "../../src/broker/memory_event_queue.ts";
import { noticeWebhookEvents } from "../../src/webhooks/noticing.ts";
import { recordingLog } from "../support/sessions.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("webhook queue: expedite of an event claimed and being sent gives it to no second instance", async () => {
  const queue = createMemoryEventQueue();
  // Bob's offline, due: instance 1 claims it, its check passed (the name is free), it is sending.
  await queue.add({ id: "offline:bob", body: "{}", check: "offline:bob" }, 0);
  const [sending] = await queue.claim(10, 60_000);
  assertEquals(sending.id, "offline:bob");
  // Meanwhile someone claims the name "bob" on instance 2: the old holding's offline is expedited.
  await queue.expedite("offline:bob");
  // Instance 2 must not get the event while instance 1's lease lasts: it would send it a second time.
  assertEquals((await queue.claim(10, 60_000)).map(({ id }) => id), []);
});

Deno.test("webhook queue: each holding of a name gets its offline, even when the next one ends before it was sent", async () => {
  const GRACE_MS = 60_000;
  const base = createMemoryBroker({ reconnectGraceMs: GRACE_MS });
  const { broker, idle } = noticeWebhookEvents(base, {
    webhookEvents: ["user.online", "user.offline"],
    webhookPreviewChars: 0,
    reconnectGraceMs: GRACE_MS,
    lobbyChannel: "lobby",
    log: recordingLog(),
  });
  const openB = (session: string) =>
    broker.users.open({
      name: "Lee",
      freshTokenHash: `hash-${session}`,
      sessionId: session,
      kind: "B",
      maxSessions: 10,
    });
  // A lobby client's name is free as soon as it closes: each reconnect is a new holding.
  assertEquals((await openB("s1")).status, "claimed");
  await broker.users.close("Lee", "s1");
  assertEquals((await openB("s2")).status, "claimed");
  await broker.users.close("Lee", "s2");
  await idle();
  // Before any dispatcher polled (250 ms): two onlines, and an offline for each holding.
  const due = await base.events.claim(100, 60_000);
  const waiting = await base.events.size();
  const types = due.map(({ body }) => JSON.parse(body).type).sort();
  assertEquals(
    [types, waiting],
    [["user.offline", "user.online", "user.online"], 4],
    "the first holding's offline, expedited by the second's claim, must not be replaced",
  );
});
