/**
 * Edits, deletions and reactions over real WebSockets: each is acked with
 * its own id once stored, reaches everyone who sees the message (kind-B
 * clients excepted), shows in history as the message is now, replays on
 * resume without any text that is gone, and is held to its limits and
 * permissions, on both runtimes and across instances on Redis.
 */
import { ask, connect, type Frame, joinA, joinB, joinChannel } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** The messages of a `history` answer. */
async function historyOf(client: Parameters<typeof ask>[0], query: Record<string, unknown>) {
  const answer = await ask(client, { type: "history", ...query }, `h-${Math.random()}`);
  return (answer as Frame & { messages: Frame[] }).messages;
}

testEachRuntime(
  "changes: edits, reactions and deletions reach the channel live and show in history as they are now",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(alice, "room");
    await joinChannel(bob, "room");
    const sent = await ask(alice, { type: "broadcast", to: "room", message: "helo" }, "m");
    const edited = await ask(alice, {
      type: "editMessage",
      to: "room",
      id: sent.id,
      message: "hello",
    }, "e");
    assertEquals(edited.type, "ack");
    assert(edited.id! > sent.id!, "an edit has its own, later id");
    const seenEdit = await bob.take({ type: "messageEdited" });
    assertEquals([seenEdit.id, seenEdit.target, seenEdit.message, seenEdit.from, seenEdit.to], [
      edited.id,
      sent.id,
      "hello",
      "alice",
      "room",
    ]);
    const reacted = await ask(bob, { type: "react", to: "room", id: sent.id, emoji: "👍" }, "r");
    const seenReaction = await alice.take({ type: "reaction", id: reacted.id });
    assertEquals([seenReaction.emoji, seenReaction.added, seenReaction.count], ["👍", true, 1]);
    assertEquals(
      (await ask(bob, { type: "react", to: "room", id: sent.id, emoji: "👍" }, "r2")).id,
      undefined,
    );
    const [shown] = await historyOf(bob, { to: "room" });
    assertEquals([shown.message, shown.edited, shown.reactions], [
      "hello",
      seenEdit.ts,
      [{ emoji: "👍", count: 1, mine: true }],
    ]);
    const meddling = await ask(bob, {
      type: "editMessage",
      to: "room",
      id: sent.id,
      message: "mine",
    }, "x");
    assertEquals(meddling.code, "not_permitted");
    const notOwner = await ask(bob, { type: "deleteMessage", to: "room", id: sent.id }, "x2");
    assertEquals(notOwner.code, "not_permitted");
    const deleted = await ask(alice, { type: "deleteMessage", to: "room", id: sent.id }, "d");
    assertEquals((await bob.take({ type: "messageDeleted" })).id, deleted.id);
    const [tombstone] = await historyOf(alice, { to: "room" });
    assertEquals([tombstone.id, tombstone.message, tombstone.deleted, tombstone.reactions], [
      sent.id,
      "",
      true,
      undefined,
    ]);
    const gone = await ask(bob, { type: "react", to: "room", id: sent.id, emoji: "🎉" }, "g");
    assertEquals(gone.code, "message_not_found");
  },
);

testEachRuntime(
  "changes: the owner and moderators delete anyone's message; a muted user may not edit",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using owner = await joinA(server.ws, "owner");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(owner, "club");
    await joinChannel(bob, "club");
    const said = await ask(bob, { type: "broadcast", to: "club", message: "spam" }, "s");
    await ask(owner, { type: "mute", to: "club", user: "bob" }, "mute");
    const muted = await ask(
      bob,
      { type: "editMessage", to: "club", id: said.id, message: "ham" },
      "e",
    );
    assertEquals(muted.code, "muted");
    const removed = await ask(owner, { type: "deleteMessage", to: "club", id: said.id }, "d");
    assertEquals(removed.type, "ack");
    assertEquals((await bob.take({ type: "messageDeleted" })).from, "owner");
  },
);

testEachRuntime(
  "changes: a resumed session replays them after since, with no text that is gone",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    const bob = await joinA(server.ws, "bob");
    const token = bob.session.token;
    const kept = await ask(alice, { type: "directMessage", to: "bob", message: "typo" }, "1");
    const secret = await ask(alice, { type: "directMessage", to: "bob", message: "secret" }, "2");
    await bob.take({ type: "directMessage", id: secret.id });
    const seen = kept.id;
    await bob.close();
    await ask(alice, { type: "editMessage", with: "bob", id: kept.id, message: "fixed" }, "3");
    await ask(alice, { type: "editMessage", with: "bob", id: secret.id, message: "secret!" }, "4");
    const deleted = await ask(alice, { type: "deleteMessage", with: "bob", id: secret.id }, "5");
    await using back = await connect(`${server.ws}?token=${token}&since=${seen}`);
    const last = await back.take({ type: "messageDeleted", id: deleted.id });
    assertEquals([last.replay, last.direct, last.target], [true, true, secret.id]);
    const replayed = back.received.filter((frame) => frame.replay);
    assertEquals(replayed.map((frame) => [frame.type, frame.message]), [
      ["directMessage", ""],
      ["messageEdited", "fixed"],
      ["messageDeleted", ""],
    ]);
    assert(!JSON.stringify(back.received).includes("secret"), "the deleted text never replays");
  },
);

testEachRuntime(
  "changes: limits are answered with their codes, and lobby clients never see a change",
  async (runtime) => {
    await using server = await startServer(runtime, {
      EDIT_WINDOW_SECONDS: "0",
      MESSAGE_CHANGES_PER_MINUTE: "3",
      MAX_REACTIONS_PER_MESSAGE: "1",
    });
    await using lobby = await joinB(server.ws, "bee");
    await using alice = await joinA(server.ws, "alice");
    await joinChannel(alice, "lobby");
    const said = await ask(alice, { type: "broadcast", to: "lobby", message: "hi bees" }, "s");
    await lobby.take({ sender: "alice", text: "hi bees" });
    const late = await ask(
      alice,
      { type: "editMessage", to: "lobby", id: said.id, message: "x" },
      "e",
    );
    assertEquals(late.code, "edit_window_closed");
    await ask(alice, { type: "react", to: "lobby", id: said.id, emoji: "🐝" }, "r1");
    const second = await ask(alice, { type: "react", to: "lobby", id: said.id, emoji: "🌼" }, "r2");
    assertEquals(second.code, "too_many_reactions");
    const limited = await ask(
      alice,
      { type: "react", to: "lobby", id: said.id, emoji: "🐝" },
      "r3",
    );
    assertEquals(limited.code, "rate_limited");
    const bad = await ask(alice, { type: "react", to: "lobby", id: said.id, emoji: "a b" }, "r4");
    assertEquals(bad.code, "invalid_frame");
    const both = await ask(alice, { type: "markRead", to: "lobby", with: "bee" }, "m");
    assertEquals(both.code, "invalid_frame");
    await ask(alice, { type: "broadcast", to: "lobby", message: "still here" }, "s2");
    await lobby.take({ sender: "alice", text: "still here" });
    assertEquals(lobby.received.filter((frame) => frame.sender === "alice").length, 2);
  },
);

Deno.test("changes and read state across instances on Redis: a Deno and a Node instance", async () => {
  await using cluster = await startCluster(2);
  const [deno, node] = cluster.instances;
  await using alice = await joinA(deno.ws, "alice");
  await using bob = await joinA(node.ws, "bob");
  const asked = await ask(alice, { type: "directMessage", to: "bob", message: "lunch?" }, "1");
  await bob.take({ type: "directMessage", id: asked.id });
  const reacted = await ask(bob, { type: "react", with: "alice", id: asked.id, emoji: "🍕" }, "2");
  const seen = await alice.take({ type: "reaction", id: reacted.id });
  assertEquals([seen.from, seen.to, seen.direct, seen.count], ["bob", "alice", true, 1]);
  const edited = await ask(alice, {
    type: "editMessage",
    with: "bob",
    id: asked.id,
    message: "lunch at 1?",
  }, "3");
  assertEquals((await bob.take({ type: "messageEdited", id: edited.id })).message, "lunch at 1?");
  const [shown] = await historyOf(alice, { with: "bob" });
  assertEquals([shown.message, shown.reactions], ["lunch at 1?", [{ emoji: "🍕", count: 1 }]]);
  await using bobAgain = await joinA(deno.ws, "bob", bob.session.token);
  const state = await bobAgain.take({ type: "readState" });
  // alice read her own message by sending it.
  assertEquals(state.conversations, [
    { with: "alice", unread: 1, mentions: 0, theirRead: asked.id },
  ]);
  await ask(bob, { type: "markRead", with: "alice", id: asked.id }, "4");
  for (const session of [bob, bobAgain]) {
    const read = await session.take({ type: "read" });
    assertEquals([read.with, read.id, read.unread], ["alice", asked.id, 0]);
  }
  const receipt = await alice.take({ type: "readReceipt" });
  assertEquals([receipt.from, receipt.id, receipt.direct], ["bob", asked.id, true]);
});
