/**
 * Read state over real WebSockets: the counts a session gets on connect,
 * `markRead` moving forward only and followed by every session of the user
 * (the badge on every device), mentions counted apart, and read receipts in
 * conversations and in small channels only.
 */
import { ask, joinA, joinChannel } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals } from "../support/assert.ts";

testEachRuntime(
  "read state: counts on connect, mentions apart, and markRead followed by every session",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    const phone = await joinA(server.ws, "bob");
    await joinChannel(alice, "room");
    await joinChannel(phone, "room");
    const first = await ask(alice, { type: "broadcast", to: "room", message: "morning" }, "1");
    await ask(alice, { type: "broadcast", to: "room", message: "@bob, coffee?" }, "2");
    await ask(alice, {
      type: "broadcast",
      to: "room",
      message: "for you",
      data: { mentions: ["BOB"] },
    }, "3");
    const psst = await ask(alice, { type: "directMessage", to: "bob", message: "psst" }, "4");
    await using laptop = await joinA(server.ws, "bob", phone.session.token);
    const state = await laptop.take({ type: "readState" });
    assertEquals(state.channels, [{ name: "room", unread: 3, mentions: 2 }]);
    // alice read her own message by sending it.
    assertEquals(state.conversations, [
      { with: "alice", unread: 1, mentions: 0, theirRead: psst.id },
    ]);
    await ask(phone, { type: "markRead", to: "room", id: first.id }, "r1");
    for (const device of [phone, laptop]) {
      const read = await device.take({ type: "read" });
      assertEquals([read.to, read.id, read.unread, read.mentions], ["room", first.id, 2, 2]);
    }
    const backwards = await ask(laptop, { type: "markRead", to: "room", id: first.id }, "r2");
    assertEquals(backwards.type, "ack");
    await ask(laptop, { type: "markRead", to: "room" }, "r3");
    for (const device of [phone, laptop]) {
      const read = await device.take({ type: "read" });
      assertEquals([read.unread, read.mentions], [0, 0], "a read never goes back, only forward");
    }
    const nothing = await ask(laptop, { type: "markRead", with: "carol" }, "r4");
    assertEquals(nothing.type, "ack", "nothing there yet: all of it is read");
    const missing = await ask(laptop, {
      type: "markRead",
      with: "carol",
      id: "1700000000000-000001",
    }, "r5");
    assertEquals(missing.code, "message_not_found");
    await phone.close();
  },
);

testEachRuntime(
  "read state: receipts go to the other user of a conversation and to small channels only",
  async (runtime) => {
    await using server = await startServer(runtime, { READ_RECEIPTS_MAX_MEMBERS: "2" });
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    const hi = await ask(alice, { type: "directMessage", to: "bob", message: "hi" }, "1");
    await ask(bob, { type: "markRead", with: "alice", id: hi.id }, "2");
    const receipt = await alice.take({ type: "readReceipt" });
    assertEquals([receipt.from, receipt.id, receipt.direct, receipt.to], ["bob", hi.id, true, ""]);
    await joinChannel(alice, "pair");
    await joinChannel(bob, "pair");
    const said = await ask(alice, { type: "broadcast", to: "pair", message: "two of us" }, "3");
    await ask(bob, { type: "markRead", to: "pair", id: said.id }, "4");
    const inChannel = await alice.take({ type: "readReceipt" });
    assertEquals([inChannel.from, inChannel.to, inChannel.direct], ["bob", "pair", undefined]);
    // Who has read how far is in the members answer too, for a client that was away.
    const { members } = await ask(alice, { type: "members", to: "pair" }, "who") as unknown as {
      members: { name: string; read?: string }[];
    };
    assertEquals(members.map(({ name, read }) => [name, read]), [
      ["alice", said.id],
      ["bob", said.id],
    ]);
    await joinChannel(carol, "pair");
    const more = await ask(alice, { type: "broadcast", to: "pair", message: "three now" }, "5");
    await ask(carol, { type: "markRead", to: "pair", id: more.id }, "6");
    await carol.take({ type: "read" });
    await ask(bob, { type: "markRead", with: "alice" }, "7");
    await ask(alice, { type: "directMessage", to: "bob", message: "again" }, "8");
    await ask(bob, { type: "markRead", with: "alice" }, "9");
    // The receipt of the conversation comes after carol's read: hers, in a channel of three, never came.
    const next = await alice.take({ type: "readReceipt" });
    assertEquals([next.from, next.direct], ["bob", true]);
  },
);
