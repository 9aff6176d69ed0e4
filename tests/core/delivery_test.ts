/**
 * Delivery from the broker to local sessions, on fake connections: one
 * encode per client kind, who is left out, the replay gate, and a failing
 * or slow receiver that is closed alone while the others get their frame.
 */
import { Metrics } from "../../src/metrics/metrics.ts";
import type { Envelope } from "../../src/broker/broker.ts";
import { createDelivery } from "../../src/core/delivery.ts";
import { holdLive } from "../../src/core/replay.ts";
import { createRoster } from "../../src/core/roster.ts";
import type { Session } from "../../src/core/session.ts";
import type { Codec, DeliveredMessage, Outbound } from "../../src/protocol/commands.ts";
import { assert, assertEquals } from "../support/assert.ts";
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
  return createDelivery({
    roster,
    log,
    follow() {
      throw new Error("no membership signal in these tests");
    },
    onPresence() {
      throw new Error("no presence signal in these tests");
    },
    lastDelivered: new Map(),
    metrics: new Metrics(),
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
  assertEquals(log.lines, ["error session.internal_fault"]);
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
  assertEquals(replaying.gates?.replaying.get("channel:news"), [envelope]);
  deliver("channel:news", { kind: "typing", from: "carol", to: "news" });
  assertEquals(replaying.connection.sent.length, 1, "typing is never held");
});

Deno.test("delivery: after a replay, late live copies up to the replayed id are skipped", async () => {
  const session = fakeSession();
  session.gates = {
    replaying: new Map(),
    sentUpTo: new Map([["channel:news", "0000000000002-000000"]]),
    sentLive: new Map(),
  };
  const deliver = await deliveryTo("channel:news", [session]);
  for (const id of ["0000000000001-000000", "0000000000002-000000", "0000000000003-000000"]) {
    deliver("channel:news", { kind: "channel", message: message(id) });
  }
  assertEquals(framesOf(session).map((frame) => frame.id), ["0000000000003-000000"]);
  assertEquals(session.gates?.sentUpTo.size ?? 0, 0, "the first newer message ends the check");
});

/** A session whose client reads nothing: every byte sent to it stays buffered. */
function stalled(slowConsumerBytes: number, log = silent) {
  const session = fakeSession({ settings: testSettings({ log, slowConsumerBytes }) });
  const send = session.connection.send;
  session.connection.send = (text) => {
    send(text);
    session.connection.buffered += new TextEncoder().encode(text).length;
  };
  return session;
}

/** A fake connection that counts how often `bufferedAmount` is read. */
function countingReads(session: ReturnType<typeof fakeSession>): { reads: number } {
  const counter = { reads: 0 };
  Object.defineProperty(session.connection, "bufferedAmount", {
    get: () => {
      counter.reads++;
      return session.connection.buffered;
    },
  });
  return counter;
}

Deno.test("delivery: a receiver past SLOW_CONSUMER_BYTES is closed with 4005 and gets nothing more", async () => {
  const log = recordingLog();
  const limit = 65_536;
  const slow = stalled(limit, log);
  const reader = fakeSession();
  const deliver = await deliveryTo("channel:x", [slow, reader]);
  const text = "é".repeat(90);
  let sent = 0;
  for (let i = 1; slow.state === "open"; i++) {
    assert(i < 10_000, "the stalled receiver is dropped");
    deliver("channel:x", { kind: "channel", message: message(id(i), { text }) });
    sent = i;
  }
  assertEquals(slow.connection.closedWith, { code: 4005, reason: "slow consumer" });
  const lastFrame = new TextEncoder().encode(slow.connection.sent.at(-1)!).length;
  assert(
    slow.connection.buffered > limit && slow.connection.buffered <= limit + lastFrame,
    `dropped with ${slow.connection.buffered} bytes waiting: past the bound by at most one frame`,
  );
  deliver("channel:x", { kind: "channel", message: message(id(sent + 1)) });
  assertEquals(slow.connection.sent.length, sent, "the frame that overflowed was the last");
  assertEquals(reader.connection.sent.length, sent + 1);
  assertEquals(log.lines, ["warn session.slow_consumer"]);
});

Deno.test("delivery: many small frames to a stalled receiver still drop it within the bound", async () => {
  const limit = 65_536;
  const slow = stalled(limit);
  const deliver = await deliveryTo("channel:x", [slow]);
  for (let i = 1; slow.state === "open"; i++) {
    assert(i < 100_000, "the stalled receiver is dropped");
    deliver("channel:x", { kind: "typing", from: "carol", to: "x" });
  }
  assertEquals(slow.connection.closedWith?.code, 4005);
  assert(slow.connection.buffered <= limit + 100, `${slow.connection.buffered} bytes waiting`);
});

Deno.test("delivery: the backlog of a client that reads is not looked at once per delivery", async () => {
  const reader = fakeSession();
  const counter = countingReads(reader);
  const deliver = await deliveryTo("channel:x", [reader]);
  for (let i = 1; i <= 1000; i++) {
    deliver("channel:x", { kind: "channel", message: message(id(i)) });
  }
  assertEquals(reader.connection.sent.length, 1000);
  assert(counter.reads <= 1, `bufferedAmount read ${counter.reads} times for 1000 frames`);
});

/** The message id of the `n`th message. */
function id(n: number): string {
  return `${String(n).padStart(13, "0")}-000000`;
}
