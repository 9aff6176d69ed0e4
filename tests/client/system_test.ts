/**
 * Messages the application's backend posts through the server API as a
 * system sender reach the SDK's application marked `system: true`, with the
 * sender's name as `from`: in a channel and as a direct message, live, in a
 * resumed session's replay and in `history`. Such a message is never the
 * user's own, whatever its sender is called: it counts as unread.
 *
 * @module
 */
import { isOwn } from "../../src/client/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { API_KEY, publishViaApi } from "../support/api.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startServer } from "../support/server.ts";
import { clientPool, collect, until } from "./support.ts";

testEachRuntime(
  "client SDK: a system sender's messages carry system: true, live, replayed and in history",
  async (runtime) => {
    await using server = await startServer(runtime, { API_KEY: API_KEY });
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    await alice.join("orders");
    await bob.join("orders");
    const bobGot = collect(bob, "message");
    const aliceDms = collect(alice, "directMessage");

    const shipped = await publishViaApi(server.http, {
      channel: "orders",
      text: "Order 1042 shipped",
      from: "Order bot",
      system: true,
    });
    const maintenance = await publishViaApi(server.http, {
      channel: "orders",
      text: "Maintenance at noon",
      system: true,
    });
    const userSaid = await alice.broadcast("orders", "thanks");
    await until(() => bobGot.length === 3);
    const seen = (messages: { id: string; from: string; message: string; system?: true }[]) =>
      messages.map(({ id, from, message, system }): unknown[] => [id, from, message, system]);
    const channel: unknown[][] = [
      [shipped, "Order bot", "Order 1042 shipped", true],
      [maintenance, "system", "Maintenance at noon", true],
      [userSaid, "alice", "thanks", undefined],
    ];
    assertEquals(seen(bobGot), channel, "bob's live message events");
    assertEquals(seen(await bob.history({ channel: "orders" })), channel, "the channel's history");

    const direct = await publishViaApi(server.http, { user: "alice", text: "Your order shipped" });
    await until(() => aliceDms.length === 1);
    assertEquals(
      [...seen(aliceDms), aliceDms[0].to, aliceDms[0].copy],
      [[direct, "system", "Your order shipped", true], "alice", false],
      "alice's live directMessage event",
    );
    assertEquals(
      seen(await alice.history({ with: "system" })),
      [[direct, "system", "Your order shipped", true]],
      "the conversation's history",
    );
    await until(() => alice.readPosition({ with: "system" })?.unread === 1);

    // Another device of alice's, resuming from before the direct message, gets it replayed.
    const resumed = clients.connect({ url: server.ws, token: alice.token, since: userSaid });
    const replayed = collect(resumed, "directMessage");
    await resumed.ready();
    await until(() => replayed.length === 1);
    assertEquals(
      [...seen(replayed), replayed[0].replay],
      [[direct, "system", "Your order shipped", true], true],
      "the replayed direct message",
    );

    // "system" is a name no user may hold: its conversation is read and marked read all the same.
    const notice = await publishViaApi(server.http, { user: "alice", text: "Password changed" });
    await until(() => aliceDms.length === 2);
    assertEquals(
      seen(await alice.history({ with: "system" })),
      [[direct, "system", "Your order shipped", true], [
        notice,
        "system",
        "Password changed",
        true,
      ]],
      "the conversation with the reserved system sender",
    );
    await until(() => alice.readPosition({ with: "system" })?.unread === 2);
    await alice.markRead({ with: "system" });
    await until(() => alice.readPosition({ with: "system" })?.unread === 0);
  },
);

Deno.test("isOwn: a system sender's message is nobody's own, even under the user's name", () => {
  assert(isOwn({ from: "Alice" }, "alice"), "names match regardless of case");
  assert(!isOwn({ from: "bob" }, "alice"));
  assert(!isOwn({ from: "alice", system: true }, "alice"), "posted by a system sender");
});
