/**
 * Review of issue 15: repros of bugs found in review, against both brokers.
 * Each test asserts the behaviour the contract promises; a failing test is a
 * confirmed bug.
 */
import { createMemoryHub } from "../../src/broker/memory.ts";
import { createRedisBroker } from "../../src/broker/redis.ts";
import type { Broker } from "../../src/broker/broker.ts";
import type { Logger } from "../../src/log.ts";
import { mentionedKeys } from "../../src/core/reading.ts";
import { startRedis } from "../support/redis.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { contractTest, type Deploy, type Deployment } from "./contract.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let prefixes = 0;

const memory: Deploy = (retention) => {
  const hub = createMemoryHub(retention);
  const first = hub.connect();
  const second = hub.connect();
  return Promise.resolve({
    first,
    second,
    async [Symbol.asyncDispose]() {
      await first.close();
      await second.close();
    },
  });
};

const redis: Deploy = async (retention) => {
  const server = await startRedis();
  const options = {
    url: server.url,
    prefix: `repro-${++prefixes}:`,
    presenceTtlMs: 15_000,
    historyLimit: 1000,
    historyTtlMs: 7 * 24 * 3600 * 1000,
    dedupWindowMs: 120_000,
    reconnectGraceMs: 120_000,
    ...retention,
    log: silent,
  };
  const first = createRedisBroker(options);
  const second = createRedisBroker(options);
  const deadline = Date.now() + 10_000;
  while (!first.isReady() || !second.isReady()) {
    if (Date.now() > deadline) throw new Error("not ready");
    await sleep(10);
  }
  return {
    first,
    second,
    async [Symbol.asyncDispose]() {
      await first.close();
      await second.close();
      await server[Symbol.asyncDispose]();
    },
  } satisfies Deployment;
};

const say = (broker: Broker, from: string, text: string, extra: object = {}) =>
  broker.bus.publish(["channel:room"], { kind: "channel", from, to: "room", text, ...extra });
const inRoom = (from: string, target: string) => ({
  kind: "channel" as const,
  from,
  to: "room",
  target,
});

for (const [name, deploy] of [["memory", memory], ["redis", redis]] as const) {
  const test = contractTest(`review-15 ${name}`, deploy);

  test("R1 a moderator can delete a message whose data holds a lone surrogate", async ({ first }) => {
    const { message } = await say(first, "alice", "spam", { data: { x: "\ud800" } });
    const deleted = await first.bus.change(["channel:room"], {
      ...inRoom("mod", message.id),
      action: "delete",
      moderator: true,
    });
    assertEquals(deleted?.message.change?.action, "delete");
  });

  test("R1b a moderator can delete a message with deeply nested data (< 4 KB)", async ({ first }) => {
    const deep = JSON.parse(`{"a":${"[".repeat(1500)}${"]".repeat(1500)}}`);
    const { message } = await say(first, "alice", "spam", { data: deep });
    const deleted = await first.bus.change(["channel:room"], {
      ...inRoom("mod", message.id),
      action: "delete",
      moderator: true,
    });
    assertEquals(deleted?.message.change?.action, "delete");
  });

  test(
    "R2 a deleted message's text never comes back in history or replay (ttl)",
    async ({ first }) => {
      const { message } = await say(first, "alice", "secret");
      await first.bus.change(["channel:room"], {
        ...inRoom("alice", message.id),
        action: "edit",
        windowMs: 60_000,
        text: "secret v2",
      });
      await sleep(1000);
      await first.bus.change(["channel:room"], {
        ...inRoom("alice", message.id),
        action: "delete",
        moderator: false,
      });
      await sleep(800);
      const page = await first.history.page("channel:room", { limit: 10 });
      const since = await first.history.since("channel:room", "0000000000000-000000");
      assert(!JSON.stringify(page).includes("secret"), `page shows ${JSON.stringify(page)}`);
      assert(!JSON.stringify(since).includes("secret"), `replay shows ${JSON.stringify(since)}`);
    },
    { historyTtlMs: 1500 },
  );

  test(
    "R3 a deleted message's edited text is not replayed once the message itself is trimmed",
    async ({ first }) => {
      const { message } = await say(first, "alice", "secret");
      await first.bus.change(["channel:room"], {
        ...inRoom("alice", message.id),
        action: "edit",
        windowMs: 60_000,
        text: "secret v2",
      });
      await first.bus.change(["channel:room"], {
        ...inRoom("alice", message.id),
        action: "delete",
        moderator: false,
      });
      await say(first, "bob", "x");
      await say(first, "bob", "y"); // limit 4: the original is trimmed, its edit and deletion kept
      const since = await first.history.since("channel:room", message.id);
      assert(!JSON.stringify(since).includes("secret"), `replay shows ${JSON.stringify(since)}`);
    },
    { historyLimit: 4 },
  );

  test("R4 a newline in a data.mentions name counts no one (same on both brokers)", async ({ first }) => {
    for (const user of ["alice", "carol", "dave"]) {
      await first.users.setMembership(user, "room", true);
    }
    const mentions = mentionedKeys("hi", { mentions: ["carol\ndave"] });
    await say(first, "alice", "hi", { mentions });
    const { channels } = await first.reads.positions("carol", ["room"], 10);
    assertEquals(channels[0].mentions, 0, `mentions of carol: ${channels[0].mentions}`);
  });

  test("R5 a re-created channel carries no mentions or marks of the deleted one", async ({ first }) => {
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob"]) await first.users.setMembership(user, "room", true);
    for (let i = 0; i < 5; i++) await say(first, "alice", `hey @bob ${i}`, { mentions: ["bob"] });
    await first.channels.remove("room");
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob"]) await first.users.setMembership(user, "room", true);
    await say(first, "alice", "fresh");
    const { channels } = await first.reads.positions("bob", ["room"], 10);
    assertEquals([channels[0].unread, channels[0].mentions], [1, 0]);
  });

  test(
    "R6 a new holder of a name does not inherit the old holder's conversation counts",
    async ({ first }) => {
      const open = (name: string, token: string, session: string) =>
        first.users.open({
          name,
          freshTokenHash: token,
          sessionId: session,
          kind: "A",
          maxSessions: 10,
        });
      const dm = (text: string) =>
        first.bus.publish(["user:bob", "user:alice"], {
          kind: "direct",
          from: "alice",
          to: "bob",
          text,
          senderSession: "s",
        });
      await open("alice", "ta", "a1");
      await open("bob", "tb1", "b1");
      for (let i = 0; i < 5; i++) await dm(`for the first bob ${i}`);
      await first.users.close("bob", "b1");
      const deadline = Date.now() + 5000;
      while (await first.users.lookup("bob") !== undefined) {
        assert(Date.now() < deadline);
        await sleep(20);
      }
      await open("bob", "tb2", "b2");
      await dm("for the new bob");
      const { conversations } = await first.reads.positions("bob", [], 10);
      assertEquals(conversations.map((c) => [c.with, c.unread]), [["alice", 1]]);
    },
    { reconnectGraceMs: 0 },
  );

  test(
    "R7 the author can delete a DM still in the recipient's inbox after their own inbox trimmed it",
    async ({ first }) => {
      const { message } = await first.bus.publish(["user:bob", "user:alice"], {
        kind: "direct",
        from: "alice",
        to: "bob",
        text: "oops, wrong person",
        senderSession: "s",
      });
      for (let i = 0; i < 3; i++) {
        await first.bus.publish(["user:carol", "user:alice"], {
          kind: "direct",
          from: "alice",
          to: "carol",
          text: `c${i}`,
          senderSession: "s",
        });
      }
      assertEquals(
        (await first.history.page("user:bob", { limit: 10 }))[0].message.text,
        "oops, wrong person",
      );
      const deleted = await first.bus.change(["user:bob", "user:alice"], {
        kind: "direct",
        from: "alice",
        to: "bob",
        target: message.id,
        action: "delete",
        moderator: false,
      });
      assertEquals(deleted?.message.change?.action, "delete");
    },
    { historyLimit: 3 },
  );

  test(
    "R8 a conversation idle past the TTL still counts new messages as unread",
    async ({ first }) => {
      const dm = (text: string) =>
        first.bus.publish(["user:bob", "user:alice"], {
          kind: "direct",
          from: "alice",
          to: "bob",
          text,
          senderSession: "s",
        });
      for (let i = 0; i < 3; i++) await dm(`old ${i}`);
      await first.reads.markRead("bob", { with: "alice" });
      await sleep(700);
      // Bob is active elsewhere: his read hash stays alive.
      await say(first, "bob", "still here");
      await sleep(700);
      await dm("new");
      const { conversations } = await first.reads.positions("bob", [], 10);
      assertEquals(conversations.map((c) => [c.with, c.unread]), [["alice", 1]]);
    },
    { historyTtlMs: 1000 },
  );
}

for (const [name, deploy] of [["memory", memory], ["redis", redis]] as const) {
  const test = contractTest(`review-15 ${name}`, deploy);

  test("R5b a re-created channel counts its own messages for a reader of the deleted one", async ({ first }) => {
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob", "carol"]) {
      await first.users.setMembership(user, "room", true);
    }
    for (let i = 0; i < 5; i++) await say(first, "alice", `old ${i}`);
    await first.reads.markRead("bob", { channel: "room" });
    await first.reads.markRead("carol", { channel: "room" });
    await first.users.setMembership("carol", "room", false); // carol left before the deletion
    await first.channels.remove("room");
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob", "carol"]) {
      await first.users.setMembership(user, "room", true);
    }
    for (let i = 0; i < 3; i++) await say(first, "alice", `new ${i}`);
    const unread = [];
    for (const user of ["bob", "carol"]) {
      unread.push((await first.reads.positions(user, ["room"], 10)).channels[0].unread);
    }
    assertEquals(unread, [3, 3], "bob (member at deletion), carol (left before)");
  });
}
