/**
 * Redis failures survived: a restart (here without persistence, so Redis
 * comes back empty), killed connections, and an instance started while
 * Redis is down. Instances stay up, keep their WebSocket sessions, report
 * failed publishes, and heal by themselves.
 */
import { connect, joinA, joinChannel, names, type TestClient } from "../support/client.ts";
import { killConnections, startCluster, untilStatus } from "../support/cluster.ts";
import { startMain } from "../support/process.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startRedis } from "../support/redis.ts";
import { assert, assertEquals, assertLessOrEqual, assertMatch } from "../support/assert.ts";

/** Broadcasts from `sender` until `receiver` hears one; returns how long that took. */
async function untilDelivered(
  sender: TestClient,
  receiver: TestClient,
  channel: string,
): Promise<number> {
  const started = performance.now();
  for (let attempt = 0;; attempt++) {
    const text = `probe ${attempt}`;
    sender.send({ type: "broadcast", to: channel, message: text, ref: text });
    await sender.take((f) => f.ref === text);
    try {
      await receiver.take({ type: "broadcast", message: text }, 300);
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > 15_000) throw error;
    }
  }
}

Deno.test("redis failure: a restart keeps sessions, reports failed publishes, restores claims and delivery [deno+node]", async () => {
  await using cluster = await startCluster(2, { LIST_UPDATE_INTERVAL_MS: "100" });
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using carol = await joinA(one.ws, "carol");
  await using bob = await joinA(two.ws, "bob");
  for (const client of [alice, carol, bob]) await joinChannel(client, "general");

  await cluster.redis.stop();
  for (const instance of [one, two]) await untilStatus(`${instance.http}/readyz`, 503);
  const health = await fetch(`${one.http}/healthz`);
  assertEquals([health.status, await health.text()], [200, "ok\n"]);

  alice.send({ type: "broadcast", to: "general", message: "during the outage", ref: "down" });
  const failed = await alice.take({ ref: "down" });
  assertEquals([failed.type, failed.code], ["error", "unavailable"]);
  assertMatch(failed.message!, /only to members on this instance/);
  // Delivery among sessions on the same instance goes on.
  await carol.take({ type: "broadcast", message: "during the outage" });

  await cluster.redis.start();
  for (const instance of [one, two]) await untilStatus(`${instance.http}/readyz`, 200);
  const recoveryMs = await untilDelivered(alice, bob, "general");
  assertLessOrEqual(recoveryMs, 5000, "cross-instance delivery resumes within 5 s");
  assertEquals(
    bob.pending({ message: "during the outage" }),
    [],
    "bob never got the failed publish",
  );

  // Claims, presence and channels came back although Redis restarted empty.
  await using impostor = await connect(`${one.ws}?username=bob`);
  assertEquals((await impostor.take({ type: "error" })).code, "username_taken");
  await alice.take((f) =>
    f.type === "userList" && ["alice", "bob", "carol"].every((n) => names(f).includes(n))
  );
  await using late = await connect(`${two.ws}?username=late`);
  const channels = await late.take({ type: "channelList" });
  assertEquals(names(channels), ["general", "lobby"]);
});

Deno.test("redis failure: killed connections (CLIENT KILL) are re-established and delivery resumes [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  for (const client of [alice, bob]) await joinChannel(client, "general");
  for (const type of ["pubsub", "normal"] as const) {
    const killed = await killConnections(cluster, type);
    assert(killed >= 2, `killed ${killed} ${type} connections`);
    const recoveryMs = await untilDelivered(alice, bob, "general");
    assertLessOrEqual(recoveryMs, 5000, `delivery resumes within 5 s after killing ${type}`);
  }
  alice.send({ type: "directMessage", to: "bob", message: "still here", ref: "d" });
  await alice.take({ type: "ack", ref: "d" });
  await bob.take({ type: "directMessage", message: "still here" });
});

testEachRuntime(
  "redis failure: an instance started while Redis is down says so, retries, then serves",
  async (runtime) => {
    await using redis = await startRedis();
    await redis.stop();
    await using natter = await startMain({ REDIS_URL: redis.url, REDIS_PREFIX: "late:" }, runtime);
    await natter.untilOutput(
      new RegExp(`redis.unreachable url=redis://127\\.0\\.0\\.1:${redis.port}`),
    );
    const health = await fetch(`${natter.http}/healthz`);
    assertEquals([health.status, await health.text()], [200, "ok\n"]);
    const ready = await fetch(`${natter.http}/readyz`);
    assertEquals([ready.status, await ready.text()], [
      503,
      "not ready: the broker is unreachable\n",
    ]);
    await using early = await connect(`${natter.ws}?username=early`);
    assertEquals((await early.take({ type: "error" })).code, "unavailable");
    assertEquals((await early.closed).code, 1013);

    await redis.start();
    await untilStatus(`${natter.http}/readyz`, 200);
    await using alice = await connect(`${natter.ws}?username=alice`);
    assertEquals((await alice.take({ type: "sessionID" })).username, "alice");
    await alice.take({ type: "userList" });
    assertEquals(names(await alice.take({ type: "channelList" })), ["lobby"]);
  },
);

Deno.test("redis failure: an outage longer than the presence TTL frees no name and refuses no direct message [deno+node]", async () => {
  await using cluster = await startCluster(2, { PRESENCE_TTL_MS: "1000" }, ["--appendonly", "yes"]);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  assertEquals(bob.session.username, "bob");
  await cluster.redis.stop();
  for (const instance of [one, two]) await untilStatus(`${instance.http}/readyz`, 503);
  // Longer than the TTL: every expiry in Redis has passed by the time it is back.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await cluster.redis.start();
  await untilStatus(`${one.http}/readyz`, 200);
  await using stranger = await connect(`${one.ws}?username=bob`);
  assertEquals((await stranger.take({ type: "error" })).code, "username_taken");
  alice.send({ type: "directMessage", to: "bob", message: "are you there?", ref: "d" });
  assertEquals((await alice.take({ ref: "d" })).type, "ack");
});
