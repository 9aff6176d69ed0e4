/**
 * Replies and structured data over real WebSockets: a message may answer
 * another of its channel or conversation (`replyTo`, checked) and carry the
 * application's `data` (bounded by MAX_DATA_BYTES); both are delivered and
 * kept unchanged, and kind-B clients see only the text.
 */
import { ask, type Frame, joinA, joinB, joinChannel } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals } from "../support/assert.ts";

const ATTACHMENT = {
  attachment: { url: "https://files.example/plan.pdf", name: "plan.pdf", size: 48213 },
  mentions: ["alice"],
};

testEachRuntime(
  "replies: a reply with data reaches the channel and its history as sent",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(alice, "room");
    await joinChannel(bob, "room");
    const asked = await ask(alice, { type: "broadcast", to: "room", message: "the plan?" }, "q");
    const answered = await ask(bob, {
      type: "broadcast",
      to: "room",
      message: "here it is",
      replyTo: asked.id,
      data: ATTACHMENT,
    }, "a");
    const live = await alice.take({ type: "broadcast", id: answered.id });
    assertEquals([live.from, live.message, live.replyTo, live.data], [
      "bob",
      "here it is",
      asked.id,
      ATTACHMENT,
    ]);
    const { messages } = await ask(bob, { type: "history", to: "room" }, "h") as Frame & {
      messages: Frame[];
    };
    assertEquals(messages.at(-1), await bob.take({ type: "broadcast", id: answered.id }));
  },
);

testEachRuntime(
  "replies: a direct message answers one of the same conversation, never another's",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    const hi = await ask(alice, { type: "directMessage", to: "bob", message: "hi" }, "1");
    const back = await ask(bob, {
      type: "directMessage",
      to: "alice",
      message: "hi yourself",
      replyTo: hi.id,
    }, "2");
    assertEquals((await alice.take({ type: "directMessage", id: back.id })).replyTo, hi.id);
    const meddling = await ask(carol, {
      type: "directMessage",
      to: "alice",
      message: "me too",
      replyTo: hi.id,
    }, "3");
    assertEquals([meddling.type, meddling.code], ["error", "reply_not_found"]);
  },
);

testEachRuntime(
  "replies: a missing target, oversized data or data that is no object is refused with its code",
  async (runtime) => {
    await using server = await startServer(runtime, { MAX_DATA_BYTES: "64" });
    await using alice = await joinA(server.ws, "alice");
    await joinChannel(alice, "room");
    const base = { type: "broadcast", to: "room", message: "x" };
    const cases: [Record<string, unknown>, string][] = [
      [{ replyTo: "1700000000000-000001" }, "reply_not_found"],
      [{ data: { text: "y".repeat(100) } }, "data_too_large"],
      [{ data: ["not", "an", "object"] }, "invalid_frame"],
      [{ replyTo: "yesterday" }, "invalid_frame"],
    ];
    for (const [i, [extra, code]] of cases.entries()) {
      const refused = await ask(alice, { ...base, ...extra }, `r${i}`);
      assertEquals([refused.type, refused.code], ["error", code], JSON.stringify(extra));
    }
    const history = await ask(alice, { type: "history", to: "room" }, "h") as Frame & {
      messages: Frame[];
    };
    assertEquals(history.messages, [], "nothing was published");
  },
);

testEachRuntime(
  "replies: a lobby client sees only the text of a message with data",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await joinChannel(alice, "lobby");
    await using lobby = await joinB(server.ws, "Leo");
    const sent = await ask(alice, {
      type: "broadcast",
      to: "lobby",
      message: "files are up",
      data: ATTACHMENT,
    }, "l");
    const seen = await lobby.take({ sender: "alice" });
    assertEquals(seen, { sender: "alice", text: "files are up", id: sent.id, ts: seen.ts });
  },
);

Deno.test("replies: across a Deno and a Node instance on Redis, a reply and a copy to the sender's other tab carry their extras [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [deno, node] = cluster.instances;
  await using alice = await joinA(deno.ws, "alice");
  await using aliceTab = await joinA(node.ws, "alice", alice.session.token);
  await using bob = await joinA(node.ws, "bob");
  const hi = await ask(bob, { type: "directMessage", to: "alice", message: "hi" }, "1");
  await alice.take({ type: "directMessage", id: hi.id });
  const answer = await ask(alice, {
    type: "directMessage",
    to: "bob",
    message: "see attached",
    replyTo: hi.id,
    data: ATTACHMENT,
  }, "2");
  for (const [client, type] of [[bob, "directMessage"], [aliceTab, "sessionUpdate"]] as const) {
    const got = await client.take({ type, id: answer.id });
    assertEquals([got.replyTo, got.data], [hi.id, ATTACHMENT], `${type} on the other instance`);
  }
});
