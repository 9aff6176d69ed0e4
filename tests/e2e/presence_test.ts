/**
 * Presence that grows with changes, not with users squared: a client that
 * asks for a channel's `members` gets it page by page and then only the
 * changes (join, leave, status, offline with last seen); a channel too big
 * for per-member events sends counts; seed clients of a deployment bigger
 * than `LIST_MAX_NAMES` get lists bounded to their own channels and a byte
 * budget; `presence=changes` clients get no lists at all; public channels
 * are found by prefix, page by page.
 */
import {
  ask,
  connect,
  type Frame,
  joinA,
  joinChannel,
  names,
  type TestClient,
} from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertLessOrEqual } from "../support/assert.ts";

/** A frame with the presence answers' fields. */
type PresenceFrame = Frame & {
  members?: { name: string; online: boolean; status: string; text?: string; lastSeen?: number }[];
  users?: { name: string; online: boolean; status: string; text?: string; lastSeen?: number }[];
  channels?: { name: string; members: number }[];
  count?: number;
  next?: string;
  event?: string;
  online?: boolean | number;
  status?: string;
  lastSeen?: number;
};

/** Connects as the SDK does (`presence=changes`): no lists, just the session and memberships. */
async function joinChanges(ws: string, name: string): Promise<TestClient> {
  const client = await connect(`${ws}?username=${encodeURIComponent(name)}&presence=changes`);
  await client.take({ type: "sessionID" });
  await client.take({ type: "memberships" });
  return client;
}

/** `ask`, for the answers of presence requests. */
async function request(
  client: TestClient,
  frame: Record<string, unknown>,
  ref: string,
): Promise<PresenceFrame> {
  return await ask(client, frame, ref) as PresenceFrame;
}

/** Takes the next `member` frame about `from`. */
async function memberEvent(client: TestClient, from: string): Promise<PresenceFrame> {
  return await client.take({ type: "member", from }) as PresenceFrame;
}

testEachRuntime(
  "presence: members come page by page, then every join, status, offline and leave as a change",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinChanges(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    for (const client of [alice, bob, carol]) await joinChannel(client, "room");
    const first = await request(alice, { type: "members", to: "room", limit: 2 }, "m1");
    assertEquals(first.type, "members");
    assertEquals(first.count, 3);
    assertEquals(first.members!.map((m) => [m.name, m.online, m.status]), [
      ["alice", true, "online"],
      ["bob", true, "online"],
    ]);
    const second = await request(
      alice,
      { type: "members", to: "room", after: first.next, limit: 2 },
      "m2",
    );
    assertEquals([second.members!.map((m) => m.name), second.next], [["carol"], undefined]);

    await using dave = await joinA(server.ws, "dave");
    await joinChannel(dave, "room");
    const joined = await memberEvent(alice, "dave");
    assertEquals([joined.to, joined.event, joined.online, joined.status], [
      "room",
      "joined",
      true,
      "online",
    ]);
    assertEquals(await request(bob, { type: "status", status: "away", message: "lunch" }, "s"), {
      type: "ack",
      to: "",
      from: "",
      sessionID: "",
      message: "",
      ref: "s",
    });
    const away = await memberEvent(alice, "bob");
    assertEquals([away.event, away.status, away.message, away.online], [
      "status",
      "away",
      "lunch",
      true,
    ]);
    const before = Date.now();
    await carol.close();
    const gone = await memberEvent(alice, "carol");
    assertEquals([gone.event, gone.online], ["status", false]);
    assert(gone.lastSeen! >= before - 5000 && gone.lastSeen! <= Date.now() + 5000, "seen now");
    dave.send({ type: "leaveChannel", to: "room", ref: "l" });
    await dave.take({ type: "ack", ref: "l" });
    assertEquals((await memberEvent(alice, "dave")).event, "left");
    // Seed clients that never asked for members get none of these frames.
    assertEquals(bob.pending({ type: "member" }).length, 0);
    assertEquals(alice.pending((f) => f.type === "userList" || f.type === "channelList"), []);
    const looked = await request(alice, { type: "presence", users: ["BOB", "carol"] }, "p");
    assertEquals(looked.users!.map((u) => [u.name, u.online, u.status, u.text]), [
      ["bob", true, "away", "lunch"],
      ["carol", false, "online", undefined],
    ]);
    assert(looked.users![1].lastSeen! >= before - 5000, "carol's last seen is kept");
  },
);

testEachRuntime(
  "presence: a user whose name is freed with their last session (no grace) goes offline, seen then",
  async (runtime) => {
    await using server = await startServer(runtime, { RECONNECT_GRACE_MS: "0" });
    await using alice = await joinChanges(server.ws, "alice");
    const carol = await joinA(server.ws, "carol");
    await joinChannel(alice, "room");
    await joinChannel(carol, "room");
    await request(alice, { type: "members", to: "room" }, "m");
    const before = Date.now();
    await carol.close();
    const gone = await memberEvent(alice, "carol");
    assertEquals([gone.event, gone.online], ["status", false]);
    assert(gone.lastSeen! >= before - 5000, "seen when the session ended");
  },
);

testEachRuntime(
  "presence: a channel bigger than PRESENCE_EVENTS_MAX_MEMBERS sends counts, not members",
  async (runtime) => {
    await using server = await startServer(runtime, { PRESENCE_EVENTS_MAX_MEMBERS: "2" });
    await using alice = await joinChanges(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    for (const client of [alice, bob, carol]) await joinChannel(client, "hall");
    const page = await request(alice, { type: "members", to: "hall" }, "m");
    assertEquals(page.count, 3);
    assertEquals(
      await alice.take({ type: "memberCount" }),
      {
        type: "memberCount",
        to: "hall",
        from: "",
        sessionID: "",
        message: "",
        members: 3,
        online: 3,
      } as Frame,
    );
    await bob.close();
    const count = await alice.take({ type: "memberCount" }) as PresenceFrame;
    assertEquals([count.members, count.online], [3, 2]);
    assertEquals(alice.pending({ type: "member" }), []);
  },
);

testEachRuntime(
  "presence: beyond LIST_MAX_NAMES, seed clients' lists hold their own channels and members only",
  async (runtime) => {
    await using server = await startServer(runtime, {
      LIST_MAX_NAMES: "10",
      LIST_UPDATE_INTERVAL_MS: "100",
      MAX_CONNECTIONS_PER_IP: "100",
    });
    const clients: TestClient[] = [];
    try {
      // 15 users in 5 rooms of 3, and 12 public channels: both beyond the full lists' size.
      for (let i = 0; i < 15; i++) {
        const client = await joinA(server.ws, `user${i}`);
        clients.push(client);
        await joinChannel(client, `room${i % 5}`);
      }
      for (let i = 0; i < 7; i++) await joinChannel(clients[0], `extra${i}`);
      const mate = clients[5];
      const seen = await mate.take((f) =>
        f.type === "userList" && names(f).length === 3 && names(f).includes("user10")
      );
      assertEquals(names(seen), ["user0", "user10", "user5"]);
      await mate.take((f) => f.type === "channelList" && names(f).join() === "room0");
      // Nobody ever got a list longer than LIST_MAX_NAMES.
      for (const client of clients) {
        for (const frame of client.received) {
          if (frame.type === "userList" || frame.type === "channelList") {
            assertLessOrEqual(names(frame).length, 10);
          }
        }
      }
      // A client library's session gets no list at all, only what it asks for.
      await using sdk = await joinChanges(server.ws, "sdk");
      await joinChannel(sdk, "room1");
      const page = await request(sdk, { type: "members", to: "room1" }, "m");
      assertEquals(page.members!.map((m) => m.name), ["sdk", "user1", "user11", "user6"]);
      await using later = await joinA(server.ws, "later");
      await joinChannel(later, "room1");
      assertEquals((await memberEvent(sdk, "later")).event, "joined");
      assertEquals(sdk.pending((f) => f.type === "userList" || f.type === "channelList"), []);
      // A lobby client is not told of every arrival in a deployment this big.
      await using lobby = await connect(server.ws, "B");
      lobby.send({ sender: "lobbyist", text: "hi", ref: "k" });
      await lobby.take({ type: "ack", ref: "k" });
      assertEquals(lobby.pending((f) => f.sender === "Server"), []);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
);

testEachRuntime(
  "presence: a seed client's lists never exceed LIST_BYTES_PER_SECOND on average",
  async (runtime) => {
    const budget = 256;
    await using server = await startServer(runtime, {
      LIST_BYTES_PER_SECOND: `${budget}`,
      LIST_UPDATE_INTERVAL_MS: "50",
      MAX_CONNECTIONS_PER_IP: "100",
    });
    await using watcher = await joinA(server.ws, "watcher");
    const started = performance.now();
    const others: TestClient[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        others.push(await joinA(server.ws, `someone-with-a-long-name-${i}`));
      }
      await watcher.take((f) => f.type === "userList" && names(f).length === 41, 20_000);
      const elapsedS = (performance.now() - started) / 1000;
      const lists = watcher.received.filter((f) =>
        f.type === "userList" || f.type === "channelList"
      );
      const bytes = lists.slice(2).reduce((sum, f) => sum + JSON.stringify(f).length, 0);
      // Each frame is paid for before the next may go: at most one frame beyond the budget.
      const largest = Math.max(...lists.map((f) => JSON.stringify(f).length));
      assertLessOrEqual(bytes, budget * elapsedS + largest);
    } finally {
      await Promise.all(others.map((client) => client.close()));
    }
  },
);

testEachRuntime("presence: public channels are found by prefix, page by page", async (runtime) => {
  await using server = await startServer(runtime);
  await using alice = await joinChanges(server.ws, "alice");
  for (const channel of ["team-b", "team-a", "other", "team-c"]) await joinChannel(alice, channel);
  alice.send({ type: "createChannel", message: "team-secret", private: true, ref: "p" });
  await alice.take({ type: "ack", ref: "p" });
  const page = await request(alice, { type: "channels", prefix: "team", limit: 2 }, "c1");
  assertEquals([page.to, page.channels, page.next], [
    "team",
    [{ name: "team-a", members: 1 }, { name: "team-b", members: 1 }],
    "team-b",
  ]);
  const rest = await request(
    alice,
    { type: "channels", prefix: "team", after: page.next, limit: 2 },
    "c2",
  );
  assertEquals([rest.channels, rest.next], [[{ name: "team-c", members: 1 }], undefined]);
});

Deno.test("presence: status, last seen and changes cross instances over Redis", async () => {
  await using cluster = await startCluster(2, { PRESENCE_TTL_MS: "1500" });
  const [one, two] = cluster.instances;
  await using alice = await joinChanges(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  await joinChannel(alice, "room");
  await joinChannel(bob, "room");
  const page = await request(alice, { type: "members", to: "room" }, "m");
  assertEquals(page.members!.map((m) => [m.name, m.online]), [["alice", true], ["bob", true]]);
  await request(bob, { type: "status", status: "away", message: "on a train" }, "s");
  const away = await memberEvent(alice, "bob");
  assertEquals([away.status, away.message], ["away", "on a train"]);
  await using carol = await joinA(two.ws, "carol");
  await joinChannel(carol, "room");
  assertEquals((await memberEvent(alice, "carol")).event, "joined");
  await bob.close();
  const offline = await memberEvent(alice, "bob");
  assertEquals([offline.online, typeof offline.lastSeen], [false, "number"]);
  const looked = await request(alice, { type: "presence", users: ["bob"] }, "p");
  assertEquals([looked.users![0].status, looked.users![0].lastSeen], ["away", offline.lastSeen]);
  // An instance that dies without closing: another one notices its users' presence expire.
  two.child.kill("SIGKILL");
  await two.status;
  const expired = await alice.take({ type: "member", from: "carol" }, 20_000) as PresenceFrame;
  assertEquals([expired.event, expired.online, typeof expired.lastSeen], [
    "status",
    false,
    "number",
  ]);
});
