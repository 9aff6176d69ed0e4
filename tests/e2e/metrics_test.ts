/**
 * `/metrics` on real servers: the values move as clients connect, send,
 * get refused, flood and leave, on both runtimes; a Redis cluster (one Deno
 * and one Node instance) times its publishes, measures delivery lag and
 * counts reconnects and backfills; METRICS_TOKEN keeps the metrics private.
 */
import { RATE_ABUSE_STRIKES } from "../../src/core/limits.ts";
import { connect, joinA, joinB, joinChannel } from "../support/client.ts";
import { killConnections, startCluster } from "../support/cluster.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startServer } from "../support/server.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

/** One scrape: each sample's value by its name and labels, as written (`name{label="value"}`). */
type Scrape = Map<string, number>;

async function scrape(http: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const response = await fetch(`${http}/metrics`, { headers });
  assertEquals(response.status, 200);
  assertEquals(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const samples: Scrape = new Map();
  for (const line of (await response.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [sample, value] = line.split(" ");
    samples.set(sample, Number(value));
  }
  return samples;
}

/** Scrapes until `holds` is true of a scrape (values settle after the events that move them). */
async function scrapeUntil(
  http: string,
  holds: (samples: Scrape) => boolean,
  what: string,
): Promise<Scrape> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const samples = await scrape(http);
    if (holds(samples)) return samples;
    if (Date.now() > deadline) {
      throw new Error(`${what}: never seen; last scrape:\n${[...samples].join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const value = (samples: Scrape, sample: string) => samples.get(sample) ?? 0;

testEachRuntime(
  "metrics: the counts move as clients connect, send, err and leave",
  async (runtime) => {
    await using server = await startServer(runtime);
    const before = await scrape(server.http);
    assertEquals(value(before, 'natter_connections{kind="A"}'), 0);
    assert(value(before, "process_resident_memory_bytes") > 0, "process memory is reported");
    assert(value(before, "natter_heap_used_bytes") > 0, "heap memory is reported");

    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinB(server.ws, "bob");
    await using guest = await connect(server.ws, "B"); // Connected, not yet registered.
    const joined = await scrape(server.http);
    assertEquals(value(joined, 'natter_connections{kind="A"}'), 1);
    assertEquals(value(joined, 'natter_connections{kind="B"}'), 2);
    assertEquals(value(joined, 'natter_sessions{kind="A"}'), 1);
    assertEquals(value(joined, 'natter_sessions{kind="B"}'), 1);
    assertEquals(value(joined, "natter_online_users"), 2);
    assertEquals(value(joined, 'natter_frames_in_total{type="say"}'), 1);
    assertEquals(value(joined, 'natter_frames_out_total{type="welcome"}'), 1);

    await joinChannel(alice, "room");
    alice.send({ type: "broadcast", to: "room", message: "hello", ref: "b1" });
    await alice.take({ type: "ack", ref: "b1" });
    bob.send({ sender: "bob", text: "hi lobby" });
    await bob.take({ sender: "bob", text: "hi lobby" });
    alice.send({ type: "history", to: "room", ref: "h" });
    await alice.take({ type: "history" });
    alice.send("not json");
    await alice.take({ type: "error", code: "invalid_json" });
    const sent = await scrape(server.http);
    assertEquals(value(sent, 'natter_frames_in_total{type="joinChannel"}'), 1);
    assertEquals(value(sent, 'natter_frames_in_total{type="broadcast"}'), 1);
    assertEquals(value(sent, 'natter_frames_in_total{type="say"}'), 2);
    assertEquals(value(sent, 'natter_frames_in_total{type="refused"}'), 1);
    assertEquals(value(sent, 'natter_errors_total{code="invalid_json"}'), 1);
    assertEquals(value(sent, 'natter_frames_out_total{type="error"}'), 1);
    assert(value(sent, 'natter_frames_out_total{type="channelMessage"}') >= 2, "messages counted");
    assert(value(sent, 'natter_frames_out_total{type="ack"}') >= 2, "acks counted");
    assertEquals(value(sent, "natter_channels"), 2);
    // The broadcast and the lobby message: each published once, delivered here once.
    assert(value(sent, "natter_broker_publish_seconds_count") >= 2, "publishes timed");
    assert(value(sent, "natter_delivery_lag_seconds_count") >= 2, "deliveries timed");
    assertEquals(
      value(sent, 'natter_broker_publish_seconds_bucket{le="+Inf"}'),
      value(sent, "natter_broker_publish_seconds_count"),
    );
    assert(value(sent, 'natter_history_reads_total{read="page"}') >= 1, "history read counted");

    await alice.close();
    await guest.close();
    const left = await scrapeUntil(
      server.http,
      (samples) => value(samples, 'natter_closes_total{code="remote"}') === 2,
      "two remote closes",
    );
    assertEquals(value(left, 'natter_connections{kind="A"}'), 0);
    assertEquals(value(left, 'natter_connections{kind="B"}'), 1);
  },
);

testEachRuntime(
  "metrics: a flood counts its refusals, its close and its disconnect",
  async (runtime) => {
    await using server = await startServer(runtime, {
      RATE_MESSAGES_PER_SECOND: "1",
      RATE_BURST: "5",
    });
    await using flooder = await joinA(server.ws, "flooder");
    // The burst, the refusals tolerated, then the one that closes (no more: see limits_test.ts).
    for (let i = 0; i < 5 + RATE_ABUSE_STRIKES + 1; i++) flooder.send({ type: "ping" });
    assertEquals((await flooder.closed).code, 1008);
    const after = await scrapeUntil(
      server.http,
      (samples) => value(samples, "natter_rate_limit_disconnects_total") === 1,
      "the rate-limit disconnect",
    );
    assertEquals(value(after, 'natter_closes_total{code="1008"}'), 1);
    assert(value(after, 'natter_errors_total{code="rate_limited"}') >= 1, "refusals counted");
    assertEquals(value(after, "natter_slow_consumer_disconnects_total"), 0);
  },
);

testEachRuntime(
  "metrics: METRICS_TOKEN keeps /metrics to bearers of the token",
  async (runtime) => {
    const token = "s3cret-metrics-token-0123";
    await using server = await startServer(runtime, { METRICS_TOKEN: token });
    const offered: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: `Bearer ${token}x` },
      { authorization: token },
    ];
    for (const headers of offered) {
      const refused = await fetch(`${server.http}/metrics`, { headers });
      assertEquals(refused.status, 401, JSON.stringify(headers));
      assertEquals(refused.headers.get("www-authenticate"), "Bearer");
      assertMatch(await refused.text(), /Unauthorized/);
    }
    const samples = await scrape(server.http, { authorization: `Bearer ${token}` });
    assert(samples.has('natter_connections{kind="A"}'), "the metrics, with the token");
  },
);

Deno.test("metrics: in Redis mode publishes are timed, deliveries lag-measured, reconnects and backfills counted [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [first, second] = cluster.instances;
  await using alice = await joinA(first.ws, "alice");
  await using bob = await joinA(second.ws, "bob");
  await joinChannel(alice, "room");
  await joinChannel(bob, "room");
  alice.send({ type: "broadcast", to: "room", message: "across", ref: "b" });
  await alice.take({ type: "ack", ref: "b" });
  await bob.take({ type: "broadcast", message: "across" });
  const published = await scrape(first.http);
  assert(value(published, "natter_broker_publish_seconds_count") >= 1, "the publish is timed");
  await scrapeUntil(
    second.http,
    (samples) => value(samples, "natter_delivery_lag_seconds_count") >= 1,
    "the delivery lag on the receiving instance",
  );
  assertEquals(value(published, "natter_online_users"), 2);

  assert(await killConnections(cluster, "pubsub") >= 2, "both subscribers were cut");
  for (const instance of cluster.instances) {
    await scrapeUntil(
      instance.http,
      (samples) =>
        value(samples, 'natter_redis_reconnects_total{connection="subscriber"}') >= 1 &&
        value(samples, "natter_redis_backfills_total") >= 1,
      `the subscriber's reconnect and backfill on ${instance.http}`,
    );
  }
});
