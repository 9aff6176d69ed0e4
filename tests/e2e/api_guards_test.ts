/**
 * What the server API guards against, over real HTTP against real servers
 * on Deno and on Node: message data that would be altered, a banned user
 * slipping in, a channel owned by a name nobody holds, a system sender
 * posing as a user in a direct conversation, a lobby-only client made a
 * member of a channel, and (on Node) a refused body drained forever.
 */
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { API_KEY, callApi, refusal, withApi } from "../support/api.ts";
import { connect, joinA, joinB } from "../support/client.ts";
import { startMain } from "../support/process.ts";
import { startReceiver, untilMetric, webhookEnv } from "../support/webhooks.ts";

testEachRuntime(
  "server API: a published `data` with a `__proto__` key is stored as sent or refused, never altered",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    // Raw JSON: `__proto__` is an own key of what JSON.parse makes, as any receiver parses it.
    const data = '{"__proto__":{"mentions":["carol"]},"k":1}';
    const answer = await callApi(
      server.http,
      "POST",
      "/api/publish",
      `{"channel":"lobby","text":"hi","data":${data}}`,
    );
    if (answer.status !== 200) {
      assertEquals(refusal(answer), [400, "invalid_request"]);
      assertMatch(answer.body.error.message, /__proto__/);
      return;
    }
    const history = await callApi(server.http, "GET", "/api/channels/lobby/messages");
    const stored = history.body.messages.find((m: { id: string }) => m.id === answer.body.id);
    assertEquals(JSON.stringify(stored.data), JSON.stringify(JSON.parse(data)));
  },
);

testEachRuntime(
  "server API: a user the server banned is refused before anything: no welcome, no user.online webhook",
  async (runtime) => {
    await using receiver = await startReceiver();
    await using natter = await startMain(
      webhookEnv(receiver, { API_KEY, WEBHOOK_EVENTS: "user.online" }),
      runtime,
    );
    const banned = await callApi(natter.http, "POST", "/api/users/mallory/disconnect", {
      ban: {},
    });
    assertEquals(banned.status, 200);
    await using mallory = await connect(`${natter.ws}?username=mallory`);
    assertEquals((await mallory.closed).code, 4009);
    // A marker queued after Mallory's attempt: once it is sent and the queue is empty, all was.
    await using _zed = await joinA(natter.ws, "zed");
    await receiver.event("user.online", (data) => data.user === "zed");
    await untilMetric(natter.http, "natter_webhook_queue_size 0");
    assertEquals(receiver.delivered("user.online").map((event) => event.data.user), ["zed"]);
    // Refused at connect: the only frame is the refusal, no welcome with a session token.
    assertEquals(mallory.received.map((frame) => frame.type), ["error"]);
  },
);

testEachRuntime(
  "server API: anonymous mode: a channel's owner must be held, as a member must (404 user_not_found)",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    const { http } = server;
    // Nobody holds "olga": the first stranger to claim the name would own the private channel.
    const created = await callApi(http, "POST", "/api/channels", {
      name: "vip",
      private: true,
      owner: "olga",
    });
    assertEquals(refusal(created), [404, "user_not_found"]);
    assertEquals(refusal(await callApi(http, "GET", "/api/channels/vip")), [
      404,
      "channel_not_found",
    ]);
    // Held, the owner is the holder, as they spell their name.
    await using _olga = await joinA(server.ws, "Olga");
    const owned = await callApi(http, "POST", "/api/channels", {
      name: "vip",
      private: true,
      owner: "olga",
    });
    assertEquals([owned.status, owned.body.owner], [201, "olga"]);
  },
);

testEachRuntime(
  "server API: a system sender named like a user cannot post into that user's conversation",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    const { http, ws } = server;
    await using bob = await joinA(ws, "bob");
    await using _alice = await joinA(ws, "Alice");
    // A direct conversation is keyed by the other side's name: a system "Alice" would join hers.
    const refused = await callApi(http, "POST", "/api/publish", {
      user: "bob",
      from: "Alice",
      system: true,
      text: "Your invoice is ready",
    });
    assertEquals(refusal(refused), [400, "invalid_request"]);
    assertMatch(refused.body.error.message, /comes from system: leave out from/);
    const posted = await callApi(http, "POST", "/api/publish", {
      user: "bob",
      text: "Your invoice is ready",
    });
    assertEquals(posted.status, 200);
    const got = await bob.take({ type: "directMessage", id: posted.body.id });
    assertEquals([got.from, (got as { system?: true }).system], ["system", true]);
    const history = await callApi(http, "GET", "/api/users/bob/conversations/alice/messages");
    assertEquals(history.body.messages, []);
  },
);

Deno.test(
  "server API on Node: a body refused unread is not drained: the answer goes, then the connection closes",
  async () => {
    await using server = await startServer("node", withApi());
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const encode = (text: string) => new TextEncoder().encode(text);
    // A chunked body that never ends, without the key: refused before any of it is read.
    const head = "POST /api/publish HTTP/1.1\r\nHost: natter\r\nTransfer-Encoding: chunked\r\n\r\n";
    await conn.write(encode(`${head}5\r\nhello\r\n`));
    let gaveUp = false;
    const deadline = setTimeout(() => {
      gaveUp = true;
      conn.close();
    }, 10_000);
    let answer = "";
    const buffer = new Uint8Array(4096);
    try {
      for (let read; (read = await conn.read(buffer)) !== null;) {
        answer += new TextDecoder().decode(buffer.subarray(0, read));
        // Keep streaming, as a caller that wants to hold the connection would.
        await conn.write(encode("5\r\nhello\r\n")).catch(() => {});
      }
    } catch (error) {
      if (!gaveUp) throw error;
    } finally {
      clearTimeout(deadline);
    }
    assert(!gaveUp, "the server was still reading the refused body after 10 s");
    conn.close();
    assertMatch(answer, /^HTTP\/1\.1 401/);
  },
);

testEachRuntime(
  "server API: a lobby-only client is not made a member of a channel it can never join",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    await using _lobby = await joinB(server.ws, "Lobbyist");
    assertEquals(
      (await callApi(server.http, "POST", "/api/channels", { name: "team" })).status,
      201,
    );
    const added = await callApi(server.http, "PUT", "/api/channels/team/members/lobbyist");
    assertEquals(refusal(added), [409, "lobby_only"]);
    const members = await callApi(server.http, "GET", "/api/channels/team/members");
    assertEquals(members.body.members, [], "nobody was made a member");
  },
);
