/**
 * The broker contract's part on read state: read positions only move
 * forward, authors have read their own messages, mentions count apart, and
 * counts come from counters that start again where they must (a deleted
 * channel, a new holder of a name) and never read the history.
 * `contract.ts` runs it for each broker.
 *
 * @module
 */
import type { Broker } from "../../src/broker/broker.ts";
import { mentionedKeys } from "../../src/protocol/names.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { contractTest, type Deploy, holding, sayInRoom } from "./contract.ts";

/** Registers the read-state tests for the broker called `name`. */
export function readStateContract(name: string, deploy: Deploy): void {
  const test = contractTest(name, deploy);

  const say = sayInRoom;

  const dm = (broker: Broker, from: string, to: string, text: string) =>
    broker.bus.publish([`user:${to}`, `user:${from}`], {
      kind: "direct",
      from,
      to,
      text,
      senderSession: "s",
      author: holding(from),
    });

  const unreadOf = async (broker: Broker, user: string) =>
    (await broker.reads.positions(user, ["room"], 10)).channels[0];

  test("read state: authors read their own, marks only move forward, mentions count apart", async ({ first, second }) => {
    for (const [broker, user] of [[first, "alice"], [second, "bob"]] as const) {
      await broker.users.setMembership(user, "room", true);
    }
    const { message: one } = await say(first, "alice", "one");
    const { message: two } = await say(first, "alice", "hey @bob", ["bob", "zed"]);
    const { message: three } = await say(first, "alice", "three");
    const bob = await second.reads.positions("bob", ["room"], 10);
    assertEquals(bob.channels, [{ channel: "room", unread: 3, mentions: 1 }]);
    assertEquals((await first.reads.positions("alice", ["room"], 10)).channels[0].unread, 0);
    const marked = await second.reads.markRead("bob", { channel: "room" }, two.id);
    assertEquals(marked?.position, { read: two.id, unread: 1, mentions: 0 });
    assertEquals(marked?.countedTo, three.id, "the counts include every message up to the newest");
    assertEquals([marked?.moved, marked?.members], [true, 2]);
    const back = await first.reads.markRead("bob", { channel: "room" }, one.id);
    assertEquals([back?.moved, back?.position.read, back?.position.unread], [false, two.id, 1]);
    const newest = await first.reads.markRead("bob", { channel: "room" });
    assertEquals(newest?.position.unread, 0);
    assertEquals(await second.reads.readBy("room", ["bob", "alice", "zed"]), [
      three.id,
      three.id,
      undefined,
    ]);
    assertEquals(
      await first.reads.markRead("bob", { channel: "room" }, "1700000000000-000001"),
      undefined,
    );
  });

  test("read state of a conversation: unread from the other only, listed newest first, with their read", async ({ first, second }) => {
    const { message: hello } = await dm(first, "alice", "bob", "hello");
    await dm(first, "alice", "bob", "are you there");
    await dm(second, "carol", "bob", "hi from carol");
    const before = await second.reads.positions("bob", [], 10);
    assertEquals(before.conversations.map(({ with: other, unread }) => [other, unread]), [
      ["carol", 1],
      ["alice", 2],
    ]);
    const marked = await second.reads.markRead("bob", { with: "alice" }, hello.id);
    assertEquals([marked?.position.unread, marked?.moved], [1, true]);
    const alice = await first.reads.positions("alice", [], 10);
    assertEquals(alice.conversations, [
      {
        with: "bob",
        read: alice.conversations[0].read!,
        unread: 0,
        mentions: 0,
        theirRead: hello.id,
      },
    ]);
    const { message: yes } = await dm(second, "bob", "alice", "yes");
    assertEquals((await first.reads.positions("bob", [], 10)).conversations[0], {
      with: "alice",
      read: yes.id,
      unread: 0,
      mentions: 0,
      theirRead: alice.conversations[0].read!,
    });
  });

  test("a mention names a user: a name with a newline in data.mentions counts for nobody", async ({ first }) => {
    for (const user of ["alice", "carol", "dave"]) {
      await first.users.setMembership(user, "room", true);
    }
    await say(first, "alice", "hi", mentionedKeys("hi", { mentions: ["carol\ndave"] }));
    assertEquals((await unreadOf(first, "carol")).mentions, 0);
    assertEquals((await unreadOf(first, "dave")).mentions, 0);
  });

  test("a deleted and re-created channel starts its counts, marks and mentions afresh", async ({ first }) => {
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob", "carol"]) {
      await first.users.setMembership(user, "room", true);
    }
    for (let i = 0; i < 5; i++) await say(first, "alice", `hey @bob ${i}`, ["bob"]);
    await first.reads.markRead("carol", { channel: "room" });
    // carol leaves before the deletion, bob is a member when it happens.
    await first.users.setMembership("carol", "room", false);
    await first.channels.remove("room");
    await first.channels.create("room", { private: false, owner: "alice" });
    for (const user of ["alice", "bob", "carol"]) {
      await first.users.setMembership(user, "room", true);
    }
    for (let i = 0; i < 3; i++) await say(first, "alice", `new ${i}`);
    for (const user of ["bob", "carol"]) {
      const { unread, mentions } = await unreadOf(first, user);
      assertEquals([unread, mentions], [3, 0], user);
    }
  });

  test(
    "a new holder of a name starts its conversations' counts from nothing",
    async ({ first }) => {
      const open = (name: string, token: string, session: string) =>
        first.users.open({
          name,
          freshTokenHash: token,
          sessionId: session,
          kind: "A",
          maxSessions: 10,
        });
      await open("alice", "ta", "a1");
      await open("bob", "tb1", "b1");
      for (let i = 0; i < 5; i++) await dm(first, "alice", "bob", `for the first bob ${i}`);
      await first.users.close("bob", "b1");
      assertEquals(await first.users.lookup("bob"), undefined, "no grace: the name is free");
      await open("bob", "tb2", "b2");
      await dm(first, "alice", "bob", "for the new bob");
      const { conversations } = await first.reads.positions("bob", [], 10);
      assertEquals(conversations.map((c) => [c.with, c.unread, c.theirRead]), [
        ["alice", 1, conversations[0]?.theirRead],
      ]);
      assert(conversations[0].theirRead !== undefined, "alice has read her own message");
    },
    { reconnectGraceMs: 0 },
  );

  test(
    "a conversation quiet past the history TTL still counts new messages as unread",
    async ({ first }) => {
      for (let i = 0; i < 3; i++) await dm(first, "alice", "bob", `old ${i}`);
      await first.reads.markRead("bob", { with: "alice" });
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await dm(first, "alice", "bob", "new");
      const { conversations } = await first.reads.positions("bob", [], 10);
      assertEquals(conversations.map((c) => [c.with, c.unread]), [["alice", 1]]);
    },
    { historyTtlMs: 1000 },
  );

  test("markRead without an id marks a conversation's newest message, however much else the inbox holds", async ({ first }) => {
    const { message: last } = await dm(first, "alice", "bob", "the one to read");
    for (let i = 0; i < 20; i++) await dm(first, "carol", "bob", `noise ${i}`);
    const marked = await first.reads.markRead("bob", { with: "alice" });
    assertEquals([marked?.position.read, marked?.position.unread], [last.id, 0]);
  });
}
