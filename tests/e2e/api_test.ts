/**
 * The server API (`/api/`), over real HTTP against real servers on Deno and
 * on Node, watched by real WebSocket clients: every refusal with its status
 * and code, publishing as the system, a named system sender or a user, and
 * channel administration with the same effects as the WebSocket commands.
 * Disconnects and server bans are in `api_sessions_test.ts`.
 */
import { ask, connect, type Frame, joinA, joinChannel } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { API_KEY, callApi, refusal, withApi } from "../support/api.ts";

testEachRuntime(
  "api: off without API_KEY, every /api/ path is 404, even with a key",
  async (runtime) => {
    await using server = await startServer(runtime);
    for (const path of ["/api", "/api/info", "/api/channels"]) {
      const answer = await callApi(server.http, "GET", path);
      assertEquals(refusal(answer), [404, "not_found"], path);
    }
  },
);

testEachRuntime(
  "api: refusals: 401 without the key, 404, 405, 400 naming the field, 413, 409, 404 for names",
  async (runtime) => {
    await using server = await startServer(
      runtime,
      withApi({ API_MAX_BODY_BYTES: "1024", MAX_MESSAGE_CHARS: "10" }),
    );
    const { http } = server;
    const unauthorized = { error: { code: "unauthorized", message: "Unauthorized" } };
    const keys: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${API_KEY}x` },
      { authorization: "Basic x" },
    ];
    for (const headers of keys) {
      const answer = await callApi(http, "GET", "/api/info", undefined, headers);
      assertEquals([answer.status, answer.body], [401, unauthorized]);
    }
    // Unknown routes too: no key, nothing learned.
    assertEquals(refusal(await callApi(http, "GET", "/api/nowhere", undefined, {})), [
      401,
      "unauthorized",
    ]);
    assertEquals(refusal(await callApi(http, "GET", "/api/nowhere")), [404, "not_found"]);
    const wrongMethod = await callApi(http, "PATCH", "/api/channels");
    assertEquals(refusal(wrongMethod), [405, "method_not_allowed"]);
    assertEquals(wrongMethod.headers.get("allow"), "GET, POST");

    const badJson = await callApi(http, "POST", "/api/publish", "{not json");
    assertEquals(refusal(badJson), [400, "invalid_request"]);
    const noText = await callApi(http, "POST", "/api/publish", { channel: "lobby" });
    assertEquals(refusal(noText), [400, "invalid_request"]);
    assertMatch(noText.body.error.message, /^Invalid text: /);
    const both = await callApi(http, "POST", "/api/publish", {
      channel: "lobby",
      user: "bob",
      text: "x",
    });
    assertMatch(both.body.error.message, /exactly one of channel .* or user/);
    const badName = await callApi(http, "POST", "/api/channels", { name: "two  spaces" });
    assertMatch(
      badName.body.error.message,
      /^Invalid name: Channel name "two {2}spaces" has two spaces/,
    );
    const unknownKey = await callApi(http, "POST", "/api/channels", { name: "ok", colour: "red" });
    assertMatch(unknownKey.body.error.message, /colour/);
    const reserved = await callApi(http, "POST", "/api/publish", {
      channel: "lobby",
      text: "x",
      from: "Server",
    });
    assertMatch(reserved.body.error.message, /^Invalid from: .*reserved/);
    const tooLong = await callApi(http, "POST", "/api/publish", {
      channel: "lobby",
      text: "x".repeat(11),
    });
    assertMatch(tooLong.body.error.message, /longer than 10 characters/);
    const badPage = await callApi(http, "GET", "/api/channels?limit=500");
    assertEquals(refusal(badPage), [400, "invalid_request"]);
    assertEquals(refusal(await callApi(http, "GET", "/api/channels/%E0%A4%A/members")), [
      400,
      "invalid_request",
    ]);

    // Larger than API_MAX_BODY_BYTES: as the header says it, and as it arrives without one.
    const declared = await callApi(
      http,
      "POST",
      "/api/publish",
      JSON.stringify({ channel: "lobby", text: "x".repeat(2000) }),
    );
    assertEquals(refusal(declared), [413, "payload_too_large"]);
    const streamed = await fetch(`${http}/api/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}` },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(
            new TextEncoder().encode(`{"channel":"lobby","text":"${"y".repeat(3000)}"}`),
          );
          controller.close();
        },
      }),
    });
    assertEquals([streamed.status, (await streamed.json()).error.code], [413, "payload_too_large"]);

    assertEquals(refusal(await callApi(http, "POST", "/api/channels", { name: "news" })), [
      201,
      undefined,
    ]);
    assertEquals(refusal(await callApi(http, "POST", "/api/channels", { name: "news" })), [
      409,
      "channel_exists",
    ]);
    for (
      const [method, path] of [
        ["GET", "/api/channels/nope"],
        ["GET", "/api/channels/nope/members"],
        ["GET", "/api/channels/nope/messages"],
        ["DELETE", "/api/channels/nope"],
        ["PUT", "/api/channels/nope/members/bob"],
      ]
    ) {
      assertEquals(refusal(await callApi(http, method, path)), [404, "channel_not_found"], path);
    }
    assertEquals(
      refusal(await callApi(http, "POST", "/api/publish", { channel: "nope", text: "x" })),
      [404, "channel_not_found"],
    );
    assertEquals(
      refusal(await callApi(http, "POST", "/api/publish", { user: "nobody", text: "x" })),
      [404, "user_not_found"],
    );
    assertEquals(refusal(await callApi(http, "PUT", "/api/channels/news/members/nobody")), [
      404,
      "user_not_found",
    ]);
    assertEquals(refusal(await callApi(http, "DELETE", "/api/channels/lobby")), [
      403,
      "not_permitted",
    ]);
    assertEquals(
      refusal(
        await callApi(http, "POST", "/api/publish", {
          channel: "news",
          text: "x",
          replyTo: "1795271816712-000003",
        }),
      ),
      [422, "reply_not_found"],
    );
    // A body nobody reads (not the API's) leaves the connection usable.
    const unread = await fetch(`${http}/healthz`, { method: "POST", body: "z".repeat(200_000) });
    assertEquals([unread.status, await unread.text()], [200, "ok\n"]);
    // After all of it the server serves on, and counted each answer by route and status.
    assertEquals((await callApi(http, "GET", "/api/info")).status, 200);
    const metrics = (await (await fetch(`${http}/metrics`)).text()).split("\n");
    for (
      const sample of [
        'natter_api_requests_total{route="unmatched",status="401"} 4',
        'natter_api_requests_total{route="POST /api/channels",status="409"} 1',
        'natter_api_requests_total{route="GET /api/info",status="200"} 1',
      ]
    ) assert(metrics.includes(sample), `${sample} in /metrics`);
  },
);

testEachRuntime(
  "api: a publish reaches the channel's members or the user's sessions, as the system, a named sender or a user",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    const { http, ws } = server;
    await using alice = await joinA(ws, "alice");
    await using bob = await joinA(ws, "bob");
    for (const client of [alice, bob]) await joinChannel(client, "news");

    const system = await callApi(http, "POST", "/api/publish", {
      channel: "news",
      text: "Maintenance at 6, @bob",
    });
    const seen = await bob.take({ type: "broadcast", id: system.body.id });
    assertEquals([seen.from, seen.message, (seen as Frame & { system?: boolean }).system], [
      "system",
      "Maintenance at 6, @bob",
      true,
    ]);
    const named = await callApi(http, "POST", "/api/publish", {
      channel: "news",
      text: "Order 7 shipped",
      from: "Order bot",
      system: true,
      data: { order: 7 },
    });
    const shipped = await alice.take({ type: "broadcast", id: named.body.id });
    assertEquals([shipped.from, shipped.data, (shipped as Frame & { system?: boolean }).system], [
      "Order bot",
      { order: 7 },
      true,
    ]);
    const onBehalf = await callApi(http, "POST", "/api/publish", {
      channel: "news",
      text: "hi all",
      from: "alice",
      replyTo: named.body.id,
    });
    const said = await bob.take({ type: "broadcast", id: onBehalf.body.id });
    assertEquals([said.from, said.replyTo, "system" in said], ["alice", named.body.id, false]);

    // The mention counts for bob, as a client's broadcast's would.
    await using bobAgain = await joinA(ws, "bob", bob.session.token);
    const state = await bobAgain.take({ type: "readState" });
    const news = (state.channels as { name: string; mentions: number }[]).find((c) =>
      c.name === "news"
    );
    assertEquals(news?.mentions, 1);

    // A ref makes a retry one message.
    const first = await callApi(http, "POST", "/api/publish", {
      user: "bob",
      text: "Your code: 1234",
      ref: "otp-1",
    });
    const again = await callApi(http, "POST", "/api/publish", {
      user: "bob",
      text: "Your code: 1234",
      ref: "otp-1",
    });
    assertEquals([first.body, again.body], [{ id: first.body.id }, {
      id: first.body.id,
      duplicate: true,
    }]);
    for (const session of [bob, bobAgain]) {
      const dm = await session.take({ type: "directMessage", id: first.body.id });
      assertEquals([dm.from, dm.to, dm.message], ["system", "bob", "Your code: 1234"]);
    }
    // On behalf of alice: bob gets it, alice's sessions their copy.
    const fromAlice = await callApi(http, "POST", "/api/publish", {
      user: "bob",
      text: "lunch?",
      from: "alice",
    });
    await bob.take({ type: "directMessage", id: fromAlice.body.id, from: "alice" });
    await alice.take({ type: "sessionUpdate", id: fromAlice.body.id });
    const conversation = await callApi(http, "GET", "/api/users/alice/conversations/bob/messages");
    assertEquals(conversation.body.messages.map((m: Frame) => m.text), ["lunch?"]);

    // History as a client reads it: an edit shows.
    const edited = await ask(alice, {
      type: "editMessage",
      to: "news",
      id: onBehalf.body.id,
      message: "hi everyone",
    }, "e");
    assertEquals(edited.code, "not_permitted", "nobody edits what the API posted for them");
    const mine = await ask(alice, { type: "broadcast", to: "news", message: "typo" }, "m");
    await ask(alice, { type: "editMessage", to: "news", id: mine.id, message: "fixed" }, "e2");
    const history = await callApi(http, "GET", "/api/channels/news/messages?limit=2");
    assertEquals(history.body.messages.map((m: Frame) => [m.from, m.text, typeof m.edited]), [
      ["alice", "hi all", "undefined"],
      ["alice", "fixed", "number"],
    ]);
    const before = await callApi(
      http,
      "GET",
      `/api/channels/news/messages?before=${onBehalf.body.id}&limit=1`,
    );
    assertEquals(before.body.messages.map((m: Frame) => m.id), [named.body.id]);
  },
);

testEachRuntime(
  "api: channel administration has the WebSocket commands' effects on every session",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    const { http, ws } = server;
    await using olga = await joinA(ws, "olga");
    await using bob = await joinA(ws, "bob");
    await using carol = await joinA(ws, "carol");

    const created = await callApi(http, "POST", "/api/channels", {
      name: "vip",
      private: true,
      owner: "Olga",
    });
    assertEquals([created.status, created.body], [201, {
      name: "vip",
      private: true,
      owner: "olga",
    }]);
    assertEquals((await olga.take({ type: "joined" })).to, "vip");
    const added = await callApi(http, "PUT", "/api/channels/vip/members/Bob");
    assertEquals(added.body, { channel: "vip", user: "bob", added: true });
    assertEquals((await bob.take({ type: "joined" })).to, "vip");
    await callApi(http, "PUT", "/api/channels/vip/members/carol");
    await carol.take({ type: "joined", to: "vip" });
    assertEquals(
      (await callApi(http, "GET", "/api/channels")).body.channels.map((c: Frame) =>
        c.to ?? (c as { name: string }).name
      ),
      ["lobby"],
      "a private channel is not listed",
    );
    assertEquals((await callApi(http, "GET", "/api/channels/vip")).body, {
      name: "vip",
      private: true,
      owner: "olga",
      members: 3,
      online: 3,
    });
    const members = await callApi(http, "GET", "/api/channels/vip/members?limit=2");
    assertEquals(
      members.body.members.map((m: { name: string; role?: string }) => [m.name, m.role]),
      [["bob", undefined], ["carol", undefined]],
    );
    assertEquals([members.body.count, typeof members.body.next], [3, "string"]);

    // Olga watches the members: a role set by the API shows as one set by her.
    await ask(olga, { type: "members", to: "vip" }, "w");
    await callApi(http, "PUT", "/api/channels/vip/roles/bob", { role: "moderator" });
    const promoted = await olga.take({ type: "member", event: "role" });
    assertEquals([promoted.from, promoted.role], ["bob", "moderator"]);
    assertEquals(
      refusal(await callApi(http, "PUT", "/api/channels/vip/roles/bob", { role: "owner" })),
      [400, "invalid_request"],
    );

    // Mute: a message on carol's behalf is refused, her own too; lifted, both go.
    await callApi(http, "PUT", "/api/channels/vip/mutes/carol", {});
    assertEquals(
      refusal(
        await callApi(http, "POST", "/api/publish", { channel: "vip", text: "x", from: "carol" }),
      ),
      [403, "muted"],
    );
    assertEquals(
      (await ask(carol, { type: "broadcast", to: "vip", message: "x" }, "c1")).code,
      "muted",
    );
    await callApi(http, "DELETE", "/api/channels/vip/mutes/carol");
    assertEquals(
      (await callApi(http, "POST", "/api/publish", { channel: "vip", text: "back", from: "carol" }))
        .status,
      200,
    );

    // Kick, ban: out of the channel, told why; a ban keeps them out until lifted.
    await callApi(http, "DELETE", "/api/channels/vip/members/carol");
    assertEquals((await carol.take({ type: "left" })).message, "kicked");
    await callApi(http, "PUT", "/api/channels/vip/members/carol");
    await carol.take({ type: "joined", to: "vip" });
    const banned = await callApi(http, "PUT", "/api/channels/vip/bans/carol", { seconds: 600 });
    assert(banned.body.ban.until > Date.now());
    assertEquals((await carol.take({ type: "left" })).message, "banned");
    assertEquals((await ask(carol, { type: "joinChannel", to: "vip" }, "j")).code, "banned");
    assertEquals(refusal(await callApi(http, "PUT", "/api/channels/vip/members/carol")), [
      409,
      "banned",
    ]);
    await callApi(http, "DELETE", "/api/channels/vip/bans/carol");
    assertEquals((await callApi(http, "PUT", "/api/channels/vip/members/carol")).body.added, true);
    await carol.take({ type: "joined", to: "vip" });

    // Delete: every member's sessions leave it, the name is free.
    assertEquals((await callApi(http, "DELETE", "/api/channels/vip")).body, {
      channel: "vip",
      deleted: true,
    });
    for (const client of [olga, bob, carol]) {
      assertEquals((await client.take({ type: "left", to: "vip" })).message, "deleted");
    }
    assertEquals(refusal(await callApi(http, "GET", "/api/channels/vip")), [
      404,
      "channel_not_found",
    ]);

    const users = await callApi(http, "GET", "/api/users?limit=2");
    assertEquals([
      users.body.users.map((u: { name: string }) => u.name),
      users.body.count,
      users.body.next,
    ], [["bob", "carol"], 3, "carol"]);
    const rest = await callApi(http, "GET", "/api/users?after=carol");
    assertEquals([
      rest.body.users.map((u: { name: string; online: boolean }) => [u.name, u.online]),
      rest.body.next,
    ], [[["olga", true]], undefined]);
    const info = await callApi(http, "GET", "/api/info");
    assertEquals([
      info.body.instances,
      info.body.onlineUsers,
      info.body.channels,
      info.body.sessions,
    ], [1, 3, 1, 3]);
    assertEquals(
      info.body.runtime,
      runtime === "node" ? "node" : undefined,
      "the in-process Deno server names none",
    );
  },
);

Deno.test("api: a kind-B client sees a system message in the lobby", async () => {
  await using server = await startServer("deno", withApi());
  await using lobby = await connect(server.ws, "B");
  lobby.send({ sender: "Lee", text: "" });
  await lobby.take({ sender: "Server" });
  await callApi(server.http, "POST", "/api/publish", { channel: "lobby", text: "Welcome!" });
  assertEquals((await lobby.take({ text: "Welcome!" })).sender, "system");
});
