/**
 * Memberships as the user's, on the embedded broker and fake sessions: a
 * join recorded and signalled once, a follow that joins and tells the
 * session, even when its command queue is full, and a restore listing the
 * user's channels live or for the client to rejoin.
 */
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { assertEquals } from "../support/assert.ts";
import { channelsOn, eventually, fakeSession, framesOf } from "../support/sessions.ts";

function setUp() {
  const broker = createMemoryBroker();
  return { broker, memberships: channelsOn(broker).memberships };
}

Deno.test("memberships: a join is the user's, recorded once", async () => {
  const { broker, memberships } = setUp();
  const tab = fakeSession({ user: "alice" });
  await memberships.join(tab, "general");
  await memberships.join(tab, "general");
  assertEquals(await broker.users.memberships("alice"), ["general"]);
  await memberships.leave(tab, "general");
  assertEquals(await broker.users.memberships("alice"), []);
  await broker.close();
});

Deno.test("memberships: a follow joins the session and tells it, even with its queue full", async () => {
  const { broker, memberships } = setUp();
  const tab = fakeSession({ user: "alice" });
  tab.pending = tab.settings.maxQueuedFrames;
  memberships.follow(tab, {
    kind: "membership",
    channel: "general",
    member: true,
    exceptSession: "x",
  });
  await eventually(() => tab.channels.has("general"), "the follow joined");
  const frames = framesOf(tab);
  assertEquals(frames.map((frame) => [frame.type, frame.to]), [["joined", "general"]]);
  await broker.close();
});

Deno.test("memberships: a restore puts the session in its user's channels, or only lists them, with its pending invitations", async () => {
  const { broker, memberships } = setUp();
  await broker.users.setMembership("alice", "general", true);
  await broker.channels.create("plans", { private: true, owner: "olga" });
  await broker.channels.invite("plans", "alice");
  const live = fakeSession({ user: "alice" });
  await memberships.restore(live, true);
  assertEquals([...live.channels], ["general"]);
  const [membershipsFrame, readState] = framesOf(live).slice(-2);
  assertEquals(readState, {
    type: "readState",
    to: "",
    from: "",
    sessionID: "",
    message: "",
    channels: [{ name: "general", unread: 0, mentions: 0 }],
    conversations: [],
  });
  assertEquals(membershipsFrame, {
    type: "memberships",
    to: "",
    from: "",
    sessionID: "",
    message: "",
    live: true,
    channels: [{ name: "general" }],
    invited: ["plans"],
  });
  const resuming = fakeSession({ user: "alice" });
  await memberships.restore(resuming, false);
  assertEquals([resuming.channels.size, framesOf(resuming).at(-2)?.live], [0, false]);
  await broker.close();
});
