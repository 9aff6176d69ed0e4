import { Redis } from "ioredis";
import { createRedisBroker, type RedisBrokerOptions } from "../../src/broker/redis.ts";
import type { Broker } from "../../src/broker/broker.ts";
import { formatMessageId } from "../../src/ids.ts";
import type { Logger } from "../../src/log.ts";
import { startRedis } from "../support/redis.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { aliceToBob, assertConversationHistory, brokerContract, record } from "./contract.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let deployments = 0;

/** Broker options on `url` with the defaults, and a prefix of their own. */
function optionsFor(url: string, retention: Partial<RedisBrokerOptions> = {}): RedisBrokerOptions {
  // Each deployment gets its own prefix, as several deployments would on one Redis.
  return {
    url,
    prefix: `contract-${++deployments}:`,
    presenceTtlMs: 15_000,
    historyLimit: 1000,
    historyTtlMs: 7 * 24 * 3600 * 1000,
    dedupWindowMs: 120_000,
    reconnectGraceMs: 120_000,
    ...retention,
    log: silent,
  };
}

/** Waits until `broker` reports ready (both connections up). */
async function ready(broker: Broker): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!broker.isReady()) {
    if (Date.now() > deadline) throw new Error("Redis broker not ready within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

brokerContract("redis", async (retention) => {
  const redis = await startRedis();
  const options = optionsFor(redis.url, retention);
  const first = createRedisBroker(options);
  const second = createRedisBroker(options);
  await Promise.all([ready(first), ready(second)]);
  return {
    first,
    second,
    async [Symbol.asyncDispose]() {
      await first.close();
      await second.close();
      await redis[Symbol.asyncDispose]();
    },
  };
});

/** A Redis of its own and one ready broker instance on it, disposed of together. */
async function deployOne() {
  const redis = await startRedis();
  const options = optionsFor(redis.url);
  const broker = createRedisBroker(options);
  await ready(broker);
  return {
    redis,
    broker,
    prefix: options.prefix,
    async [Symbol.asyncDispose]() {
      await broker.close();
      await redis[Symbol.asyncDispose]();
    },
  };
}

Deno.test("redis broker: the sending session is published, never stored, whatever its characters", async () => {
  await using deployment = await deployOne();
  const { redis, broker, prefix } = deployment;
  const listener = new Redis(redis.url, { disconnectTimeout: 0 });
  try {
    const payloads: string[] = [];
    listener.on("message", (_channel: string, payload: string) => payloads.push(payload));
    await listener.subscribe(`${prefix}user:alice`);
    const deliveries = record(broker);
    await broker.bus.subscribe("user:alice");
    const session = 'a "quoted" \\ back\u2028slash, \ud800 and ’';
    const { message: sent } = await aliceToBob(broker, "psst", session, "k");
    await deliveries.until(1);
    assertEquals(deliveries.deliveries[0].envelope, {
      kind: "direct",
      message: sent,
      senderSession: session,
    });
    const stored = { ...sent, kind: "direct" };
    const deadline = Date.now() + 10_000;
    while (payloads.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assertEquals(payloads.map((payload) => JSON.parse(payload)), [
      { ...stored, senderSession: session },
    ]);
    for (const topic of ["user:alice", "user:bob"]) {
      const entries = await redis.client.xrange(`${prefix}history:${topic}`, "-", "+");
      assertEquals(entries.map(([, fields]) => JSON.parse(fields[1])), [stored]);
    }
    assertEquals(JSON.parse(await redis.client.get(`${prefix}dedup:k`) ?? ""), stored);
  } finally {
    listener.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
});

Deno.test("redis broker: messages stored by older versions, with the sending session, read without it", async () => {
  await using deployment = await deployOne();
  const { redis, broker, prefix } = deployment;
  const ts = Date.now() - 60_000;
  const message = { id: formatMessageId(ts, 1), ts, from: "alice", to: "bob", text: "from before" };
  const old = JSON.stringify({ ...message, kind: "direct", senderSession: "S-old" });
  for (const topic of ["user:bob", "user:alice"]) {
    await redis.client.xadd(
      `${prefix}history:${topic}`,
      `${ts}-1`,
      "m",
      old,
      "f",
      "alice",
      "t",
      "bob",
    );
  }
  await redis.client.set(`${prefix}dedup:old`, old);
  await assertConversationHistory(broker, ["bob", "alice"], [{ kind: "direct", message }]);
  assertEquals(await broker.bus.recall("old"), message);
});

Deno.test("redis broker: a direct message backfilled after a subscriber drop still names its sending session", async () => {
  await using deployment = await deployOne();
  const { redis, broker, prefix } = deployment;
  const deliveries = record(broker);
  await broker.bus.subscribe("user:alice");
  assertEquals(await redis.client.call("CLIENT", "KILL", "TYPE", "pubsub"), 1);
  const { message: sent } = await aliceToBob(
    broker,
    "sent while the subscriber was away",
    "S-alice",
  );
  // The broker reconnects its subscriber after about 100 ms: the live copy had nobody to reach.
  const [, listeners] = await redis.client.pubsub("NUMSUB", `${prefix}user:alice`) as [
    string,
    number,
  ];
  assertEquals(listeners, 0, "the publish must happen while the subscriber is away");
  await deliveries.until(1);
  assertEquals(deliveries.deliveries, [{
    topic: "user:alice",
    envelope: { kind: "direct", message: sent, senderSession: "S-alice" },
  }]);
  // The next live message proves the backfill is over, and nothing came twice.
  const { message: next } = await aliceToBob(broker, "live again", "S-alice");
  await deliveries.until(2);
  assertEquals(deliveries.deliveries.slice(1), [{
    topic: "user:alice",
    envelope: { kind: "direct", message: next, senderSession: "S-alice" },
  }]);
});

Deno.test("redis broker: a user online longer than the history TTL keeps its inbox owner and channels", async () => {
  const redis = await startRedis();
  const options = optionsFor(redis.url, { presenceTtlMs: 1000, historyTtlMs: 1500 });
  const broker = createRedisBroker(options);
  try {
    await ready(broker);
    await broker.users.open({
      name: "long",
      freshTokenHash: "t",
      sessionId: "s",
      kind: "A",
      maxSessions: 1,
    });
    await broker.users.setMembership("long", "general", true);
    // Heartbeats every third of the presence TTL; wait past the history TTL.
    const since = Date.now();
    while (Date.now() - since < 2500) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const key of [`${options.prefix}owner:long`, `${options.prefix}memberships:long`]) {
      const ttl = await redis.client.pttl(key);
      assert(ttl > 0, `${key} is still there (pttl ${ttl})`);
    }
    assertEquals(await broker.users.memberships("long"), ["general"]);
  } finally {
    await broker.close();
    await redis[Symbol.asyncDispose]();
  }
});

Deno.test("redis broker: after an outage longer than the presence TTL, users stay online until their instance can refresh them", async () => {
  const redis = await startRedis(["--appendonly", "yes"]);
  const options = optionsFor(redis.url, { presenceTtlMs: 1000 });
  const first = createRedisBroker(options);
  const second = createRedisBroker(options);
  try {
    await Promise.all([ready(first), ready(second)]);
    await second.users.open({
      name: "bob",
      freshTokenHash: "t",
      sessionId: "s",
      kind: "A",
      maxSessions: 1,
    });
    assertEquals(await first.users.online(), ["bob"]);
    // Bob's instance will be the last one back (here: never), and the outage outlasts the TTL.
    await second.close();
    await redis.stop();
    const down = Date.now();
    while (Date.now() - down < 1500) await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.start();
    await ready(first);
    assertEquals(await first.users.online(), ["bob"], "still online once Redis is back");
    // An instance that never comes back: its users go one TTL later.
    const deadline = Date.now() + 10_000;
    while ((await first.users.online()).length > 0) {
      assert(Date.now() < deadline, "bob never went offline");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await first.close();
    await redis[Symbol.asyncDispose]();
  }
});

Deno.test("redis broker: the grant index holds each user's standing grants, and goes with the channel", async () => {
  await using deployment = await deployOne();
  const { redis, broker, prefix } = deployment;
  const grants = (key: string) => redis.client.hgetall(`${prefix}grants:${key}`);
  await broker.users.open({
    name: "Olga",
    freshTokenHash: "t-olga",
    sessionId: "o1",
    kind: "A",
    maxSessions: 1,
  });
  await broker.channels.create("room", { private: true, owner: "olga" });
  await broker.channels.setRole("room", "mo", "moderator");
  await broker.channels.invite("room", "pia");
  assertEquals(await grants("olga"), { room: "t-olga" }, "given to her holding");
  assertEquals(await grants("mo"), { room: "" }, "given while nobody holds the name");
  await broker.channels.setRole("room", "mo", "member");
  assertEquals(await grants("mo"), {}, "nothing left to end");
  await broker.channels.setRole("room", "pia", "moderator");
  await broker.channels.setRole("room", "pia", "member");
  assertEquals(await grants("pia"), { room: "" }, "still invited");
  await broker.channels.remove("room");
  for (const key of ["olga", "pia"]) assertEquals(await grants(key), {}, key);
});

Deno.test("redis broker: grants from before the grant index are indexed once, for the holding they were given to", async () => {
  const redis = await startRedis();
  const options = optionsFor(redis.url);
  const { prefix } = options;
  const raw = redis.client;
  // As an earlier version left them: no grant index.
  await raw.sadd(`${prefix}channels`, "room");
  await raw.hset(`${prefix}channel:room`, "owner", "olga");
  await raw.hset(`${prefix}roles:room`, "mo", "moderator", "jay", "moderator");
  await raw.sadd(`${prefix}invites:room`, "pia");
  for (const [key, token] of [["olga", "old-olga"], ["mo", "old-mo"], ["jay", "jwt:jay"]]) {
    await raw.set(`${prefix}owner:${key}`, token);
  }
  const broker = createRedisBroker(options);
  try {
    await ready(broker);
    const deadline = Date.now() + 10_000;
    while (await raw.exists(`${prefix}grant-index-built`) === 0) {
      assert(Date.now() < deadline, "the grant index was never built");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const open = (name: string, token: string, identified = false) =>
      broker.users.open({
        name,
        freshTokenHash: token,
        sessionId: name,
        kind: "A",
        maxSessions: 1,
        identified,
      });
    for (const name of ["olga", "mo"]) await open(name, `new-${name}`);
    await open("jay", "jwt:jay", true);
    await open("pia", "new-pia");
    assertEquals(await broker.channels.access("room", "olga"), { private: false, invited: false });
    assertEquals((await broker.channels.access("room", "mo"))?.role, undefined);
    assertEquals((await broker.channels.access("room", "jay"))?.role, "moderator");
    assertEquals(
      (await broker.channels.access("room", "pia"))?.invited,
      true,
      "with no holder known, a grant goes to the next holder, as every grant did before",
    );
  } finally {
    await broker.close();
    await redis[Symbol.asyncDispose]();
  }
});
