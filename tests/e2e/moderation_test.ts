/**
 * Roles and moderation: the owner (a channel's creator) appoints moderators,
 * and every member sees who holds which role in the `members` answer; the
 * owner and moderators kick, ban and mute those below them, for good or for
 * a while; every refused action has its own error code. Roles belong to the
 * holding of an anonymous name: a stranger who claims a freed name has none.
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
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

testEachRuntime(
  "moderation: the owner appoints a moderator, who kicks, bans and mutes members, never above",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using olga = await joinA(server.ws, "olga");
    await using mo = await joinA(server.ws, "mo");
    await using kim = await joinA(server.ws, "kim");
    await using bea = await joinA(server.ws, "bea");
    await using mia = await joinA(server.ws, "mia");
    await joinChannel(olga, "room");
    for (const client of [mo, kim, bea, mia]) await joinChannel(client, "room");

    const early = await ask(mo, { type: "kick", to: "room", user: "kim" }, "k0");
    assertEquals(early.code, "not_permitted", "a member moderates nobody");
    assertEquals(
      (await ask(mo, { type: "setRole", to: "room", user: "mo", role: "moderator" }, "s0")).code,
      "not_permitted",
    );
    assertEquals(
      (await ask(olga, { type: "setRole", to: "room", user: "Mo", role: "moderator" }, "s")).type,
      "ack",
    );
    assertEquals(
      (await ask(mo, { type: "kick", to: "room", user: "olga" }, "k1")).code,
      "not_permitted",
      "not the owner",
    );

    // Kick: out of the channel on every tab, told why; may come back.
    assertEquals((await ask(mo, { type: "kick", to: "room", user: "kim" }, "k")).type, "ack");
    const kicked = await kim.take({ type: "left" });
    assertEquals([kicked.to, kicked.message], ["room", "kicked"]);
    await joinChannel(kim, "room");

    // Ban: out, and kept out, until lifted.
    assertEquals((await ask(mo, { type: "ban", to: "room", user: "bea" }, "b")).type, "ack");
    assertEquals((await bea.take({ type: "left" })).message, "banned");
    const refused = await ask(bea, { type: "joinChannel", to: "room" }, "j");
    assertEquals(refused.code, "banned");
    assertMatch(refused.message!, /for good/);
    await ask(olga, { type: "ban", to: "room", user: "bea", seconds: 0 }, "u");
    await joinChannel(bea, "room");

    // Mute: reads, cannot post, for a while.
    assertEquals(
      (await ask(mo, { type: "mute", to: "room", user: "mia", seconds: 600 }, "m")).type,
      "ack",
    );
    const silenced = await ask(mia, { type: "broadcast", to: "room", message: "hello?" }, "p");
    assertEquals(silenced.code, "muted");
    assertMatch(silenced.message!, /until \d{4}-/);
    await ask(olga, { type: "broadcast", to: "room", message: "still reading?" }, "o");
    await mia.take({ type: "broadcast", message: "still reading?" });
    await ask(mo, { type: "mute", to: "room", user: "mia", seconds: 0 }, "um");
    assertEquals(
      (await ask(mia, { type: "broadcast", to: "room", message: "back" }, "p2")).type,
      "ack",
    );
    assertEquals(
      (await ask(kim, { type: "ban", to: "elsewhere", user: "mia" }, "x")).code,
      "not_member",
    );
  },
);

/** An entry of a `members` or `presence` answer, as the wire has it. */
type Listed = { name: string; role?: string };

/** Each member of `channel` as `client` reads it: `[name, role]`, or `[name]` with no `role` key. */
async function rolesSeen(client: TestClient, channel: string, ref: string): Promise<string[][]> {
  const page = await ask(client, { type: "members", to: channel }, ref) as Frame & {
    members: Listed[];
  };
  // Parsed JSON has no undefined values: an undefined role is a missing key.
  return page.members.map(({ name, role }) => role === undefined ? [name] : [name, role]);
}

/**
 * The owner on `ownerWs` appoints and then demotes a moderator; a member on
 * `readerWs`, watching the channel, gets each change live as a `member`
 * frame and reads it in its next `members` answer, and no role in a
 * `presence` answer.
 */
async function rolesFlow(ownerWs: string, readerWs: string): Promise<void> {
  await using olga = await joinA(ownerWs, "olga");
  await using mo = await joinA(readerWs, "mo");
  await using kim = await joinA(readerWs, "kim");
  for (const client of [olga, mo, kim]) await joinChannel(client, "room");
  assertEquals(await rolesSeen(kim, "room", "m1"), [["kim"], ["mo"], ["olga", "owner"]]);

  assertEquals(
    (await ask(olga, { type: "setRole", to: "room", user: "Mo", role: "moderator" }, "s")).type,
    "ack",
  );
  const promoted = await kim.take({ type: "member", event: "role" });
  assertEquals([promoted.from, promoted.role, promoted.to], ["mo", "moderator", "room"]);
  const appointed = await rolesSeen(kim, "room", "m2");
  assertEquals(appointed, [["kim"], ["mo", "moderator"], ["olga", "owner"]]);
  const looked = await ask(kim, { type: "presence", users: ["olga", "mo"] }, "p") as Frame & {
    users: Listed[];
  };
  assertEquals(
    looked.users.map(({ name, role }) => [name, role]),
    [["olga", undefined], ["mo", undefined]],
    "a presence answer is about users, not a channel",
  );

  assertEquals(
    (await ask(olga, { type: "setRole", to: "room", user: "mo", role: "member" }, "d")).type,
    "ack",
  );
  const demoted = await kim.take({ type: "member", event: "role" });
  assertEquals([demoted.from, demoted.role], ["mo", undefined], "a plain member has no role");
  assertEquals(await rolesSeen(kim, "room", "m3"), [["kim"], ["mo"], ["olga", "owner"]]);
}

testEachRuntime(
  "moderation: a members answer shows the owner and the moderators, as they stand",
  async (runtime) => {
    await using server = await startServer(runtime);
    await rolesFlow(server.ws, server.ws);
  },
);

Deno.test("moderation: roles set on one instance show in members answers on another [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await rolesFlow(one.ws, two.ws);
});

Deno.test("moderation: a ban on one instance removes the user's sessions on another [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using olga = await joinA(one.ws, "olga");
  await using bea = await joinA(two.ws, "bea");
  await using beaTab = await joinA(one.ws, "bea", bea.session.token);
  await joinChannel(olga, "room");
  await joinChannel(bea, "room");
  await beaTab.take({ type: "joined", to: "room" });
  await ask(olga, { type: "ban", to: "room", user: "bea", seconds: 60 }, "b");
  for (const tab of [bea, beaTab]) {
    assertEquals((await tab.take({ type: "left" })).message, "banned");
  }
  assertEquals((await ask(beaTab, { type: "joinChannel", to: "room" }, "j")).code, "banned");
});

testEachRuntime(
  "moderation: the owner deletes its channel: every member's sessions leave, and the name is free",
  async (runtime) => {
    await using server = await startServer(runtime, { LIST_UPDATE_INTERVAL_MS: "100" });
    await using olga = await joinA(server.ws, "olga");
    await using pia = await joinA(server.ws, "pia");
    await using piaTab = await joinA(server.ws, "pia", pia.session.token);
    await joinChannel(olga, "room");
    await joinChannel(pia, "room");
    await piaTab.take({ type: "joined", to: "room" });
    await ask(olga, { type: "broadcast", to: "room", message: "soon gone" }, "b");
    assertEquals(
      (await ask(pia, { type: "deleteChannel", to: "room" }, "d0")).code,
      "not_permitted",
    );
    assertEquals((await ask(olga, { type: "deleteChannel", to: "room" }, "d")).type, "ack");
    for (const session of [olga, pia, piaTab]) {
      const left = await session.take({ type: "left" });
      assertEquals([left.to, left.message], ["room", "deleted"]);
    }
    await using newcomer = await joinA(server.ws, "newcomer");
    assertEquals(names(newcomer.received[2]).includes("room"), false, "listed nowhere");
    // The name is free: a new, empty channel of another owner.
    await joinChannel(pia, "room");
    const history = await ask(pia, { type: "history", to: "room" }, "h");
    assertEquals((history as { messages?: unknown[] }).messages, []);
    assertEquals((await ask(pia, { type: "deleteChannel", to: "room" }, "d2")).type, "ack");
  },
);

/**
 * Connects a kind-A client as `name` once nobody holds it: until its
 * holder's grace ends, each attempt is refused with `username_taken`.
 */
async function claimWhenFree(ws: string, name: string): Promise<TestClient> {
  const deadline = Date.now() + 10_000;
  while (true) {
    const client = await connect(`${ws}?${new URLSearchParams({ username: name })}`);
    const first = await client.take((f) => f.type === "sessionID" || f.type === "error");
    if (first.type === "sessionID") {
      await client.take({ type: "userList" });
      await client.take({ type: "channelList" });
      return client;
    }
    assertEquals(first.code, "username_taken");
    await client.close();
    assert(Date.now() < deadline, `nobody's grace on "${name}" ended`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * An anonymous owner and moderator (on `holderWs`) leave; once the grace
 * frees their names, strangers claim them (on `strangerWs`) and have no say
 * in their channels, which have no owner now.
 */
async function strangersFlow(holderWs: string, strangerWs: string): Promise<void> {
  await using kim = await joinA(holderWs, "kim");
  {
    await using owner = await joinA(holderWs, "olga");
    await using moderator = await joinA(holderWs, "mo");
    await joinChannel(owner, "room");
    await ask(owner, { type: "createChannel", message: "plans", private: true }, "c");
    for (const client of [moderator, kim]) await joinChannel(client, "room");
    await ask(owner, { type: "setRole", to: "room", user: "mo", role: "moderator" }, "s");
    assertEquals(await rolesSeen(kim, "room", "m1"), [
      ["kim"],
      ["mo", "moderator"],
      ["olga", "owner"],
    ]);
  }
  await using olga = await claimWhenFree(strangerWs, "olga");
  await using mo = await claimWhenFree(strangerWs, "mo");
  for (const client of [olga, mo]) await joinChannel(client, "room");
  assertEquals(await rolesSeen(kim, "room", "m2"), [["kim"], ["mo"], ["olga"]], "nobody's owner");
  const attempts = [
    [olga, { type: "deleteChannel", to: "room" }, "d"],
    [olga, { type: "kick", to: "room", user: "kim" }, "k"],
    [olga, { type: "setRole", to: "room", user: "mo", role: "moderator" }, "r"],
    [mo, { type: "ban", to: "room", user: "kim" }, "b"],
  ] as const;
  for (const [client, frame, ref] of attempts) {
    assertEquals((await ask(client, frame, ref)).code, "not_permitted", ref);
  }
  assertEquals(
    (await ask(olga, { type: "joinChannel", to: "plans" }, "j")).code,
    "channel_unavailable",
    "the old owner's private channel is not the stranger's",
  );
  kim.send({ type: "broadcast", to: "room", message: "still here", ref: "h" });
  await olga.take({ type: "broadcast", message: "still here" });
}

testEachRuntime(
  "moderation: a stranger who claims a freed owner's or moderator's name has none of their powers",
  async (runtime) => {
    await using server = await startServer(runtime, { RECONNECT_GRACE_MS: "300" });
    await strangersFlow(server.ws, server.ws);
  },
);

Deno.test("moderation: names freed on one instance are claimed powerless on another [deno+node]", async () => {
  await using cluster = await startCluster(2, { RECONNECT_GRACE_MS: "300" });
  const [one, two] = cluster.instances;
  await strangersFlow(one.ws, two.ws);
});

testEachRuntime(
  "moderation: with JWT identities the name is the user, who keeps its roles from one claim to the next",
  async (runtime) => {
    await using server = await startServer(runtime, {
      AUTH_MODE: "jwt",
      JWT_SECRET,
      LIST_UPDATE_INTERVAL_MS: "100",
      RECONNECT_GRACE_MS: "0",
    });
    const olgaToken = await token("olga");
    const joinJwt = async (jwt: string) => {
      const client = await connect(`${server.ws}?token=${jwt}`);
      await client.take({ type: "channelList" });
      return client;
    };
    {
      await using owner = await joinJwt(olgaToken);
      await using mo = await joinJwt(await token("mo"));
      await joinChannel(owner, "room");
      await joinChannel(mo, "room");
      await ask(owner, { type: "setRole", to: "room", user: "mo", role: "moderator" }, "s");
      await owner.close();
      // With no grace, the claim ended with her session: the next one claims the name anew.
      await mo.take((f) => f.type === "userList" && !names(f).includes("olga"));
    }
    await using olga = await joinJwt(olgaToken);
    await using kim = await joinJwt(await token("kim"));
    await joinChannel(kim, "room");
    assertEquals(await rolesSeen(kim, "room", "m"), [["kim"], ["mo", "moderator"], [
      "olga",
      "owner",
    ]]);
    assertEquals((await ask(olga, { type: "deleteChannel", to: "room" }, "d")).type, "ack");
  },
);
