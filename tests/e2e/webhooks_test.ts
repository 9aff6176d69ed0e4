/**
 * Webhooks from one instance (the embedded broker), on each runtime, to a
 * real receiver that verifies every request's signature and timestamp:
 * online and offline once per holding of a name (not per tab, not for a
 * reconnect within the grace), `message.offline` for a direct message and a
 * mention, retries after 500 with the same event id and a drop after the
 * last attempt (in the metrics and the log), a receiver that never
 * answers holding up no chat and no shutdown, and the channel events of
 * the commands that cause them.
 */
import { ask, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { startMain } from "../support/process.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import {
  assertAllVerified,
  startReceiver,
  untilMetric,
  untilOffline,
  webhookEnv,
} from "../support/webhooks.ts";

testEachRuntime(
  "webhooks: user.online once per holding, user.offline once after the grace",
  async (runtime) => {
    await using receiver = await startReceiver();
    await using natter = await startMain(
      webhookEnv(receiver, {
        RECONNECT_GRACE_MS: "1000",
        WEBHOOK_EVENTS: "user.online,user.offline",
      }),
      runtime,
    );
    const tab1 = await joinA(natter.ws, "alice");
    const online = await receiver.event("user.online", (data) => data.user === "alice");
    assertEquals(online.data, { user: "alice", kind: "A" });
    const tab2 = await joinA(natter.ws, "alice", tab1.session.token);
    // Bob leaves and is back within the grace: neither an offline nor a second online.
    const bob = await joinA(natter.ws, "bob");
    await bob.close();
    await using bobAgain = await joinA(natter.ws, "bob", bob.session.token);
    const closedAt = Date.now();
    await tab1.close();
    await tab2.close();
    const offline = await receiver.event("user.offline", (data) => data.user === "alice");
    assertEquals(offline.data, { user: "alice" });
    assert(offline.ts >= closedAt, "an offline's ts is when the last session ended");
    // Bob's offline was due before Alice's: once the queue is empty, it was decided.
    await untilMetric(natter.http, "natter_webhook_queue_size 0");
    const users = (type: "user.online" | "user.offline") =>
      receiver.delivered(type).map((event) => String(event.data.user)).sort();
    assertEquals(users("user.online"), ["alice", "bob"]);
    assertEquals(users("user.offline"), ["alice"]);
    assertEquals(new Set(receiver.requests.map((r) => r.event.id)).size, receiver.requests.length);
    assertAllVerified(receiver);
    assert(bobAgain.session.token === bob.session.token);
  },
);

testEachRuntime(
  "webhooks: message.offline for a direct message and a mention, with a preview",
  async (runtime) => {
    await using receiver = await startReceiver();
    await using natter = await startMain(
      webhookEnv(receiver, {
        RECONNECT_GRACE_MS: "60000",
        WEBHOOK_EVENTS: "message.offline",
        WEBHOOK_PREVIEW_CHARS: "7",
      }),
      runtime,
    );
    await using alice = await joinA(natter.ws, "alice");
    const bob = await joinA(natter.ws, "Bob");
    const carol = await joinA(natter.ws, "carol");
    for (const client of [alice, carol]) await joinChannel(client, "dev");
    // While Bob is connected, a direct message to him is no event.
    assertEquals(
      (await ask(alice, { type: "directMessage", to: "bob", message: "hi" }, "d1")).type,
      "ack",
    );
    await bob.close();
    await carol.close();
    // Their sockets closed; their instance may not have ended their sessions yet.
    for (const name of ["Bob", "carol"]) await untilOffline(alice, name);
    const text = "h\u00e9llo \u{1F389} world";
    const dm = await ask(alice, { type: "directMessage", to: "bob", message: text }, "d2");
    const direct = await receiver.event("message.offline", (data) => data.recipient === "Bob");
    assertEquals(direct.data, {
      recipient: "Bob",
      from: "alice",
      messageId: dm.id,
      preview: "h\u00e9llo \u{1F389}",
      conversation: { with: "alice" },
    });
    // When it happened: the message's stamp, which its id carries.
    assertEquals(direct.ts, Number(dm.id!.split("-")[0]));
    // Only a member who is offline, and never the sender, is told of a mention.
    const mention = await ask(
      alice,
      { type: "broadcast", to: "dev", message: "@carol @alice @bob look" },
      "b1",
    );
    const mentioned = await receiver.event("message.offline", (data) => data.channel === "dev");
    assertEquals(mentioned.data, {
      recipient: "carol",
      from: "alice",
      messageId: mention.id,
      preview: "@carol ",
      channel: "dev",
      mentioned: true,
    });
    await untilMetric(natter.http, "natter_webhook_queue_size 0");
    assertEquals(receiver.delivered().length, 2);
    assertAllVerified(receiver);
  },
);

testEachRuntime(
  "webhooks: a 500 is retried with the same id; the last failed attempt drops the event",
  async (runtime) => {
    await using receiver = await startReceiver();
    receiver.answer = (event, attempt) =>
      event.type === "channel.created" ? 500 : attempt <= 2 ? 500 : 200;
    await using natter = await startMain(
      webhookEnv(receiver, {
        LOG_LEVEL: "warn",
        WEBHOOK_EVENTS: "user.online,channel.created",
        WEBHOOK_RETRY_BASE_MS: "20",
        WEBHOOK_MAX_ATTEMPTS: "3",
      }),
      runtime,
    );
    await using alice = await joinA(natter.ws, "alice");
    const online = await receiver.event("user.online");
    const attempts = receiver.requests.filter((r) => r.event.id === online.id);
    assertEquals(attempts.map((r) => r.answer), [500, 500, 200]);
    // The body is fixed when queued: every attempt sends the same event.
    for (const attempt of attempts) assertEquals(attempt.event, online);
    assertEquals((await ask(alice, { type: "createChannel", message: "doomed" }, "c")).type, "ack");
    await untilMetric(natter.http, 'natter_webhook_deliveries_total{outcome="dropped"} 1');
    await untilMetric(natter.http, 'natter_webhook_deliveries_total{outcome="failed"} 4');
    await untilMetric(natter.http, 'natter_webhook_deliveries_total{outcome="delivered"} 1');
    const created = receiver.requests.filter((r) => r.event.type === "channel.created");
    assertEquals(created.length, 3);
    assertEquals(created[0].event.data, { channel: "doomed", private: false, owner: "alice" });
    await natter.untilOutput(/ERROR webhook\.dropped .*type=channel\.created attempt=3 status=500/);
    assert(/WARN webhook\.failed .*attempt=2 status=500 retryInMs=\d+/.test(natter.output()));
    assertAllVerified(receiver);
  },
);

testEachRuntime(
  "webhooks: a receiver that never answers delays no chat and no shutdown",
  async (runtime) => {
    await using receiver = await startReceiver();
    receiver.answer = () => "hang";
    await using natter = await startMain(
      webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: "60000", RECONNECT_GRACE_MS: "0" }),
      runtime,
    );
    const alice = await joinA(natter.ws, "alice");
    await receiver.until(() => receiver.requests.length >= 1, "a request that hangs");
    const bob = await joinA(natter.ws, "bob");
    for (const client of [alice, bob]) await joinChannel(client, "dev");
    for (let i = 0; i < 10; i++) {
      alice.send({ type: "broadcast", to: "dev", message: `m${i}`, ref: `b${i}` });
      alice.send({ type: "directMessage", to: "bob", message: `d${i}`, ref: `d${i}` });
    }
    for (let i = 0; i < 10; i++) {
      assertEquals((await alice.take({ type: "ack", ref: `b${i}` })).type, "ack");
      assertEquals((await alice.take({ type: "ack", ref: `d${i}` })).type, "ack");
      assertEquals((await bob.take({ type: "broadcast" })).message, `m${i}`);
      assertEquals((await bob.take({ type: "directMessage" })).message, `d${i}`);
    }
    // Every request is still unanswered: chat went on beside them.
    assert(receiver.requests.length >= 1 && receiver.requests.every((r) => r.answer === "hang"));
    await alice.close();
    await bob.close();
    natter.child.kill("SIGTERM");
    assertEquals((await natter.status).code, 0);
    assert(/shutdown\.finished/.test(natter.output()), natter.output());
    assertAllVerified(receiver);
  },
);

testEachRuntime("webhooks: channel events follow the commands that cause them", async (runtime) => {
  await using receiver = await startReceiver();
  await using natter = await startMain(
    webhookEnv(receiver, {
      WEBHOOK_EVENTS: "channel.created,channel.deleted,channel.member_joined,channel.member_left," +
        "channel.member_banned,channel.role_changed",
    }),
    runtime,
  );
  await using alice = await joinA(natter.ws, "Alice");
  await using bob = await joinA(natter.ws, "Bob");
  await using carol = await joinA(natter.ws, "carol");
  const steps: [TestClient, Record<string, unknown>][] = [
    [alice, { type: "createChannel", message: "design" }],
    [bob, { type: "joinChannel", to: "design" }],
    [carol, { type: "joinChannel", to: "design" }],
    [alice, { type: "setRole", to: "design", user: "bob", role: "moderator" }],
    [bob, { type: "kick", to: "design", user: "carol" }],
    [carol, { type: "joinChannel", to: "design" }],
    [bob, { type: "ban", to: "design", user: "carol" }],
    [bob, { type: "leaveChannel", to: "design" }],
    [alice, { type: "deleteChannel", to: "design" }],
  ];
  for (const [i, [client, frame]] of steps.entries()) {
    assertEquals((await ask(client, frame, `s${i}`)).type, "ack", JSON.stringify(frame));
  }
  await receiver.until(() => receiver.delivered("channel.deleted").length === 1, "the deletion");
  await untilMetric(natter.http, "natter_webhook_queue_size 0");
  // No order is promised: the events are compared as a set.
  const seen = receiver.delivered().map((event) => JSON.stringify([event.type, event.data])).sort();
  assertEquals(
    seen,
    [
      ["channel.created", { channel: "design", private: false, owner: "Alice" }],
      ["channel.member_joined", { channel: "design", user: "Alice" }],
      ["channel.member_joined", { channel: "design", user: "Bob" }],
      ["channel.member_joined", { channel: "design", user: "carol" }],
      ["channel.role_changed", { channel: "design", user: "Bob", role: "moderator" }],
      ["channel.member_left", { channel: "design", user: "carol" }],
      ["channel.member_joined", { channel: "design", user: "carol" }],
      ["channel.member_banned", { channel: "design", user: "carol", forever: true }],
      ["channel.member_left", { channel: "design", user: "Bob" }],
      ["channel.deleted", { channel: "design", members: 1 }],
    ].map((event) => JSON.stringify(event)).sort(),
  );
  assertAllVerified(receiver);
});
