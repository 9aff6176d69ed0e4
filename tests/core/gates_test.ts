/**
 * Replay gates end with the topic: a session that resumed a channel and
 * left it pays nothing for it afterwards, on any delivery.
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
  broker.onEvents({
    deliver: createDelivery(roster, silent, () => {}, () => {}),
    revoked() {},
    expired() {},
  });
  return { broker, channels, memberships };
}

Deno.test("gates: leaving a resumed channel ends its gates; later deliveries pass ungated", async () => {
  const { broker, channels, memberships } = setUp();
  await claimName(broker, "alice");
  await broker.bus.publish([channelTopic("quiet")], {
    kind: "channel",
    from: "bob",
    to: "quiet",
    text: "old",
  });
  const alice = fakeSession({ user: "alice" });
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
