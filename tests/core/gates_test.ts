/**
 * Replay gates cost a session that is not resuming nothing: a channel it
 * was put in live needs one message to learn where live began, and a
 * channel it resumed and left leaves no gate behind.
 */
import { channelTopic } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { createChannels } from "../../src/core/channels.ts";
import { createDelivery } from "../../src/core/delivery.ts";
import { createMemberships } from "../../src/core/memberships.ts";
import { createRoster } from "../../src/core/roster.ts";
import type { Session } from "../../src/core/session.ts";
import { assertEquals } from "../support/assert.ts";
import {
  claimName,
  eventually,
  fakeSession,
  framesOf,
  presenceOn,
  silent,
  testSettings,
} from "../support/sessions.ts";

function setUp() {
  const broker = createMemoryBroker();
  const roster = createRoster<Session>(broker.bus);
  const channels = createChannels({
    broker,
    roster,
    maxChannelsPerSession: 100,
    channelCreationsPerMinute: 100,
  });
  const presence = presenceOn(broker);
  const memberships = createMemberships({ broker, channels, presence });
  // The sessions and delivery share one instance's delivery marks, as in the core.
  const settings = testSettings();
  broker.onEvents({
    deliver: createDelivery({
      roster,
      log: silent,
      follow() {},
      onPresence() {},
      lastDelivered: settings.lastDelivered,
      metrics: settings.metrics,
    }),
    revoked() {},
    expired() {},
  });
  const session = (user: string) => fakeSession({ user, settings });
  return { broker, channels, memberships, session };
}

Deno.test("gates: a returning session restored live is ungated by the first message of each channel", async () => {
  const { broker, memberships, session } = setUp();
  await claimName(broker, "alice");
  await claimName(broker, "bob");
  await broker.users.setMembership("alice", "room", true);
  const alice = session("alice");
  await memberships.restore(alice, true); // the handshake of a client that does not resume
  for (let i = 0; i < 5; i++) {
    await broker.bus.publish([channelTopic("room")], {
      kind: "channel",
      from: "bob",
      to: "room",
      text: `m${i}`,
    });
  }
  await eventually(
    () => framesOf(alice).filter((f) => f.type === "broadcast").length === 5,
    "five messages",
  );
  // Never resumed: after the first message no delivery does any replay bookkeeping for it.
  assertEquals(alice.gates, undefined, "gates dropped once nothing is replaying");
  assertEquals(alice.liveFrom?.size, 1, "only the first live id is kept, for a later resume");
  await broker.close();
});

Deno.test("gates: leaving a resumed channel ends its gates; later deliveries pass ungated", async () => {
  const { broker, channels, memberships, session } = setUp();
  await claimName(broker, "alice");
  await broker.bus.publish([channelTopic("quiet")], {
    kind: "channel",
    from: "bob",
    to: "quiet",
    text: "old",
  });
  const alice = session("alice");
  await memberships.joinAndResume(alice, "quiet", "0000000000000-000000");
  await channels.leave(alice, "quiet");
  await memberships.join(alice, "busy");
  for (let i = 0; i < 3; i++) {
    await broker.bus.publish([channelTopic("busy")], {
      kind: "channel",
      from: "bob",
      to: "busy",
      text: `m${i}`,
    });
  }
  await eventually(
    () => framesOf(alice).filter((f) => f.type === "broadcast").length === 4,
    "replay + three live",
  );
  assertEquals(alice.gates, undefined, "no gate left for a topic the session left");
  await broker.close();
});

Deno.test("gates: a session put in a channel live, resuming it later, gets what it missed and nothing twice", async () => {
  const { broker, memberships, session } = setUp();
  await claimName(broker, "alice");
  await broker.users.setMembership("alice", "room", true);
  const say = (text: string) =>
    broker.bus.publish([channelTopic("room")], { kind: "channel", from: "bob", to: "room", text });
  const before = await say("before");
  const missed = await say("missed");
  const alice = session("alice");
  await memberships.restore(alice, true);
  for (const text of ["live 1", "live 2"]) await say(text);
  await eventually(
    () => framesOf(alice).filter((f) => f.type === "broadcast").length === 2,
    "the live ones",
  );
  assertEquals(alice.gates, undefined, "ungated while it does not resume");
  // The client fills the gap after what it had seen: only what it missed comes again.
  await memberships.joinAndResume(alice, "room", before.message.id);
  await say("live 3");
  await eventually(
    () => framesOf(alice).filter((f) => f.type === "broadcast").length === 4,
    "the replay and the next live one",
  );
  assertEquals(
    framesOf(alice).filter((f) => f.type === "broadcast").map((f) => [f.message, f.replay]),
    [["live 1", undefined], ["live 2", undefined], ["missed", true], ["live 3", undefined]],
  );
  assertEquals(missed.message.text, "missed");
  await broker.close();
});
