/**
 * The replay gate and resume, over the in-memory broker's history: the
 * replay comes first and is marked, live messages held during the read
 * follow without repeat, and a failed read leaves nothing behind.
 */
import {
  BrokerUnavailableError,
  type HistoryStore,
  type MessageEnvelope,
} from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { admits, dropHeld, holdLive, resume } from "../../src/core/replay.ts";
import { assertEquals, assertRejects } from "../support/assert.ts";
import { fakeSession, framesOf } from "../support/sessions.ts";

const TOPIC = "channel:news";

/** A memory broker with `count` messages published to `TOPIC`; their envelopes, in order. */
async function published(count: number) {
  const broker = createMemoryBroker();
  const envelopes: MessageEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    const { message } = await broker.bus.publish([TOPIC], {
      kind: "channel",
      from: "alice",
      to: "news",
      text: `m${i}`,
    });
    envelopes.push({ kind: "channel", message });
  }
  return { broker, envelopes };
}

/** What a session was sent, as [text, replay flag]. */
function received(session: ReturnType<typeof fakeSession>) {
  return framesOf(session).map((frame) => [frame.message, frame.replay ?? false]);
}

Deno.test("replay: the gate holds a topic's live messages while it is replayed, never typing", () => {
  const session = fakeSession();
  holdLive(session, TOPIC);
  const message = { id: "0000000000001-000000", ts: 1, from: "a", to: "news", text: "x" };
  assertEquals(admits(session, TOPIC, { kind: "channel", message }), false);
  assertEquals(admits(session, "channel:other", { kind: "channel", message }), true);
  assertEquals(admits(session, TOPIC, { kind: "typing", from: "a", to: "news" }), true);
  assertEquals(session.gates?.replaying.get(TOPIC)?.length, 1);
  dropHeld(session, TOPIC);
  assertEquals(session.gates?.replaying.size ?? 0, 0);
});

Deno.test("replay: resume sends what came after since, marked, then what was held, once each", async () => {
  const { broker, envelopes } = await published(4);
  const session = fakeSession();
  holdLive(session, TOPIC);
  // Two live copies arrive during the read: one the history has too, one newer.
  admits(session, TOPIC, envelopes[3]);
  const { message } = await broker.bus.publish([TOPIC], {
    kind: "channel",
    from: "alice",
    to: "news",
    text: "m4",
  });
  admits(session, TOPIC, { kind: "channel", message });
  await resume(session, broker.history, TOPIC, envelopes[1].message.id, "news");
  assertEquals(received(session), [["m2", true], ["m3", true], ["m4", true]]);
  assertEquals(session.gates?.replaying.size ?? 0, 0);
  assertEquals(session.gates?.sentUpTo.get(TOPIC), message.id);
  assertEquals(admits(session, TOPIC, { kind: "channel", message }), false, "a late copy");
  await broker.close();
});

Deno.test("replay: live messages newer than the history read are sent live, after the replay", async () => {
  const { broker, envelopes } = await published(2);
  const stale: HistoryStore = {
    ...broker.history,
    // The read saw only the first message; the second came live while it ran.
    since: async (topic, after) => {
      const read = await broker.history.since(topic, after);
      return { ...read, envelopes: read.envelopes.slice(0, 1) };
    },
  };
  const session = fakeSession();
  holdLive(session, TOPIC);
  admits(session, TOPIC, envelopes[1]);
  await resume(session, stale, TOPIC, "0000000000000-000000", "news");
  assertEquals(received(session), [["m0", true], ["m1", false]]);
  await broker.close();
});

Deno.test("replay: held messages older than since are not sent again", async () => {
  const { broker, envelopes } = await published(3);
  const session = fakeSession();
  holdLive(session, TOPIC);
  admits(session, TOPIC, envelopes[0]);
  await resume(session, broker.history, TOPIC, envelopes[1].message.id, "news");
  assertEquals(received(session), [["m2", true]]);
  await broker.close();
});

Deno.test("replay: a truncated history is announced before what is left", async () => {
  const broker = createMemoryBroker({ historyLimit: 2 });
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { message } = await broker.bus.publish([TOPIC], {
      kind: "channel",
      from: "alice",
      to: "news",
      text: `m${i}`,
    });
    ids.push(message.id);
  }
  const session = fakeSession();
  holdLive(session, TOPIC);
  await resume(session, broker.history, TOPIC, ids[0], 'channel "news"');
  const frames = framesOf(session);
  assertEquals(frames[0].code, "history_truncated");
  assertEquals(
    frames[0].message,
    `Some messages of channel "news" after ${ids[0]} are no longer kept: replaying the rest`,
  );
  assertEquals(frames.slice(1).map((frame) => frame.message), ["m2", "m3"]);
  await broker.close();
});

Deno.test("replay: a user's own direct messages from earlier sessions replay as sessionUpdate", async () => {
  const broker = createMemoryBroker();
  const session = fakeSession({ user: "alice" });
  await broker.bus.publish(["user:bob", "user:alice"], {
    kind: "direct",
    from: "alice",
    to: "bob",
    text: "psst",
    senderSession: "an earlier session",
  });
  holdLive(session, "user:alice");
  await resume(session, broker.history, "user:alice", "0000000000000-000000", "your messages");
  assertEquals(framesOf(session).map((frame) => [frame.type, frame.replay]), [[
    "sessionUpdate",
    true,
  ]]);
  await broker.close();
});

Deno.test("replay: a held direct message this very session sent is not sent back to it", async () => {
  const broker = createMemoryBroker();
  const session = fakeSession({ user: "alice" });
  holdLive(session, "user:alice");
  const { message } = await broker.bus.publish(["user:bob", "user:alice"], {
    kind: "direct",
    from: "alice",
    to: "bob",
    text: "mine",
    senderSession: session.id,
  });
  admits(session, "user:alice", { kind: "direct", message, senderSession: session.id });
  const empty = {
    ...broker.history,
    since: () => Promise.resolve({ envelopes: [], truncated: false }),
  };
  await resume(session, empty, "user:alice", "0000000000000-000000", "your messages");
  assertEquals(session.connection.sent, []);
  assertEquals(
    session.gates?.sentUpTo.get("user:alice"),
    message.id,
    "yet the replay counts it as sent",
  );
  await broker.close();
});

Deno.test("replay: a failed history read sends nothing, drops what was held, and throws", async () => {
  const { broker, envelopes } = await published(1);
  const failing: HistoryStore = {
    ...broker.history,
    since: () => Promise.reject(new BrokerUnavailableError("down")),
  };
  const session = fakeSession();
  holdLive(session, TOPIC);
  admits(session, TOPIC, envelopes[0]);
  await assertRejects(
    () => resume(session, failing, TOPIC, "0000000000000-000000", "news"),
    BrokerUnavailableError,
  );
  assertEquals([session.connection.sent, session.gates?.replaying.size ?? 0], [[], 0]);
  assertEquals(session.gates?.sentUpTo.size ?? 0, 0);
  await broker.close();
});
