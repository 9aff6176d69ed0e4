/**
 * The command handlers on fake sessions over the in-memory broker: what each
 * command publishes or answers, and each refusal with the client's `ref`.
 * Deliveries are recorded from the broker itself, as another instance would
 * see them.
 */
import type { Envelope } from "../../src/broker/broker.ts";
import { createMemoryHub } from "../../src/broker/memory.ts";
import { createModeration } from "../../src/core/moderation.ts";
import { createHandlers, type Handlers } from "../../src/core/handlers.ts";
import type { Session } from "../../src/core/session.ts";
import type { Command } from "../../src/protocol/commands.ts";
import { assertEquals } from "../support/assert.ts";
import {
  CHANGE_SETTINGS,
  channelsOn,
  fakeSession,
  framesOf,
  microtasksDrained,
} from "../support/sessions.ts";

/** Handlers on one instance of a memory deployment; `watcher` is a second instance's broker. */
function deployment() {
  const hub = createMemoryHub();
  const broker = hub.connect();
  const watcher = hub.connect();
  const seen: { topic: string; envelope: Envelope }[] = [];
  watcher.onEvents({
    deliver: (topic, envelope) => seen.push({ topic, envelope }),
    revoked() {},
    expired() {},
  });
  const { memberships, presence } = channelsOn(broker);
  const handlers = createHandlers({
    broker,
    memberships,
    presence,
    moderation: createModeration({ broker, presence }),
    lobbyChannel: "lobby",
    ...CHANGE_SETTINGS,
  });
  return {
    broker,
    watcher,
    seen,
    handlers,
    /** Claims `name` for `session` in the directory (kind A unless said otherwise). */
    async claim(session: Session, kind: "A" | "B" = "A") {
      await broker.users.open({
        name: session.user!.name,
        freshTokenHash: `hash-${session.id}`,
        sessionId: session.id,
        kind,
        maxSessions: 10,
      });
    },
    async [Symbol.asyncDispose]() {
      await broker.close();
      await watcher.close();
    },
  };
}

/** Runs `commands` one after another for `session`; the frames it got, as [type, ref, code]. */
async function run(handlers: Handlers, session: Session, ...commands: Command[]) {
  for (const command of commands) await handlers.handle(session, command);
  return framesOf(session as ReturnType<typeof fakeSession>).map((frame) => [
    frame.type,
    frame.ref,
    frame.code,
  ]);
}

Deno.test("handlers: broadcast joins the channel, publishes once and acks with the stored id", async () => {
  await using d = deployment();
  await d.watcher.bus.subscribe("channel:dev");
  const alice = fakeSession({ user: "alice" });
  const answers = await run(
    d.handlers,
    alice,
    { type: "broadcast", channel: "dev", text: "hello", ref: "b1" },
    { type: "broadcast", channel: "dev", text: "hello", ref: "b1" },
  );
  assertEquals(answers, [["ack", "b1", undefined], ["ack", "b1", undefined]]);
  const [first, retry] = framesOf(alice);
  assertEquals([retry.id, retry.duplicate], [first.id, true], "the retry is the same message");
  assertEquals([...alice.channels], ["dev"]);
  await microtasksDrained();
  assertEquals(
    d.seen.filter(({ envelope }) => envelope.kind !== "presence")
      .map(({ envelope }) => envelope.kind === "channel" && { ...envelope.message, ts: 0 }),
    [{ id: String(first.id), ts: 0, from: "alice", to: "dev", text: "hello" }],
  );
});

Deno.test("handlers: a kind-B say goes to the lobby; an empty one is refused", async () => {
  await using d = deployment();
  const bob = fakeSession({ user: "Bob" });
  const answers = await run(
    d.handlers,
    bob,
    { type: "say", sender: "ignored", text: "", ref: "s0" },
    { type: "say", sender: "ignored", text: "hi all", ref: "s1" },
  );
  assertEquals(answers, [["error", "s0", "invalid_frame"], ["ack", "s1", undefined]]);
  const [stored] = await d.broker.history.page("channel:lobby", { limit: 10 });
  assertEquals([stored.message.from, stored.message.text], ["Bob", "hi all"]);
});

Deno.test("handlers: leaving a channel never joined is refused with not_member", async () => {
  await using d = deployment();
  const alice = fakeSession({ user: "alice" });
  const answers = await run(
    d.handlers,
    alice,
    { type: "leaveChannel", channel: "dev", ref: "l1" },
    { type: "createChannel", channel: "dev", ref: "c1" },
    { type: "leaveChannel", channel: "dev", ref: "l2" },
  );
  assertEquals(answers, [
    ["error", "l1", "not_member"],
    ["ack", "c1", undefined],
    ["ack", "l2", undefined],
  ]);
});

Deno.test("handlers: a direct message goes to both inboxes, or is refused for an offline or lobby-only user", async () => {
  await using d = deployment();
  const alice = fakeSession({ user: "alice" });
  const bob = fakeSession({ user: "Bob" });
  const lobbyOnly = fakeSession({ user: "carol" });
  await d.claim(bob);
  await d.claim(lobbyOnly, "B");
  const answers = await run(
    d.handlers,
    alice,
    { type: "directMessage", to: "bob", text: "psst", ref: "d1" },
    { type: "directMessage", to: "nobody", text: "?", ref: "d2" },
    { type: "directMessage", to: "carol", text: "?", ref: "d3" },
  );
  assertEquals(answers, [
    ["ack", "d1", undefined],
    ["error", "d2", "user_offline"],
    ["error", "d3", "dm_unsupported"],
  ]);
  for (const inbox of ["user:bob", "user:alice"]) {
    const stored = await d.broker.history.page(inbox, { limit: 10 });
    assertEquals(stored.map((e) => [e.message.from, e.message.to, e.message.text]), [[
      "alice",
      "Bob",
      "psst",
    ]]);
  }
});

Deno.test("handlers: a retried direct message is acked as the first even after its recipient left", async () => {
  await using d = deployment();
  const alice = fakeSession({ user: "alice" });
  const bob = fakeSession({ user: "bob" });
  await d.claim(bob);
  await run(d.handlers, alice, { type: "directMessage", to: "bob", text: "psst", ref: "d1" });
  await d.broker.users.close("bob", bob.id);
  await run(d.handlers, alice, { type: "directMessage", to: "bob", text: "psst", ref: "d1" });
  const [first, retry] = framesOf(alice);
  assertEquals([retry.type, retry.id, retry.duplicate], ["ack", first.id, true]);
});

Deno.test("handlers: typing goes to a joined channel or an online user, and is refused otherwise", async () => {
  await using d = deployment();
  await d.watcher.bus.subscribe("channel:dev");
  await d.watcher.bus.subscribe("user:bob");
  const alice = fakeSession({ user: "alice" });
  const bob = fakeSession({ user: "bob" });
  await d.claim(bob);
  await d.broker.channels.create("ops");
  const answers = await run(
    d.handlers,
    alice,
    { type: "joinChannel", channel: "dev", ref: "j" },
    { type: "typing", to: "dev", ref: "t1" },
    { type: "typing", to: "bob", ref: "t2" },
    { type: "typing", to: "ops", ref: "t3" },
    { type: "typing", to: "nobody", ref: "t4" },
  );
  assertEquals(answers, [
    ["ack", "j", undefined],
    ["ack", "t1", undefined],
    ["ack", "t2", undefined],
    ["error", "t3", "not_member"],
    ["error", "t4", "user_offline"],
  ]);
  await microtasksDrained();
  const signals = d.seen.filter(({ envelope }) => envelope.kind !== "presence");
  assertEquals(signals.map(({ topic, envelope }) => [topic, envelope]), [
    ["channel:dev", { kind: "typing", from: "alice", to: "dev" }],
    ["user:bob", { kind: "typing", from: "alice", to: "bob" }],
  ]);
});

Deno.test("handlers: history pages a channel, or one conversation of the user's inbox", async () => {
  await using d = deployment();
  const alice = fakeSession({ user: "alice" });
  const bob = fakeSession({ user: "bob" });
  const carol = fakeSession({ user: "carol" });
  for (const session of [alice, bob, carol]) await d.claim(session);
  await run(d.handlers, alice, { type: "broadcast", channel: "dev", text: "one", ref: "b" });
  await run(d.handlers, bob, { type: "directMessage", to: "alice", text: "to alice" });
  await run(d.handlers, alice, { type: "directMessage", to: "bob", text: "to bob" });
  await run(d.handlers, carol, { type: "directMessage", to: "alice", text: "from carol" });
  await run(
    d.handlers,
    alice,
    { type: "history", channel: "dev", limit: 10, ref: "h1" },
    { type: "history", with: "bob", limit: 10, ref: "h2" },
  );
  const [channelPage, conversation] = framesOf(alice).filter((frame) => frame.type === "history");
  const texts = (page: Record<string, unknown>) =>
    (page.messages as Record<string, unknown>[]).map((m) => [m.type, m.message]);
  assertEquals([channelPage.ref, channelPage.to], ["h1", "dev"]);
  assertEquals(texts(channelPage), [["broadcast", "one"]]);
  assertEquals([conversation.ref, conversation.with], ["h2", "bob"]);
  assertEquals(texts(conversation), [["directMessage", "to alice"], ["sessionUpdate", "to bob"]]);
});
