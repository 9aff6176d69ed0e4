/**
 * Presence and bounded lists in the core, with the broker's answers held
 * at chosen moments: changes during a `members` page, the JWT claim, a
 * newcomer's list read racing the list tick, and a list that changes all
 * the time next to one that changed once.
 */
import { createMemoryBroker } from "../../src/broker/memory.ts";
import type { Broker, PresenceChange } from "../../src/broker/broker.ts";
import { createPresence } from "../../src/core/presence.ts";
import type { Session } from "../../src/core/session.ts";
import { assert, assertEquals } from "../support/assert.ts";
import {
  claimName,
  eventually,
  fakeSession,
  framesOf,
  listFeedOn,
  presenceOn,
  silent,
} from "../support/sessions.ts";

Deno.test("presence: a change arriving while the first members page is read comes right after it", async () => {
  const inner = createMemoryBroker();
  await claimName(inner, "bob");
  await inner.channels.create("room");
  await inner.users.setMembership("bob", "room", true);
  const pageGate = Promise.withResolvers<void>();
  const reading = Promise.withResolvers<void>();
  const broker: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      async members(name, page) {
        const result = await inner.channels.members(name, page); // page read: bob online
        reading.resolve();
        await pageGate.promise; // the reply is still on its way when the change arrives
        return result;
      },
    },
  };
  const presence = createPresence({
    broker,
    log: silent,
    presenceEventsMaxMembers: 1000,
    readReceiptsMaxMembers: 50,
  });
  const alice = fakeSession({ user: "alice" });
  alice.channels.add("room");
  const answered = presence.handle(alice, { type: "members", channel: "room", limit: 50 });
  await reading.promise;
  const change: PresenceChange = {
    kind: "presence",
    event: "status",
    name: "bob",
    online: false,
    status: "online",
    members: 1,
  };
  presence.deliver([alice], "room", change);
  pageGate.resolve();
  await answered;
  assertEquals(framesOf(alice).map((f) => f.type), ["members", "member"]);
  await inner.close();
});

Deno.test("presence: members is refused for a channel outside the JWT channels claim", async () => {
  const broker = createMemoryBroker();
  await claimName(broker, "bob");
  await broker.channels.create("secret-ops");
  await broker.users.setMembership("bob", "secret-ops", true);
  const presence = presenceOn(broker);
  const alice = fakeSession({ user: "alice" });
  alice.grant = { channels: ["team-*"], expiry: 0 as never };
  let refused = false;
  try {
    await presence.handle(alice, { type: "members", channel: "secret-ops", limit: 50 });
  } catch {
    refused = true;
  }
  assert(refused, `members of a channel outside the claim answered: ${alice.connection.sent}`);
  await broker.close();
});

Deno.test("lists: a userList that changes at every tick does not starve a changed channelList", async () => {
  const broker = createMemoryBroker();
  for (let i = 0; i < 20; i++) await claimName(broker, `user-with-a-name-${i}`);
  const presence = presenceOn(broker);
  const lists = listFeedOn(broker, presence, 20, { listMaxNames: 200, listBytesPerSecond: 4000 });
  const session = fakeSession();
  await lists.sendCurrent(session);
  lists.start({ values: () => [session as Session].values() });
  // One guest online at a time, a different one every 10 ms: the userList differs at every tick.
  let guest = 0;
  await claimName(broker, "guest-0");
  const churn = setInterval(() => {
    broker.users.close(`guest-${guest}`, `session-guest-${guest}`);
    claimName(broker, `guest-${++guest}`);
  }, 10);
  try {
    await broker.channels.create("dev");
    await eventually(
      () =>
        framesOf(session).some((f) =>
          f.type === "channelList" && String(f.message).includes("dev")
        ),
      "the changed channelList",
    );
  } finally {
    clearInterval(churn);
    lists.stop();
    await broker.close();
  }
});

Deno.test("lists: a newcomer's list read never wipes what the tick reads for other sessions", async () => {
  const inner = createMemoryBroker();
  for (const name of ["alice", "bob", "carol", "dan"]) await claimName(inner, name);
  for (const [name, channel] of [["alice", "x"], ["bob", "x"], ["alice", "z"], ["carol", "y"]]) {
    await inner.channels.create(channel);
    await inner.users.setMembership(name, channel, true);
  }
  const xRead = Promise.withResolvers<void>();
  const zRead = Promise.withResolvers<void>();
  let gating = false;
  const broker: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      async onlineMembers(name, limit) {
        const result = await inner.channels.onlineMembers(name, limit);
        if (gating && name === "x") xRead.resolve();
        if (gating && name === "z") await zRead.promise;
        return result;
      },
    },
  };
  const presence = presenceOn(broker);
  // listMaxNames 2 < 4 users online: bounded lists.
  const lists = listFeedOn(broker, presence, 20, {
    listMaxNames: 2,
    listBytesPerSecond: 1_000_000,
  });
  const alice = fakeSession({ user: "alice" });
  alice.channels.add("x");
  alice.channels.add("z");
  await lists.sendCurrent(alice);
  assertEquals(framesOf(alice)[0].message, '["alice","bob"]');
  // Make the tick re-read x and z (as after a change), holding z's read.
  gating = true;
  presence.deliver([], "x", {
    kind: "presence",
    event: "status",
    name: "bob",
    online: true,
    status: "away",
    members: 2,
  });
  presence.deliver([], "z", {
    kind: "presence",
    event: "status",
    name: "alice",
    online: true,
    status: "away",
    members: 1,
  });
  const audience = [alice as Session];
  lists.start({ values: () => audience.values() });
  try {
    await xRead.promise;
    // x was read for the tick; z is still on its way; a newcomer in y connects now.
    const carol = fakeSession({ user: "carol" });
    carol.channels.add("y");
    const newcomer = lists.sendCurrent(carol);
    await new Promise((resolve) => setTimeout(resolve, 10));
    zRead.resolve();
    await newcomer;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const userLists = framesOf(alice).filter((f) => f.type === "userList").map((f) => f.message);
    assertEquals(userLists, ['["alice","bob"]'], "alice's list never loses bob");
  } finally {
    lists.stop();
    await inner.close();
  }
});
