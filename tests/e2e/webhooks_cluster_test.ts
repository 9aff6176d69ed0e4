/**
 * Webhooks from two instances on one Redis (instance 0 on Deno, 1 on Node)
 * to a real receiver that verifies every request: each event is sent by
 * exactly one instance, `message.offline` sees presence cluster-wide, and
 * events queued on Redis survive the SIGKILL of the instance that queued
 * them, which the other instance then sends, with the offlines of the users
 * the dead instance held.
 */
import { ask, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { startCluster } from "../support/cluster.ts";
import {
  assertAllVerified,
  startReceiver,
  type TestReceiver,
  untilMetric,
  untilOffline,
  webhookEnv,
} from "../support/webhooks.ts";

/** How many requests each event id got. */
function requestsPerId(receiver: TestReceiver): number[] {
  const counts = new Map<string, number>();
  for (const { event } of receiver.requests) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return [...counts.values()];
}

Deno.test("webhooks cluster: every event is sent by exactly one instance [deno+node]", async () => {
  await using receiver = await startReceiver();
  await using cluster = await startCluster(
    2,
    webhookEnv(receiver, { WEBHOOK_EVENTS: "user.online,channel.created" }),
  );
  const clients: TestClient[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const client = await joinA(cluster.instances[i % 2].ws, `user${i}`);
      clients.push(client);
      client.send({ type: "createChannel", message: `room${i}`, ref: "c" });
    }
    for (const client of clients) await client.take({ type: "ack", ref: "c" });
    await receiver.until(() => receiver.delivered().length >= 20, "20 events");
    await untilMetric(cluster.instances[1].http, "natter_webhook_queue_size 0");
    // A last event, queued after the others were sent: a second copy of any would be here by now.
    clients.push(await joinA(cluster.instances[0].ws, "last"));
    await receiver.event("user.online", (data) => data.user === "last");
    assertEquals(receiver.requests.length, 21);
    assertEquals(requestsPerId(receiver), Array(21).fill(1));
    assertEquals(
      receiver.delivered("channel.created").map((event) => event.data.channel).sort(),
      Array.from({ length: 10 }, (_, i) => `room${i}`).sort(),
    );
    assertAllVerified(receiver);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("webhooks cluster: message.offline only when the recipient has no session on any instance [deno+node]", async () => {
  await using receiver = await startReceiver();
  await using cluster = await startCluster(
    2,
    webhookEnv(receiver, {
      WEBHOOK_EVENTS: "message.offline",
      WEBHOOK_PREVIEW_CHARS: "0",
      RECONNECT_GRACE_MS: "60000",
    }),
  );
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  const bob = await joinA(two.ws, "bob");
  const carol = await joinA(two.ws, "carol");
  for (const client of [alice, carol]) await joinChannel(client, "dev");
  // Connected to the other instance: no event for either.
  await ask(alice, { type: "directMessage", to: "bob", message: "are you there" }, "d1");
  await ask(alice, { type: "broadcast", to: "dev", message: "hey @carol" }, "b1");
  await bob.close();
  await carol.close();
  // Their sockets closed; their instance may not have ended their sessions yet.
  for (const name of ["bob", "carol"]) await untilOffline(alice, name);
  const dm = await ask(alice, { type: "directMessage", to: "bob", message: "secret" }, "d2");
  const mention = await ask(alice, { type: "broadcast", to: "dev", message: "@carol!" }, "b2");
  const direct = await receiver.event("message.offline", (data) => data.recipient === "bob");
  // WEBHOOK_PREVIEW_CHARS=0: no text at all.
  assertEquals(direct.data, {
    recipient: "bob",
    from: "alice",
    messageId: dm.id,
    conversation: { with: "alice" },
  });
  const mentioned = await receiver.event("message.offline", (data) => data.recipient === "carol");
  assertEquals(mentioned.data, {
    recipient: "carol",
    from: "alice",
    messageId: mention.id,
    channel: "dev",
    mentioned: true,
  });
  await untilMetric(one.http, "natter_webhook_queue_size 0");
  assertEquals(receiver.requests.length, 2);
  assertAllVerified(receiver);
});

Deno.test("webhooks cluster: events queued on Redis outlive a SIGKILL of the instance that queued them [deno+node]", async () => {
  await using receiver = await startReceiver();
  receiver.answer = () => 500;
  await using cluster = await startCluster(
    2,
    webhookEnv(receiver, {
      WEBHOOK_EVENTS: "user.online,user.offline",
      WEBHOOK_RETRY_BASE_MS: "100",
      WEBHOOK_MAX_ATTEMPTS: "100",
      WEBHOOK_TIMEOUT_MS: "1000",
      PRESENCE_TTL_MS: "1500",
      RECONNECT_GRACE_MS: "300",
    }),
  );
  const [doomed, survivor] = cluster.instances;
  const names = ["ann", "ben", "cat", "dan", "eve"];
  const clients = await Promise.all(names.map((name) => joinA(doomed.ws, name)));
  // Each is queued and failing: attempted at least once, answered 500.
  await receiver.until(
    () => names.every((name) => receiver.requests.some((r) => r.event.data.user === name)),
    "a failed attempt of every online",
  );
  doomed.child.kill("SIGKILL");
  await doomed.status;
  await Promise.all(clients.map((client) => client.closed));
  receiver.answer = () => 200;
  const delivered = (type: "user.online" | "user.offline") =>
    receiver.delivered(type).map((event) => String(event.data.user)).sort();
  await receiver.until(
    () => delivered("user.online").length === names.length,
    "every online, sent by the survivor",
  );
  // The dead instance's users went offline once their presence expired, then their grace.
  await receiver.until(
    () => delivered("user.offline").length === names.length,
    "every offline of the dead instance's users",
  );
  await untilMetric(survivor.http, "natter_webhook_queue_size 0");
  assertEquals(delivered("user.online"), names);
  assertEquals(delivered("user.offline"), names);
  const onlineIds = new Set(
    receiver.requests.filter((r) => r.event.type === "user.online")
      .map((r) => r.event.id),
  );
  assertEquals(onlineIds.size, names.length);
  assert(receiver.requests.some((r) => r.answer === 500));
  assertAllVerified(receiver);
});
