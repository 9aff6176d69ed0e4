/**
 * Private channels: created by their owner, joined only by invitation, and
 * invisible to everyone else in every list, history answer and error.
 */
import { ask, joinA, joinChannel, names } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals } from "../support/assert.ts";

testEachRuntime(
  "private channels: only the owner and invited users join; nobody else sees them",
  async (runtime) => {
    await using server = await startServer(runtime, { LIST_UPDATE_INTERVAL_MS: "100" });
    await using olga = await joinA(server.ws, "olga");
    await using pia = await joinA(server.ws, "pia");
    await using eve = await joinA(server.ws, "eve");
    const created = await ask(
      olga,
      { type: "createChannel", message: "plans", private: true },
      "c",
    );
    assertEquals(created.type, "ack");
    olga.send({ type: "broadcast", to: "plans", message: "for members only", ref: "b" });
    await olga.take({ type: "ack", ref: "b" });
    await olga.take((f) => f.type === "channelList" && names(f).includes("plans"));

    for (
      const [ref, frame] of [
        ["j", { type: "joinChannel", to: "plans" }],
        ["s", { type: "broadcast", to: "plans", message: "let me in" }],
        ["c", { type: "createChannel", message: "plans" }],
      ] as const
    ) {
      const refused = await ask(eve, frame, ref);
      assertEquals([refused.code, refused.message], [
        "channel_unavailable",
        'Channel "plans" cannot be joined',
      ], ref);
    }
    const history = await ask(eve, { type: "history", to: "plans" }, "h");
    assertEquals([history.type, (history as { messages?: unknown[] }).messages], ["history", []]);
    const typing = await ask(eve, { type: "typing", to: "plans" }, "t");
    assertEquals(typing.code, "user_offline", "answered as if there were no such channel");
    assertEquals(
      (await ask(eve, { type: "invite", to: "plans", user: "eve" }, "i")).code,
      "not_member",
    );

    await joinChannel(pia, "general");
    await pia.take((f) => f.type === "channelList" && names(f).includes("general"));
    assertEquals(
      (await ask(olga, { type: "invite", to: "plans", user: "Pia" }, "inv")).type,
      "ack",
    );
    const invitation = await pia.take({ type: "invited" });
    assertEquals([invitation.to, invitation.from], ["plans", "olga"]);
    // A session opened later (another tab, a reload) finds the invitation in its memberships.
    await using piaTab = await joinA(server.ws, "pia", pia.session.token);
    assertEquals((await piaTab.take({ type: "memberships" })).invited, ["plans"]);
    await joinChannel(pia, "plans");
    await pia.take((f) => f.type === "channelList" && names(f).includes("plans"));
    await using piaLater = await joinA(server.ws, "pia", pia.session.token);
    assertEquals((await piaLater.take({ type: "memberships" })).invited, [], "joined: not pending");
    const replay = await ask(pia, { type: "history", to: "plans" }, "ph");
    assertEquals((replay as { messages?: { message: string }[] }).messages?.map((m) => m.message), [
      "for members only",
    ]);
    assertEquals(
      (await ask(pia, { type: "invite", to: "plans", user: "eve" }, "pi")).code,
      "not_permitted",
      "a member does not invite",
    );
    await ask(olga, { type: "setRole", to: "plans", user: "pia", role: "moderator" }, "sr");
    assertEquals(
      (await ask(pia, { type: "invite", to: "plans", user: "zed" }, "mi")).type,
      "ack",
      "a moderator does",
    );
    for (const client of [eve, pia, olga]) {
      const lists = client.received.filter((f) => f.type === "channelList");
      const sawPlans = lists.some((f) => names(f).includes("plans"));
      assertEquals(sawPlans, client !== eve, "only members ever see it listed");
    }
  },
);

Deno.test("private channels: an invitation on one instance lets the user in on another [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using olga = await joinA(one.ws, "olga");
  await using pia = await joinA(two.ws, "pia");
  await ask(olga, { type: "createChannel", message: "plans", private: true }, "c");
  assertEquals(
    (await ask(pia, { type: "joinChannel", to: "plans" }, "j1")).code,
    "channel_unavailable",
  );
  await ask(olga, { type: "invite", to: "plans", user: "pia" }, "i");
  await pia.take({ type: "invited", to: "plans" });
  await joinChannel(pia, "plans");
  olga.send({ type: "broadcast", to: "plans", message: "welcome", ref: "w" });
  await pia.take({ type: "broadcast", message: "welcome" });
});
