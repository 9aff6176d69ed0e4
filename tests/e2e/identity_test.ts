/**
 * Identity that outlives sessions: a user keeps name, token and inbox for
 * RECONNECT_GRACE_MS after the last session ends (a closed tab, a SIGTERM of
 * the instance), direct messages to a held name wait for its user and are
 * counted and replayed on return, and after the grace nothing is lost
 * silently. In JWT mode a direct message to any username waits for its user.
 */
import { connect, type Frame, joinA, joinB, names, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { assertEquals, assertMatch, assertNotEquals } from "../support/assert.ts";

const FAST_LISTS = { LIST_UPDATE_INTERVAL_MS: "100" };

/** Sends a direct message and returns its ack. */
async function directMessage(from: TestClient, to: string, text: string): Promise<Frame> {
  from.send({ type: "directMessage", to, message: text, ref: text });
  const answer = await from.take({ ref: text });
  assertEquals(answer.type, "ack", JSON.stringify(answer));
  return answer;
}

/** Waits until `watcher` sees `name` offline in a userList. */
async function untilOffline(watcher: TestClient, name: string): Promise<void> {
  await watcher.take((f) => f.type === "userList" && !names(f).includes(name));
}

testEachRuntime(
  "identity: a user back within the grace has the name, and the DMs sent while away, counted and replayed",
  async (runtime) => {
    await using server = await startServer(runtime, FAST_LISTS);
    const alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await directMessage(bob, "alice", "seen live");
    await alice.take({ type: "directMessage", message: "seen live" });
    await alice.close();
    await untilOffline(bob, "alice");
    const stored = await directMessage(bob, "alice", "while you were away");
    await using stranger = await connect(`${server.ws}?username=Alice`);
    assertEquals((await stranger.take({ type: "error" })).code, "username_taken");
    assertEquals((await stranger.closed).code, 4002);

    await using back = await connect(`${server.ws}?token=${alice.session.token}`);
    const welcome = await back.take({ type: "sessionID" });
    assertEquals([welcome.username, welcome.token, welcome.unread], [
      "alice",
      alice.session.token,
      1,
    ]);
    const replayed = await back.take({ type: "directMessage" });
    assertEquals([replayed.id, replayed.message, replayed.replay], [
      stored.id,
      "while you were away",
      true,
    ]);
    assertEquals(back.pending({ message: "seen live" }), [], "only what came while away");
    await bob.take((f) => f.type === "userList" && names(f).includes("alice"));

    // A second tab is not a return: nothing unread, nothing replayed.
    await using tab = await joinA(server.ws, "alice", alice.session.token);
    assertEquals(tab.session.unread, 0);
    assertEquals(tab.pending({ type: "directMessage" }), []);
  },
);

testEachRuntime(
  "identity: with since, the return replays exactly what came after it",
  async (runtime) => {
    await using server = await startServer(runtime, FAST_LISTS);
    const alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    const seen = await directMessage(bob, "alice", "one");
    await alice.take({ type: "directMessage", message: "one" });
    await alice.close();
    await untilOffline(bob, "alice");
    await directMessage(bob, "alice", "two");
    await directMessage(bob, "alice", "three");
    const query = `token=${alice.session.token}&since=${seen.id}`;
    await using back = await connect(`${server.ws}?${query}`);
    assertEquals((await back.take({ type: "sessionID" })).unread, 2);
    const replayed = await back.takeMany(2, { type: "directMessage" });
    assertEquals(replayed.map((f) => [f.message, f.replay]), [["two", true], ["three", true]]);
  },
);

testEachRuntime(
  "identity: after the grace the name is free, a stale token is refused or reported, never silent",
  async (runtime) => {
    await using server = await startServer(runtime, { ...FAST_LISTS, RECONNECT_GRACE_MS: "300" });
    const alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await alice.close();
    // Held, then free: a direct message waits for her until the grace ends.
    for (let attempt = 0;; attempt++) {
      bob.send({
        type: "directMessage",
        to: "alice",
        message: `probe ${attempt}`,
        ref: `p${attempt}`,
      });
      const answer = await bob.take({ ref: `p${attempt}` });
      if (answer.code === "user_offline") {
        assertMatch(answer.message!, /nobody holds that name/);
        break;
      }
      assertEquals(answer.type, "ack");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await using tokenOnly = await connect(`${server.ws}?token=${alice.session.token}`);
    const refused = await tokenOnly.take({ type: "error" });
    assertEquals(refused.code, "invalid_token");
    assertMatch(refused.message!, /RECONNECT_GRACE_MS/);
    assertEquals((await tokenOnly.closed).code, 4004);

    const query = `username=alice&token=${alice.session.token}&since=0000000000000-000000`;
    await using anew = await connect(`${server.ws}?${query}`);
    const welcome = await anew.take({ type: "sessionID" });
    assertNotEquals(welcome.token, alice.session.token);
    assertEquals(welcome.unread, 0);
    const notice = await anew.take({ type: "error" });
    assertEquals(notice.code, "history_truncated");
    assertMatch(notice.message!, /does not hold this name/);
    assertEquals(anew.pending({ type: "directMessage" }), [], "the probes were the old holding's");
  },
);

testEachRuntime(
  "identity: a lobby (kind-B) client, which has no token, takes its name back at once",
  async (runtime) => {
    await using server = await startServer(runtime, FAST_LISTS);
    const zoe = await joinB(server.ws, "zoe");
    await using alice = await joinA(server.ws, "alice");
    alice.send({ type: "directMessage", to: "zoe", message: "hi", ref: "d1" });
    assertEquals((await alice.take({ ref: "d1" })).code, "dm_unsupported");
    await zoe.close();
    await untilOffline(alice, "zoe");
    alice.send({ type: "directMessage", to: "zoe", message: "hi", ref: "d2" });
    assertEquals((await alice.take({ ref: "d2" })).code, "user_offline");
    await using again = await joinB(server.ws, "zoe");
    again.send({ sender: "zoe", text: "back" });
    await again.take({ sender: "zoe", text: "back" });
  },
);

testEachRuntime(
  "identity: with AUTH_MODE=jwt a direct message to a user who never connected waits for them",
  async (runtime) => {
    await using server = await startServer(runtime, { AUTH_MODE: "jwt", JWT_SECRET });
    await using ana = await connect(`${server.ws}?token=${await token("ana")}`);
    assertEquals((await ana.take({ type: "sessionID" })).unread, 0);
    await ana.take({ type: "channelList" });
    ana.send({ type: "directMessage", to: "Björn", message: "hej", ref: "d" });
    const ack = await ana.take({ ref: "d" });
    assertEquals(ack.type, "ack");
    await using bjorn = await connect(`${server.ws}?token=${await token("Björn")}`);
    assertEquals((await bjorn.take({ type: "sessionID" })).unread, 1);
    const waiting = await bjorn.take({ type: "directMessage" });
    assertEquals([waiting.id, waiting.from, waiting.message, waiting.replay], [
      ack.id,
      "ana",
      "hej",
      true,
    ]);
  },
);

Deno.test("identity: a SIGTERM rolling restart keeps users' names, and their DMs reach them once [deno+node]", async () => {
  await using cluster = await startCluster(2, FAST_LISTS);
  const [one, two] = cluster.instances;
  await using bob = await joinA(one.ws, "bob");
  const alice = await joinA(two.ws, "alice");
  const before = await directMessage(bob, "alice", "before");
  await alice.take({ type: "directMessage", message: "before" });
  two.child.kill("SIGTERM");
  assertEquals((await alice.closed).code, 1012, "a graceful shutdown says service restart");
  // Exited: its shutdown ended her session, and she is offline, holding her name.
  await two.status;
  const during = await directMessage(bob, "alice", "during the restart");
  await using stranger = await connect(`${one.ws}?username=alice`);
  assertEquals((await stranger.take({ type: "error" })).code, "username_taken");

  await using back = await connect(`${one.ws}?token=${alice.session.token}&since=${before.id}`);
  const welcome = await back.take({ type: "sessionID" });
  assertEquals([welcome.username, welcome.unread], ["alice", 1]);
  const replayed = await back.take({ type: "directMessage" });
  assertEquals([replayed.id, replayed.message], [during.id, "during the restart"]);
  const after = await directMessage(bob, "alice", "after");
  const live = await back.take({ type: "directMessage", message: "after" });
  assertEquals(live.id, after.id);
  assertEquals(back.received.filter((f) => f.type === "directMessage").length, 2, "each once");
});
