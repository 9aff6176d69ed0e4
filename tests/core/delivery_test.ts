/**
 * Delivery from the broker to local sessions, on fake connections: one
 * encode per client kind, who is left out, the replay gate, and a failing
 * or slow receiver that is closed alone while the others get their frame.
 */
import type { Envelope } from "../../src/broker/broker.ts";
import { createDelivery } from "../../src/core/delivery.ts";
import { holdLive } from "../../src/core/replay.ts";
import { createRoster } from "../../src/core/roster.ts";
import type { Session } from "../../src/core/session.ts";
import type { Codec, DeliveredMessage, Outbound } from "../../src/protocol/commands.ts";
import { assertEquals } from "../support/assert.ts";
import {
  codecA,
  codecB,
  fakeSession,
  framesOf,
  recordingLog,
  silent,
  testSettings,
} from "../support/sessions.ts";

/** A bus that subscribes to nothing: these tests hand envelopes to delivery themselves. */
const quietBus = { subscribe: () => Promise.resolve(), unsubscribe: () => Promise.resolve() };

function counting(codec: Codec): Codec & { encodes: number } {
  const counted = {
    kind: codec.kind,
    encodes: 0,
    decode: codec.decode,
    encode(event: Outbound) {
      counted.encodes++;
      return codec.encode(event);
    },
  };
  return counted;
}

function message(id: string, overrides: Partial<DeliveredMessage> = {}): DeliveredMessage {
  return { id, ts: 1, from: "alice", to: "lobby", text: `text ${id}`, ...overrides };
}

/** A delivery over a roster holding `members` on `topic`. */
async function deliveryTo(topic: string, members: Session[], log = silent) {
  const roster = createRoster<Session>(quietBus);
  for (const member of members) await roster.add(topic, member);
  return createDelivery(roster, log, () => {
    throw new Error("no membership signal in these tests");
  }, () => {
    throw new Error("no presence signal in these tests");
  });
}

Deno.test("delivery: one encode per client kind, the same string to every receiver", async () => {
  const a = counting(codecA);
  const b = counting(codecB);
  const receivers = [
    ...Array.from({ length: 500 }, () => fakeSession({ codec: a })),
    ...Array.from({ length: 500 }, () => fakeSession({ codec: b })),
  ];
  const deliver = await deliveryTo("channel:lobby", receivers);
  deliver("channel:lobby", { kind: "channel", message: message("0000000000001-000000") });
  assertEquals([a.encodes, b.encodes], [1, 1]);
  const sent = receivers.flatMap((session) => session.connection.sent);
  assertEquals(sent.length, 1000);
  assertEquals(new Set(sent).size, 2);
});

Deno.test("delivery: a receiver whose connection throws is closed with 1011; the others get the frame", async () => {
  const log = recordingLog();
  const first = fakeSession({ settings: testSettings({ log }) });
  const broken = fakeSession({ settings: testSettings({ log }) });
  const last = fakeSession({ settings: testSettings({ log }) });
  broken.connection.broken = true;
  const deliver = await deliveryTo("channel:dev", [first, broken, last], log);
  deliver("channel:dev", { kind: "typing", from: "carol", to: "dev" });
  assertEquals([first.connection.sent.length, last.connection.sent.length], [1, 1]);
  assertEquals(broken.connection.closedWith?.code, 1011);
  assertEquals(broken.state, "closed");
  assertEquals(log.lines, ["error internal fault"]);
});

Deno.test("delivery: sessions not open get nothing", async () => {
  const open = fakeSession();
  const registering = fakeSession({ state: "registering" });
  const closed = fakeSession({ state: "closed" });
  const deliver = await deliveryTo("channel:x", [open, registering, closed]);
  deliver("channel:x", { kind: "channel", message: message("0000000000001-000000") });
  assertEquals(
    [open, registering, closed].map((session) => session.connection.sent.length),
    [1, 0, 0],
  );
});

Deno.test("delivery: a direct message skips its sending session; the sender's other sessions get a copy", async () => {
  const sending = fakeSession({ user: "Alice" });
  const otherTab = fakeSession({ user: "Alice" });
  const deliver = await deliveryTo("user:alice", [sending, otherTab]);
  deliver("user:alice", {
    kind: "direct",
    message: message("0000000000001-000000", { from: "Alice", to: "bob" }),
    senderSession: sending.id,
  });
  assertEquals(sending.connection.sent, []);
  assertEquals(framesOf(otherTab).map((frame) => frame.type), ["sessionUpdate"]);
});

Deno.test("delivery: the recipient's sessions get a direct message as directMessage", async () => {
  const bob = fakeSession({ user: "bob" });
  const deliver = await deliveryTo("user:bob", [bob]);
  deliver("user:bob", {
    kind: "direct",
    message: message("0000000000001-000000", { from: "Alice", to: "Bob" }),
    senderSession: "someone else",
  });
  assertEquals(framesOf(bob).map((frame) => [frame.type, frame.from]), [[
    "directMessage",
    "Alice",
  ]]);
});

Deno.test("delivery: typing reaches everyone but the typist's own sessions", async () => {
  const typist = fakeSession({ user: "Alice" });
  const typistsPhone = fakeSession({ user: "Alice" });
  const reader = fakeSession({ user: "bob" });
  const deliver = await deliveryTo("channel:dev", [typist, typistsPhone, reader]);
  deliver("channel:dev", { kind: "typing", from: "alice", to: "dev" });
  assertEquals([typist, typistsPhone, reader].map((s) => s.connection.sent.length), [0, 0, 1]);
});

Deno.test("delivery: a session replaying the topic gets nothing live; the message waits in its gate", async () => {
  const replaying = fakeSession();
  const live = fakeSession();
  holdLive(replaying, "channel:news");
  const deliver = await deliveryTo("channel:news", [replaying, live]);
  const envelope: Envelope = { kind: "channel", message: message("0000000000001-000000") };
  deliver("channel:news", envelope);
  assertEquals([replaying.connection.sent.length, live.connection.sent.length], [0, 1]);
  assertEquals(replaying.replaying.get("channel:news"), [envelope]);
  deliver("channel:news", { kind: "typing", from: "carol", to: "news" });
  assertEquals(replaying.connection.sent.length, 1, "typing is never held");
});

Deno.test("delivery: after a replay, late live copies up to the replayed id are skipped", async () => {
  const session = fakeSession();
  session.sentUpTo.set("channel:news", "0000000000002-000000");
  const deliver = await deliveryTo("channel:news", [session]);
  for (const id of ["0000000000001-000000", "0000000000002-000000", "0000000000003-000000"]) {
    deliver("channel:news", { kind: "channel", message: message(id) });
  }
  assertEquals(framesOf(session).map((frame) => frame.id), ["0000000000003-000000"]);
  assertEquals(session.sentUpTo.size, 0, "the first newer message ends the check");
});

Deno.test("delivery: a receiver past SLOW_CONSUMER_BYTES is closed with 4005 and gets nothing more", async () => {
  const log = recordingLog();
  const slow = fakeSession({ settings: testSettings({ log, slowConsumerBytes: 65_536 }) });
  const reader = fakeSession();
  const deliver = await deliveryTo("channel:x", [slow, reader]);
  deliver("channel:x", { kind: "channel", message: message("0000000000001-000000") });
  slow.connection.buffered = 65_537;
  deliver("channel:x", { kind: "channel", message: message("0000000000002-000000") });
  deliver("channel:x", { kind: "channel", message: message("0000000000003-000000") });
  assertEquals(slow.connection.closedWith, { code: 4005, reason: "slow consumer" });
  assertEquals(slow.connection.sent.length, 2, "the frame that overflowed was the last");
  assertEquals(reader.connection.sent.length, 3);
  assertEquals(log.lines, ["warn slow consumer disconnected"]);
});
