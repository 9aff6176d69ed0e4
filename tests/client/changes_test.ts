/**
 * The client SDK's message changes and read state against real Natter
 * servers: edits, deletions and reactions reach every member live as
 * `change` events and `history` shows their result; refusals reject with
 * their protocol code; unread counts come on connect, follow live messages,
 * clear on every session of a user when one of them reads, and the other
 * user of a conversation gets a receipt; a change made while disconnected
 * goes out on the reconnect, and one missed while away is replayed once.
 *
 * @module
 */
import {
  applyChange,
  type ChannelMember,
  type HistoryMessage,
  NatterError,
} from "../../src/client/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startServer } from "../support/server.ts";
import { clientPool, collect, until } from "./support.ts";
import { startProxy } from "./proxy.ts";

const ROOM = { channel: "room" } as const;

/** The code a refused request rejects with. */
async function refusal(request: Promise<unknown>): Promise<string> {
  const error = await request.then(() => undefined, (error) => error);
  assert(error instanceof NatterError, `refused, not ${String(error)}`);
  return error.code;
}

/** The one message `id` of `history`. */
function find(history: HistoryMessage[], id: string): HistoryMessage {
  const found = history.find((message) => message.id === id);
  assert(found, `history has ${id}`);
  return found;
}

testEachRuntime(
  "client SDK: edits, deletions and reactions reach every member live, and history shows them",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    await alice.join("room"); // the first one in owns it
    await bob.join("room");
    const bobSaw = collect(bob, "change");
    const aliceSaw = collect(alice, "change");
    const id = await alice.broadcast("room", "helo");
    const edit = await alice.editMessage(ROOM, id, "hello");
    assert(edit > id, "a change has its own, newer id");
    assert(await bob.react(ROOM, id, "👍") !== undefined);
    assertEquals(await bob.react(ROOM, id, "👍"), undefined, "no change: no id");
    await alice.react(ROOM, id, "👍");
    await bob.unreact(ROOM, id, "👍");
    await until(() => bobSaw.length === 4 && aliceSaw.length === 4);
    assertEquals(
      bobSaw.map((c) => [c.type, c.target, c.from, c.conversation, "count" in c && c.count]),
      [
        ["messageEdited", id, "alice", ROOM, false],
        ["reaction", id, "bob", ROOM, 1],
        ["reaction", id, "alice", ROOM, 2],
        ["reaction", id, "bob", ROOM, 1],
      ],
    );
    assertEquals(aliceSaw.map((c) => c.id), bobSaw.map((c) => c.id), "the same, in one order");
    const kept = find(await bob.history(ROOM), id);
    assertEquals([kept.message, typeof kept.edited], ["hello", "number"]);
    assertEquals(kept.reactions, [{ emoji: "👍", count: 1 }]);
    assertEquals(find(await alice.history(ROOM), id).reactions, [
      { emoji: "👍", count: 1, mine: true },
    ]);
    // What bob's events made of the message is what history says it is.
    let shown: HistoryMessage = { ...kept, message: "helo", edited: undefined, reactions: [] };
    for (const change of bobSaw) shown = applyChange(shown, change, "bob");
    assertEquals(shown, kept);

    assertEquals(await refusal(bob.editMessage(ROOM, id, "mine now")), "not_permitted");
    assertEquals(await refusal(bob.deleteMessage(ROOM, id)), "not_permitted");
    const bobs = await bob.broadcast("room", "oops");
    await alice.deleteMessage(ROOM, bobs); // the owner deletes anyone's
    await alice.deleteMessage(ROOM, id);
    await until(() => bobSaw.length === 6);
    assertEquals(bobSaw.slice(4).map((c) => [c.type, c.target]), [
      ["messageDeleted", bobs],
      ["messageDeleted", id],
    ]);
    const tombstone = find(await bob.history(ROOM), id);
    assertEquals([tombstone.deleted, tombstone.message, tombstone.reactions], [
      true,
      "",
      undefined,
    ]);
    assertEquals(await refusal(alice.editMessage(ROOM, id, "back")), "message_not_found");

    const dm = await alice.directMessage("bob", "psst");
    await bob.react({ with: "alice" }, dm, "❤️");
    await until(() => aliceSaw.some((c) => c.target === dm));
    const reaction = aliceSaw.find((c) => c.target === dm)!;
    assertEquals([reaction.conversation, reaction.direct], [{ with: "bob" }, true]);
    assertEquals(find(await alice.history({ with: "bob" }), dm).reactions, [
      { emoji: "❤️", count: 1 },
    ]);
  },
);

testEachRuntime(
  "client SDK: unread counts on connect, live, and cleared on every session of the user; receipts in a conversation",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    await bob.join("room");
    await alice.join("room");
    await alice.broadcast("room", "one");
    await alice.broadcast("room", "two, @bob");
    const third = await alice.broadcast("room", "three", { data: { mentions: ["bob"] } });
    await alice.members("room");
    const counts = () => bob.readPosition(ROOM);
    await until(() => counts()?.unread === 3);
    assertEquals(counts()?.mentions, 2);

    // Bob's second device hears the same counts on connect.
    const phone = clients.connect({ url: server.ws, token: bob.token });
    await phone.ready();
    await until(() => phone.readPosition(ROOM) !== undefined);
    const { unread, mentions } = phone.readPosition(ROOM)!;
    assertEquals([unread, mentions], [3, 2]);

    const reads = collect(phone, "read");
    await bob.markRead(ROOM, third);
    for (const session of [bob, phone]) {
      await until(() => session.readPosition(ROOM)?.unread === 0);
      assertEquals(session.readPosition(ROOM), {
        conversation: ROOM,
        read: third,
        unread: 0,
        mentions: 0,
      });
    }
    assertEquals(reads.map((read) => [read.conversation, read.id]), [[ROOM, third]]);
    // A small channel's receipts: alice's watched list says how far bob has read, as a new read does.
    const bobIn = (members: ChannelMember[]) => members.find((member) => member.name === "bob");
    await until(() => bobIn(alice.memberList("room"))?.read === third);
    assertEquals(bobIn(await phone.members("room"))?.read, third);
    await bob.broadcast("room", "my own is never unread");
    await alice.broadcast("room", "four");
    await until(() => phone.readPosition(ROOM)?.unread === 1);

    const receipts = collect(alice, "readReceipt");
    const dm = await alice.directMessage("bob", "psst");
    await until(() => bob.readPosition({ with: "alice" })?.unread === 1);
    await phone.markRead({ with: "alice" });
    await until(() => alice.readPosition({ with: "bob" })?.theirRead === dm);
    assertEquals(
      receipts.filter((receipt) => receipt.direct).map((r) => [r.conversation, r.from, r.id]),
      [[{ with: "bob" }, "bob", dm]],
    );
    await until(() => bob.readPosition({ with: "alice" })?.unread === 0);

    // A new session of alice's hears how far bob has read their conversation.
    const tablet = clients.connect({ url: server.ws, token: alice.token });
    await tablet.ready();
    await until(() => tablet.readPosition({ with: "bob" }) !== undefined);
    assertEquals(tablet.readPosition({ with: "bob" })?.theirRead, dm);
  },
);

Deno.test("client SDK: a change made while disconnected goes out on the reconnect; one missed while away is replayed once [deno]", async () => {
  await using server = await startServer("deno");
  await using proxy = startProxy(server.port);
  await using clients = clientPool();
  const alice = clients.connect({ url: server.ws, username: "alice" });
  // A long first backoff: alice's changes come while bob is away.
  const bob = clients.connect({ url: proxy.ws, username: "bob", backoff: { initialMs: 3_000 } });
  await Promise.all([alice.ready(), bob.ready()]);
  await alice.join("room");
  await bob.join("room");
  const bobSaw = collect(bob, "change");
  const id = await alice.broadcast("room", "helo");
  const bobs = await bob.broadcast("room", "hi");
  proxy.cut();
  await until(() => bob.state === "reconnecting");
  const queued = bob.react(ROOM, id, "🎉");
  await alice.editMessage(ROOM, id, "hello");
  await until(() => bob.state === "open");
  assert(await queued !== undefined, "the queued reaction was stored");
  await alice.react(ROOM, bobs, "👀");
  await until(() => bobSaw.length === 3);
  assertEquals(
    bobSaw.map((c) => [c.type, c.target, c.replay ?? false]),
    [["messageEdited", id, true], ["reaction", id, false], ["reaction", bobs, false]],
  );
  assertEquals(find(await alice.history(ROOM), id).reactions, [{ emoji: "🎉", count: 1 }]);
});

testEachRuntime(
  "client SDK: a direct message sent from this session marks the conversation read here too",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    const phone = clients.connect({ url: server.ws, token: bob.token });
    await phone.ready();
    await alice.directMessage("bob", "one");
    await alice.directMessage("bob", "two");
    await until(() => bob.readPosition({ with: "alice" })?.unread === 2);
    await until(() => phone.readPosition({ with: "alice" })?.unread === 2);
    const answer = await bob.directMessage("alice", "answering both");
    // The sending session gets no copy of its message, yet it read what came before it.
    assertEquals(bob.readPosition({ with: "alice" }), {
      conversation: { with: "alice" },
      read: answer,
      unread: 0,
      mentions: 0,
    });
    await until(() => phone.readPosition({ with: "alice" })?.unread === 0);
    const tablet = clients.connect({ url: server.ws, token: bob.token });
    await tablet.ready();
    await until(() => tablet.readPosition({ with: "alice" }) !== undefined);
    assertEquals(tablet.readPosition({ with: "alice" })?.unread, 0, "the server's count agrees");
  },
);

testEachRuntime(
  "client SDK: marking read as each message arrives sends one request at a time",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await alice.directMessage("bob", `m${i}`));
    await until(() => bob.readPosition({ with: "alice" })?.unread === 20);
    const reads = collect(alice, "readReceipt");
    // Twenty marks at once: the first goes, the rest wait as one, with the newest id.
    await Promise.all(ids.map((id) => bob.markRead({ with: "alice" }, id)));
    await until(() => reads.at(-1)?.id === ids.at(-1));
    assertEquals(reads.map((receipt) => receipt.id), [ids[0], ids.at(-1)]);
    assertEquals(bob.readPosition({ with: "alice" })?.unread, 0);
  },
);
