/**
 * The dispatcher on the embedded broker, against a real receiver: the retry
 * formula, an offline whose user came back done unsent, a timeout retried
 * as a failure, and a stop that
 * aborts a request the receiver never answers and gives its event back at
 * once, with no attempt counted.
 */
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import {
  MAX_RETRY_DELAY_MS,
  retryDelayMs,
  startDispatcher,
} from "../../src/webhooks/dispatcher.ts";
import { assertEquals } from "../support/assert.ts";
import { eventually, recordingLog } from "../support/sessions.ts";
import { startReceiver, type TestReceiver, WEBHOOK_SECRET } from "../support/webhooks.ts";

function dispatching(receiver: TestReceiver, webhookTimeoutMs = 60_000) {
  const broker = createMemoryBroker();
  const metrics = new Metrics();
  const log = recordingLog();
  const dispatcher = startDispatcher({
    broker,
    url: receiver.url,
    secret: WEBHOOK_SECRET,
    log,
    metrics,
    webhookTimeoutMs,
    webhookMaxAttempts: 3,
    webhookRetryBaseMs: 10,
    pollMs: 10,
  });
  return { broker, metrics, log, dispatcher };
}

function body(id: string, user: string): string {
  return JSON.stringify({ id, type: "user.offline", ts: 1, data: { user } });
}

Deno.test("webhook retries: base · 2^attempts, at most an hour, plus up to 10 %", () => {
  assertEquals([0, 1, 2, 3].map((attempts) => retryDelayMs(1000, attempts, () => 0)), [
    1000,
    2000,
    4000,
    8000,
  ]);
  assertEquals(retryDelayMs(1000, 3, () => 0.999), 8799);
  assertEquals(retryDelayMs(1000, 40, () => 0), MAX_RETRY_DELAY_MS);
});

Deno.test("dispatcher: an offline whose user is back is done unsent; one still away is sent", async () => {
  await using receiver = await startReceiver();
  const { broker, dispatcher } = dispatching(receiver);
  try {
    await broker.users.open({
      name: "Back",
      freshTokenHash: "h",
      sessionId: "s",
      kind: "A",
      maxSessions: 1,
    });
    await broker.events.add(
      { id: "offline:back", body: body("e1", "Back"), check: "offline:Back" },
      0,
    );
    await broker.events.add(
      { id: "offline:gone", body: body("e2", "Gone"), check: "offline:Gone" },
      0,
    );
    await receiver.event("user.offline", (data) => data.user === "Gone");
    await eventually(async () => await broker.events.size() === 0, "an empty queue");
    assertEquals(receiver.requests.map((r) => r.headerId), ["e2"]);
  } finally {
    await dispatcher.stop();
  }
});

Deno.test("dispatcher: stop aborts a hanging request and gives its event back at once, uncounted", async () => {
  await using receiver = await startReceiver();
  receiver.answer = () => "hang";
  const { broker, metrics, dispatcher } = dispatching(receiver);
  await broker.events.add({ id: "e1", body: body("e1", "Ann") }, 0);
  await receiver.until(() => receiver.requests.length === 1, "a hanging request");
  await dispatcher.stop();
  const [event] = await broker.events.claim(10, 60_000);
  assertEquals([event.id, event.attempts], ["e1", 0]);
  assertEquals(metrics.webhookDeliveries, { delivered: 0, failed: 0, dropped: 0 });
});

Deno.test("dispatcher: no answer within the timeout is a failed attempt, retried with the same id", async () => {
  await using receiver = await startReceiver();
  receiver.answer = (_event, attempt) => attempt === 1 ? "hang" : 200;
  const { broker, metrics, log, dispatcher } = dispatching(receiver, 100);
  try {
    await broker.events.add({ id: "e1", body: body("e1", "Ann") }, 0);
    await receiver.event("user.offline");
    assertEquals(receiver.requests.map((r) => [r.headerId, r.answer]), [["e1", "hang"], [
      "e1",
      200,
    ]]);
    // The receiver saw the request before the dispatcher saw its answer.
    await eventually(() => metrics.webhookDeliveries.delivered === 1, "the delivery counted");
    assertEquals(metrics.webhookDeliveries, { delivered: 1, failed: 1, dropped: 0 });
    assertEquals(log.lines, ["warn webhook.failed"]);
  } finally {
    await dispatcher.stop();
  }
});
