/**
 * Kind-A clients (seed protocol A) end to end: handshake, channels,
 * broadcasts, direct messages, typing, refs, ordering and usernames.
 */
import { connect, joinA, names } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch, assertNotEquals } from "../support/assert.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const MESSAGE_ID = /^\d{13}-\d{6}$/;

testEachRuntime(
  "kind A: handshake sends sessionID, userList, channelList in that order",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await connect(`${server.ws}?username=alice`);
    const [session, users, channels] = await alice.takeMany(3);
    assertEquals([session.type, users.type, channels.type], [
      "sessionID",
      "userList",
      "channelList",
    ]);
    assertMatch(session.message!, ULID);
    assertEquals(session.sessionID, session.message);
    assertEquals(session.username, "alice");
    // 256 random bits, base64url: at least 128 bits of entropy as the issue asks.
    assertMatch(session.token!, /^[A-Za-z0-9_-]{43}$/);
    assertEquals(names(users), ["alice"]);
    assertEquals(names(channels), ["lobby"]);
  },
);

testEachRuntime(
  "kind A: session ids are unique per connection, tokens per user",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using a1 = await joinA(server.ws, "alice");
    await using a2 = await joinA(server.ws, "alice", a1.session.token);
    await using bob = await joinA(server.ws, "bob");
    assertNotEquals(a1.session.sessionID, a2.session.sessionID);
    assertEquals(a2.session.username, "alice");
    assertEquals(a2.session.token, a1.session.token);
    assertNotEquals(bob.session.token, a1.session.token);
  },
);

testEachRuntime("kind A: createChannel creates, joins and is idempotent", async (runtime) => {
  await using server = await startServer(runtime, { LIST_UPDATE_INTERVAL_MS: "100" });
  await using alice = await joinA(server.ws, "alice");
  await using bob = await joinA(server.ws, "bob");
  alice.send({ type: "createChannel", message: "general", ref: "c1" });
  await alice.take({ type: "ack", ref: "c1" });
  bob.send({ type: "createChannel", message: "general", ref: "c2" });
  const ack = await bob.take({ type: "ack", ref: "c2" });
  assertEquals(ack.id, undefined, "joining creates no message");
  alice.send({ type: "broadcast", to: "general", message: "hello", ref: "b1" });
  const seen = await bob.take({ type: "broadcast" });
  assertEquals([seen.from, seen.to, seen.message], ["alice", "general", "hello"]);
  const list = await bob.take((f) => f.type === "channelList" && names(f).includes("general"));
  assertEquals(names(list), ["general", "lobby"]);
});

testEachRuntime(
  "kind A: broadcast joins the sender, reaches every member and every sender session, once",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using a1 = await joinA(server.ws, "alice");
    await using a2 = await joinA(server.ws, "alice", a1.session.token);
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    for (const client of [a2, bob]) {
      client.send({ type: "joinChannel", to: "random", ref: "j" });
      await client.take({ type: "ack", ref: "j" });
    }
    a1.send({ type: "broadcast", to: "random", message: "hi all", ref: "r1" });
    const ack = await a1.take({ type: "ack", ref: "r1" });
    for (const client of [a1, a2, bob]) {
      const frame = await client.take({ type: "broadcast" });
      assertEquals(
        { from: frame.from, to: frame.to, message: frame.message, id: frame.id },
        { from: "alice", to: "random", message: "hi all", id: ack.id },
      );
      assert(typeof frame.ts === "number" && Math.abs(frame.ts - Date.now()) < 60_000);
    }
    // carol is no member: a later message to her proves nothing from "random" was on its way.
    a1.send({ type: "directMessage", to: "carol", message: "barrier" });
    await carol.take({ type: "directMessage", message: "barrier" });
    assertEquals(carol.pending({ type: "broadcast" }), []);
    // a1 joined by broadcasting: it receives the next message too, and only once each.
    bob.send({ type: "broadcast", to: "random", message: "back", ref: "r2" });
    await bob.take({ type: "ack", ref: "r2" });
    await a1.take({ type: "broadcast", message: "back" });
    assertEquals(a1.received.filter((f) => f.type === "broadcast").length, 2);
  },
);

testEachRuntime("kind A: from and sessionID sent by a client are ignored", async (runtime) => {
  await using server = await startServer(runtime);
  await using alice = await joinA(server.ws, "alice");
  await using bob = await joinA(server.ws, "bob");
  bob.send({ type: "joinChannel", to: "x", ref: "j" });
  await bob.take({ type: "ack", ref: "j" });
  alice.send({
    type: "broadcast",
    to: "x",
    from: "bob",
    sessionID: bob.session.sessionID,
    message: "I am bob",
  });
  const frame = await bob.take({ type: "broadcast" });
  assertEquals(frame.from, "alice");
  alice.send({ type: "directMessage", to: "bob", from: "mallory", message: "psst" });
  assertEquals((await bob.take({ type: "directMessage" })).from, "alice");
});

testEachRuntime(
  "kind A: a direct message reaches every recipient session; the sender's other sessions get sessionUpdate",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using a1 = await joinA(server.ws, "alice");
    await using a2 = await joinA(server.ws, "alice", a1.session.token);
    await using b1 = await joinA(server.ws, "bob");
    await using b2 = await joinA(server.ws, "bob", b1.session.token);
    a1.send({ type: "directMessage", to: "BOB", message: "psst", ref: "d1" });
    const ack = await a1.take({ type: "ack", ref: "d1" });
    assertMatch(ack.id!, MESSAGE_ID);
    for (const client of [b1, b2]) {
      const frame = await client.take({ type: "directMessage" });
      assertEquals(
        [frame.from, frame.to, frame.message, frame.id],
        ["alice", "bob", "psst", ack.id],
      );
    }
    const copy = await a2.take({ type: "sessionUpdate" });
    assertEquals([copy.from, copy.to, copy.message, copy.id], ["alice", "bob", "psst", ack.id]);
    // Barrier: a later message to a1 itself proves the DM never came back to it.
    a1.send({ type: "broadcast", to: "a1-only", message: "barrier" });
    await a1.take({ type: "broadcast", message: "barrier" });
    assertEquals(a1.pending((f) => f.type === "directMessage" || f.type === "sessionUpdate"), []);
    assertEquals(b1.pending({ type: "sessionUpdate" }), []);
  },
);

testEachRuntime(
  "kind A: joinChannel and leaveChannel change what a session receives",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    bob.send({ type: "joinChannel", to: "news", ref: "j" });
    await bob.take({ type: "ack", ref: "j" });
    alice.send({ type: "broadcast", to: "news", message: "one" });
    await bob.take({ type: "broadcast", message: "one" });
    bob.send({ type: "leaveChannel", to: "news", ref: "l" });
    await bob.take({ type: "ack", ref: "l" });
    alice.send({ type: "broadcast", to: "news", message: "two", ref: "b2" });
    await alice.take({ type: "ack", ref: "b2" });
    alice.send({ type: "directMessage", to: "bob", message: "barrier" });
    await bob.take({ type: "directMessage", message: "barrier" });
    assertEquals(bob.pending({ type: "broadcast" }), []);
    bob.send({ type: "leaveChannel", to: "news", ref: "again" });
    assertEquals((await bob.take({ type: "error", ref: "again" })).code, "not_member");
  },
);

testEachRuntime(
  "kind A: typing is relayed to the others in a channel and to a user's sessions",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using a1 = await joinA(server.ws, "alice");
    await using a2 = await joinA(server.ws, "alice", a1.session.token);
    await using bob = await joinA(server.ws, "bob");
    for (const client of [a1, a2, bob]) {
      client.send({ type: "joinChannel", to: "dev", ref: "j" });
      await client.take({ type: "ack", ref: "j" });
    }
    a1.send({ type: "typing", to: "dev", ref: "t1" });
    await a1.take({ type: "ack", ref: "t1" });
    const typing = await bob.take({ type: "typing" });
    assertEquals([typing.from, typing.to, typing.id], ["alice", "dev", undefined]);
    bob.send({ type: "typing", to: "alice" });
    for (const client of [a1, a2]) {
      const frame = await client.take({ type: "typing" });
      assertEquals([frame.from, frame.to], ["bob", "alice"]);
    }
    // The typist's own sessions never see their typing: a2 got bob's only.
    a1.send({ type: "broadcast", to: "dev", message: "barrier" });
    await a2.take({ type: "broadcast", message: "barrier" });
    assertEquals(a2.pending({ type: "typing" }), []);
    bob.send({ type: "typing", to: "nobody-here", ref: "t2" });
    assertEquals((await bob.take({ type: "error", ref: "t2" })).code, "user_offline");
  },
);

testEachRuntime(
  "kind A: every member sees one order of strictly increasing ids under concurrent publishers",
  async (runtime) => {
    await using server = await startServer(runtime);
    const clients = await Promise.all(
      ["p1", "p2", "p3", "m1"].map((name) => joinA(server.ws, name)),
    );
    try {
      for (const client of clients) {
        client.send({ type: "joinChannel", to: "race", ref: "j" });
        await client.take({ type: "ack", ref: "j" });
      }
      const perPublisher = 40;
      for (let i = 0; i < perPublisher; i++) {
        for (const publisher of clients.slice(0, 3)) {
          publisher.send({ type: "broadcast", to: "race", message: `${i}` });
        }
      }
      const orders = [];
      for (const client of clients) {
        const frames = await client.takeMany(perPublisher * 3, { type: "broadcast" });
        orders.push(frames.map((f) => f.id!));
      }
      for (const order of orders) assertEquals(order, orders[0]);
      assertEquals([...orders[0]].sort(), orders[0]);
      assertEquals(new Set(orders[0]).size, perPublisher * 3);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
);

testEachRuntime(
  "kind A: usernames are unique case-insensitively without the token",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "Alice");
    await using impostor = await connect(`${server.ws}?username=alice`);
    const error = await impostor.take({ type: "error" });
    assertEquals(error.code, "username_taken");
    assertEquals((await impostor.closed).code, 4002);
    await using wrong = await connect(`${server.ws}?username=ALICE&token=not-the-token`);
    assertEquals((await wrong.take({ type: "error" })).code, "username_taken");
    assertEquals((await wrong.closed).code, 4002);
    // The token joins, whatever the case of the name asked for; the user keeps its first spelling.
    await using second = await joinA(server.ws, "ALICE", alice.session.token);
    assertEquals(second.session.username, "Alice");
  },
);

testEachRuntime(
  "kind A: a token alone joins its user; an unknown one is refused",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using again = await connect(`${server.ws}?token=${alice.session.token}`);
    const session = await again.take({ type: "sessionID" });
    assertEquals(session.username, "alice");
    await using stranger = await connect(`${server.ws}?token=unknown`);
    assertEquals((await stranger.take({ type: "error" })).code, "invalid_token");
    assertEquals((await stranger.closed).code, 4004);
  },
);

testEachRuntime(
  "kind A: with no grace, the claim ends when the user's last session closes",
  async (runtime) => {
    await using server = await startServer(runtime, { RECONNECT_GRACE_MS: "0" });
    const a1 = await joinA(server.ws, "alice");
    const a2 = await joinA(server.ws, "alice", a1.session.token);
    const oldToken = a1.session.token;
    await a1.close();
    await using blocked = await connect(`${server.ws}?username=alice`);
    assertEquals((await blocked.take({ type: "error" })).code, "username_taken");
    await a2.close();
    await using watcher = await connect(`${server.ws}?username=watcher`);
    await watcher.take((f) => f.type === "userList" && !names(f).includes("alice"));
    await using next = await joinA(server.ws, "alice");
    assertNotEquals(next.session.token, oldToken);
    await using stale = await connect(`${server.ws}?username=alice&token=${oldToken}`);
    assertEquals((await stale.take({ type: "error" })).code, "username_taken");
  },
);

testEachRuntime("kind A: an empty username gets a generated guest name", async (runtime) => {
  await using server = await startServer(runtime);
  await using guest = await connect(`${server.ws}?username=`);
  const session = await guest.take({ type: "sessionID" });
  assertMatch(session.username!, /^guest-[a-z2-9]{6}$/);
  const users = await guest.take({ type: "userList" });
  assertEquals(names(users), [session.username]);
});

testEachRuntime(
  "kind A: userList and channelList follow connects, disconnects and new channels",
  async (runtime) => {
    await using server = await startServer(runtime, { LIST_UPDATE_INTERVAL_MS: "100" });
    await using alice = await joinA(server.ws, "alice");
    const bob = await joinA(server.ws, "bob");
    await alice.take((f) => f.type === "userList" && names(f).includes("bob"));
    bob.send({ type: "createChannel", message: "fresh", ref: "c" });
    await bob.take({ type: "ack", ref: "c" });
    await alice.take((f) => f.type === "channelList" && names(f).includes("fresh"));
    await bob.close();
    const users = await alice.take((f) => f.type === "userList" && !names(f).includes("bob"));
    assertEquals(names(users), ["alice"]);
  },
);

testEachRuntime(
  "kind A: seed A's keep-alive ping gets pong, never an error; the session goes on",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    alice.send({ type: "ping", message: "keep-alive", from: "alice" });
    const pong = await alice.take({ type: "pong" });
    assertEquals(pong, { type: "pong", to: "", from: "", sessionID: "", message: "" });
    alice.send({ type: "ping", ref: "p1" });
    assertEquals((await alice.take({ type: "pong" })).ref, "p1");
    alice.send({ type: "ping", message: { odd: true }, from: 42, ref: "r".repeat(100) });
    await alice.take({ type: "pong" });
    alice.send({ type: "broadcast", to: "general", message: "after pings", ref: "b1" });
    const ack = await alice.take((frame) => frame.type === "ack" || frame.type === "error");
    assertEquals([ack.type, ack.ref], ["ack", "b1"]);
  },
);
