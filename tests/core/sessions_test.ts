/**
 * The session registry, through the wired core on fake connections: how a
 * session's frames are routed, a claim the broker revokes, and the release
 * of everything a closed session held, once.
 */
import type { Broker, BrokerEvents } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { type Chat, createChat } from "../../src/core/chat.ts";
import type { ConnectionEvents } from "../../src/core/connection.ts";
import { loadConfig } from "../../src/config.ts";
import type { Handshake } from "../../src/protocol/handshake.ts";
import { assertEquals } from "../support/assert.ts";
import {
  eventually,
  type FakeConnection,
  fakeConnection,
  microtasksDrained,
  silent,
} from "../support/sessions.ts";

/** A core on a memory broker that records (un)subscriptions and lets the test raise broker events. */
async function withCore(
  fn: (core: {
    chat: Chat;
    broker: Broker;
    subscribed: Set<string>;
    events: () => BrokerEvents;
    connect(handshake: Handshake): { connection: FakeConnection; events: ConnectionEvents };
  }) => Promise<void>,
): Promise<void> {
  const inner = createMemoryBroker();
  const subscribed = new Set<string>();
  let registered: BrokerEvents | undefined;
  const broker: Broker = {
    ...inner,
    bus: {
      ...inner.bus,
      subscribe: (topic) => {
        subscribed.add(topic);
        return inner.bus.subscribe(topic);
      },
      unsubscribe: (topic) => {
        subscribed.delete(topic);
        return inner.bus.unsubscribe(topic);
      },
    },
    onEvents(events) {
      registered = events;
      inner.onEvents(events);
    },
  };
  const chat = createChat({ ...loadConfig({}), broker, log: silent });
  await chat.start();
  const connect = (handshake: Handshake) => {
    const connection = fakeConnection();
    return { connection, events: chat.accept(connection, handshake) };
  };
  try {
    await fn({ chat, broker, subscribed, events: () => registered!, connect });
  } finally {
    await chat.shutdown();
    await inner.close();
  }
}

/** Resolves with the first frame sent to `connection` that has every key of `match`. */
async function frame(connection: FakeConnection, match: Record<string, unknown>) {
  const find = () =>
    connection.sent.map((text) => JSON.parse(text)).find((sent) =>
      Object.entries(match).every(([key, value]) => sent[key] === value)
    );
  await eventually(() => find() !== undefined, `a frame ${JSON.stringify(match)}`);
  return find();
}

Deno.test("registry: a kind-B client's first frame opens it; the next ones are lobby messages", async () => {
  await withCore(async ({ broker, connect }) => {
    const bob = connect({ kind: "B" });
    bob.events.text(JSON.stringify({ sender: "Bob", text: "", ref: "open" }));
    bob.events.text(JSON.stringify({ sender: "Mallory", text: "hello", ref: "say" }));
    await frame(bob.connection, { type: "ack", ref: "say" });
    const lobby = await broker.history.page("channel:lobby", { limit: 10 });
    assertEquals(lobby.map((e) => [e.message.from, e.message.text]), [
      ["Server", "Bob has joined the chat"],
      ["Bob", "hello"],
    ]);
  });
});

Deno.test("registry: a claim the broker revokes closes that session with username_taken (4002)", async () => {
  await withCore(async ({ connect, events, chat }) => {
    const alice = connect({ kind: "A", username: "alice" });
    const bob = connect({ kind: "A", username: "bob" });
    const welcome = await frame(alice.connection, { type: "sessionID" });
    await frame(bob.connection, { type: "sessionID" });
    events().revoked("no such session");
    events().revoked(welcome.sessionID);
    const refused = await frame(alice.connection, { type: "error" });
    assertEquals([refused.code, refused.message], [
      "username_taken",
      "Username taken by someone else while the broker was unreachable: reconnect with another name",
    ]);
    assertEquals(alice.connection.closedWith, { code: 4002, reason: "username_taken" });
    assertEquals(bob.connection.closedWith, undefined);
    await microtasksDrained();
    assertEquals(chat.sessionCount(), 1);
  });
});

Deno.test("registry: a closed session lets go of its channels, inbox, claim and lobby place, once", async () => {
  await withCore(async ({ broker, subscribed, connect, chat }) => {
    const alice = connect({ kind: "A", username: "alice" });
    alice.events.text(JSON.stringify({ type: "joinChannel", to: "dev", ref: "j" }));
    await frame(alice.connection, { type: "ack", ref: "j" });
    const bob = connect({ kind: "B" });
    bob.events.text(JSON.stringify({ sender: "Bob", text: "", ref: "open" }));
    await frame(bob.connection, { type: "ack", ref: "open" });
    // A lobby client listens to its user's topic too: a disconnect from the server API reaches it.
    assertEquals([...subscribed].sort(), [
      "channel:dev",
      "channel:lobby",
      "user:alice",
      "user:bob",
    ]);
    alice.events.closed();
    alice.events.closed();
    bob.events.closed();
    bob.events.closed();
    await eventually(() => chat.sessionCount() === 0 && subscribed.size === 0, "the releases");
    await eventually(async () => (await broker.users.online()).length === 0, "the claims' end");
    const lobbyTexts = async () =>
      (await broker.history.page("channel:lobby", { limit: 10 })).map((e) => e.message.text);
    await eventually(async () => (await lobbyTexts()).length === 2, "the farewell");
    assertEquals(await lobbyTexts(), ["Bob has joined the chat", "Bob has left the chat"]);
  });
});
