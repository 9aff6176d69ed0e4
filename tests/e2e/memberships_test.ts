/**
 * Memberships belong to the user: a join or leave in one session applies to
 * every session of the user, on every instance; a new session starts in the
 * user's channels, announced by a `memberships` frame; a resume with `since`
 * fills the gap without repeating what went live. Memberships last as the
 * user's inbox does: the reconnect grace in anonymous mode, always with JWT.
 */
import { connect, type Frame, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { assertEquals } from "../support/assert.ts";

/** Broadcasts `text` to `channel` from `from` and returns the ack. */
async function say(from: TestClient, channel: string, text: string): Promise<Frame> {
  from.send({ type: "broadcast", to: channel, message: text, ref: text });
  return await from.take({ type: "ack", ref: text });
}

/** The `memberships` frame of a fresh connection. */
function membershipsOf(client: TestClient): Promise<Frame & { channels?: unknown }> {
  return client.take({ type: "memberships" });
}

testEachRuntime(
  "memberships: a join or a leave in one tab applies to every tab of the user",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using tab1 = await joinA(server.ws, "alice");
    await using tab2 = await joinA(server.ws, "alice", tab1.session.token);
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "general");
    await joinChannel(tab1, "general");
    assertEquals((await tab2.take({ type: "joined" })).to, "general");
    await say(bob, "general", "hello both");
    await tab1.take({ type: "broadcast", message: "hello both" });
    await tab2.take({ type: "broadcast", message: "hello both" });

    tab1.send({ type: "leaveChannel", to: "general", ref: "l" });
    await tab1.take({ type: "ack", ref: "l" });
    assertEquals((await tab2.take({ type: "left" })).to, "general");
    await say(bob, "general", "anyone?");
    // Bob's own copy comes after both tabs would have had theirs.
    await bob.take({ type: "broadcast", message: "anyone?" });
    await say(bob, "general", "fence");
    await bob.take({ type: "broadcast", message: "fence" });
    for (const tab of [tab1, tab2]) assertEquals(tab.pending({ type: "broadcast" }), []);
    assertEquals(tab1.pending({ type: "joined" }), [], "the acting tab gets its ack, not a notice");
  },
);

testEachRuntime(
  "memberships: a new session starts in the user's channels; since fills the gap, nothing twice",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using tab1 = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(tab1, "general");
    await joinChannel(tab1, "random");
    const seen = await say(bob, "general", "seen by tab1");
    const missed = await say(bob, "general", "before tab2");
    await using tab2 = await connect(`${server.ws}?token=${tab1.session.token}`);
    const memberships = await membershipsOf(tab2);
    assertEquals(memberships.channels, [{ name: "general", last: missed.id }, { name: "random" }]);
    assertEquals(memberships.live, true);
    const live = await say(bob, "general", "live for tab2");
    await tab2.take({ type: "broadcast", message: "live for tab2" });
    tab2.send({ type: "joinChannel", to: "general", since: seen.id, ref: "resume" });
    await tab2.take({ type: "ack", ref: "resume" });
    const general = tab2.received.filter((f) => f.type === "broadcast" && f.to === "general");
    assertEquals(general.map((f) => [f.id, f.replay]), [[live.id, undefined], [missed.id, true]]);
  },
);

testEachRuntime(
  "memberships: a resuming session (since) is told its channels and rejoins them: replay first, then live",
  async (runtime) => {
    await using server = await startServer(runtime);
    const alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(alice, "general");
    const seen = await say(bob, "general", "seen");
    await alice.take({ type: "broadcast", message: "seen" });
    await alice.close();
    const missed = await say(bob, "general", "missed");
    const query = `token=${alice.session.token}&since=${seen.id}`;
    await using back = await connect(`${server.ws}?${query}`);
    const memberships = await membershipsOf(back);
    assertEquals([memberships.live, memberships.channels], [false, [
      { name: "general", last: missed.id },
    ]]);
    const early = await say(bob, "general", "before the rejoin");
    back.send({ type: "joinChannel", to: "general", since: seen.id, ref: "j" });
    await back.take({ type: "ack", ref: "j" });
    const live = await say(bob, "general", "after the rejoin");
    await back.take({ type: "broadcast", message: "after the rejoin" });
    const got = back.received.filter((f) => f.type === "broadcast");
    assertEquals(got.map((f) => f.id), [missed.id, early.id, live.id], "in order, each once");
  },
);

testEachRuntime(
  "memberships: seed A's tabs sharing a name (SHARED_USERNAMES) all get the channels one joined",
  async (runtime) => {
    await using server = await startServer(runtime, { SHARED_USERNAMES: "true" });
    const chat = server.ws.replace(/\/ws$/, "/chat");
    await using tab1 = await joinA(chat, "alice");
    await using tab2 = await joinA(chat, "alice");
    await using bob = await joinA(chat, "bob");
    await joinChannel(tab1, "general");
    await tab2.take({ type: "joined", to: "general" });
    await say(bob, "general", "to both tabs");
    await tab2.take({ type: "broadcast", message: "to both tabs" });
  },
);

testEachRuntime(
  "memberships: they last the reconnect grace (anonymous), and always with JWT",
  async (runtime) => {
    {
      await using server = await startServer(runtime);
      const alice = await joinA(server.ws, "alice");
      await joinChannel(alice, "general");
      await alice.close();
      await using back = await connect(`${server.ws}?token=${alice.session.token}`);
      assertEquals((await membershipsOf(back)).channels, [{ name: "general" }]);
    }
    {
      await using server = await startServer(runtime, { AUTH_MODE: "jwt", JWT_SECRET });
      const first = await connect(`${server.ws}?token=${await token("erin")}`);
      await first.take({ type: "memberships" });
      await joinChannel(first, "team");
      await first.close();
      await using later = await connect(`${server.ws}?token=${await token("erin")}`);
      assertEquals((await membershipsOf(later)).channels, [{ name: "team" }]);
    }
  },
);

Deno.test("memberships: a join on a Deno instance reaches the user's tab on a Node instance [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using tab1 = await joinA(one.ws, "alice");
  await using tab2 = await joinA(two.ws, "alice", tab1.session.token);
  await using bob = await joinA(one.ws, "bob");
  await joinChannel(tab1, "general");
  assertEquals((await tab2.take({ type: "joined" })).to, "general");
  await joinChannel(bob, "general");
  await say(bob, "general", "across instances");
  await tab2.take({ type: "broadcast", message: "across instances" });
});
