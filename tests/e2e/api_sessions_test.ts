/**
 * The server API's hold on sessions: a disconnect closes every session of
 * the user (4008, with the reason), a server ban refuses their reconnects
 * (4009) until it ends or is lifted; and on two instances sharing one Redis
 * (Deno and Node), whatever the API does through one instance reaches the
 * clients of the other. With AUTH_MODE=jwt, any username is a user.
 */
import { connect, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { callApi, refusal, withApi } from "../support/api.ts";

/** Connects as `username` (with `token`) and expects the server ban: an error, then 4009. */
async function refusedAsBanned(ws: string, username: string, token?: string): Promise<string> {
  const query = new URLSearchParams({
    ...(username ? { username } : {}),
    ...(token ? { token } : {}),
  });
  await using client = await connect(`${ws}?${query}`);
  const error = await client.take({ type: "error" });
  assertEquals([error.code, (await client.closed).code], ["banned", 4009]);
  return error.message!;
}

testEachRuntime(
  "api: a disconnect closes every session of the user with its reason; a ban refuses them until lifted",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    const { http, ws } = server;
    const alice = await joinA(ws, "alice");
    const aliceTab = await joinA(ws, "alice", alice.session.token);
    await using bob = await joinA(ws, "bob");
    const disconnected = await callApi(http, "POST", "/api/users/Alice/disconnect", {
      reason: "account review",
    });
    assertEquals(disconnected.body, { user: "Alice", disconnected: true });
    for (const session of [alice, aliceTab]) {
      assertEquals(await session.closed, { code: 4008, reason: "account review" });
    }
    // Anyone else stays; alice may come back at once.
    assertEquals(bob.socket.readyState, WebSocket.OPEN);
    const back = await joinA(ws, "alice", alice.session.token);

    const banned = await callApi(http, "POST", "/api/users/alice/disconnect", { ban: {} });
    assertEquals(banned.body.ban, { forever: true });
    assertEquals((await back.closed).code, 4008);
    assertMatch(
      await refusedAsBanned(ws, "alice", alice.session.token),
      /banned from this server for good/,
    );
    const lifted = await callApi(http, "DELETE", "/api/users/alice/ban");
    assertEquals(lifted.body, { user: "alice", ban: { lifted: true } });
    await using again = await joinA(ws, "alice", alice.session.token);

    // For a while: the time is said; a lobby (kind-B) client is closed too.
    await using lee = await connect(ws, "B");
    lee.send({ sender: "Lee", text: "" });
    await lee.take({ sender: "Server" });
    await callApi(http, "POST", "/api/users/lee/disconnect", { ban: { seconds: 600 } });
    assertEquals((await lee.closed).code, 4008);
    assertEquals((await lee.closed).reason, "disconnected by the server");
    await using leeAgain = await connect(ws, "B");
    leeAgain.send({ sender: "Lee", text: "" });
    const error = await leeAgain.take({ type: "error" });
    assertMatch(error.text!, /banned from this server until \d{4}-/);
    assertEquals((await leeAgain.closed).code, 4009);

    const tooLong = await callApi(http, "POST", "/api/users/bob/disconnect", {
      reason: "é".repeat(62),
    });
    assertEquals(refusal(tooLong), [400, "invalid_request"]);
    assertEquals(again.socket.readyState, WebSocket.OPEN);
  },
);

Deno.test("api: on two instances on one Redis, the API of either reaches the clients of both [deno+node]", async () => {
  await using cluster = await startCluster(2, withApi({ LOG_LEVEL: "error" }));
  const [one, two] = cluster.instances;
  const clients: TestClient[] = [];
  try {
    const alice = await joinA(one.ws, "alice");
    const bob = await joinA(two.ws, "bob");
    clients.push(alice, bob);
    await joinChannel(bob, "news");

    // Publish through instance 1, to a client of instance 2.
    const published = await callApi(one.http, "POST", "/api/publish", {
      channel: "news",
      text: "Hello from the backend",
    });
    assertEquals((await bob.take({ type: "broadcast", id: published.body.id })).from, "system");
    const dm = await callApi(one.http, "POST", "/api/publish", {
      user: "bob",
      text: "psst",
      from: "alice",
    });
    await bob.take({ type: "directMessage", id: dm.body.id, from: "alice" });
    await alice.take({ type: "sessionUpdate", id: dm.body.id });

    // Add a member through instance 2: alice's session on instance 1 joins.
    await callApi(two.http, "PUT", "/api/channels/news/members/alice");
    assertEquals((await alice.take({ type: "joined" })).to, "news");
    await callApi(one.http, "POST", "/api/publish", { channel: "news", text: "both of you" });
    await alice.take({ type: "broadcast", message: "both of you" });

    const info = await callApi(two.http, "GET", "/api/info");
    assertEquals([
      info.body.instances,
      info.body.onlineUsers,
      info.body.sessions,
      info.body.runtime,
    ], [2, 2, 1, "node"]);

    // Disconnect and ban through instance 2: alice's session on instance 1 closes, and neither
    // instance lets her back.
    await callApi(two.http, "POST", "/api/users/alice/disconnect", {
      reason: "spam",
      ban: { seconds: 3600 },
    });
    assertEquals(await alice.closed, { code: 4008, reason: "spam" });
    for (const instance of [one, two]) {
      await refusedAsBanned(instance.ws, "alice", alice.session.token);
    }
    await callApi(one.http, "DELETE", "/api/users/alice/ban");
    const back = await joinA(two.ws, "alice", alice.session.token);
    clients.push(back);
    assert(back.session.token);
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
  }
});

Deno.test("api: with AUTH_MODE=jwt a direct message waits for a user who never connected, and the ban holds for their tokens", async () => {
  await using server = await startServer("deno", withApi({ AUTH_MODE: "jwt", JWT_SECRET }));
  const { http, ws } = server;
  const sent = await callApi(http, "POST", "/api/publish", {
    user: "dana",
    text: "Welcome aboard",
  });
  assertEquals(sent.status, 200);
  const dana = await connect(`${ws}?token=${await token("dana")}`);
  const welcome = await dana.take({ type: "sessionID" });
  assertEquals(welcome.unread, 1);
  const replayed = await dana.take({ type: "directMessage", id: sent.body.id });
  assertEquals([replayed.from, replayed.message], ["system", "Welcome aboard"]);
  await callApi(http, "POST", "/api/users/dana/disconnect", { ban: {} });
  assertEquals((await dana.closed).code, 4008);
  await refusedAsBanned(ws, "", await token("Dana"));
});
