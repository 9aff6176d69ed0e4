/**
 * The broker contract's presence part: who is online, users' status and
 * last-seen time, a channel's members page by page, and the discovery of
 * public channels, identical on every broker and seen alike from every
 * instance. `contract.ts` runs it for each broker.
 *
 * @module
 */
import type { Broker, OpenSessionRequest } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";
import type { Deploy, Deployment } from "./contract.ts";

/** Registers the presence tests for the broker called `name`. */
export function presenceContract(name: string, deploy: Deploy): void {
  const test = (title: string, fn: (deployment: Deployment) => Promise<void>) =>
    Deno.test(`${name} broker: ${title}`, async () => {
      await using deployment = await deploy();
      await fn(deployment);
    });

  const open = (broker: Broker, name: string, sessionId: string, extra = {}) =>
    broker.users.open(
      {
        name,
        freshTokenHash: `t-${name.toLowerCase()}`,
        presentedTokenHash: `t-${name.toLowerCase()}`,
        sessionId,
        kind: "A",
        maxSessions: 10,
        ...extra,
      } satisfies OpenSessionRequest,
    );

  test("a user goes offline with their last session, and is last seen then", async ({ first, second }) => {
    await open(first, "Olga", "o1");
    await open(second, "olga", "o2");
    assertEquals(await first.users.onlineCount(), 1, "users, not sessions, are counted");
    assertEquals(await first.users.close("olga", "o1"), false, "another session is live");
    const before = Date.now();
    assertEquals(await second.users.close("Olga", "o2"), true);
    assertEquals(await second.users.close("Olga", "o2"), false, "closing twice changes nothing");
    assertEquals(await first.users.onlineCount(), 0);
    const [olga, nobody] = await first.users.presence(["OLGA", "Nobody"]);
    assertEquals([olga.name, olga.online, olga.status], ["Olga", false, "online"]);
    assert(olga.lastSeen! >= before - 1000 && olga.lastSeen! <= Date.now() + 1000, "last seen now");
    assertEquals(nobody, { name: "Nobody", online: false, status: "online" });
    await open(second, "Olga", "o3");
    const [back] = await first.users.presence(["olga"]);
    assertEquals([back.online, back.lastSeen], [true, undefined], "online users have no last seen");
  });

  test("a status and custom text are seen from every instance, and can be cleared", async ({ first, second }) => {
    await open(first, "Pia", "p1");
    await first.users.setStatus("Pia", "away", "in a meeting");
    assertEquals(await second.users.presence(["PIA"]), [
      { name: "Pia", online: true, status: "away", text: "in a meeting" },
    ]);
    await second.users.setStatus("Pia", "online");
    assertEquals(await first.users.presence(["pia"]), [
      { name: "Pia", online: true, status: "online" },
    ]);
  });

  test("a channel's members come page by page in key order, with their presence", async ({ first, second }) => {
    const names = ["Eve", "dan", "Bob", "carl", "Ana"];
    for (const [i, name] of names.entries()) {
      await open(i % 2 ? first : second, name, `m${i}`);
      await (i % 2 ? second : first).users.setMembership(name, "room", true);
    }
    await first.users.close("carl", "m3");
    await second.users.setStatus("Eve", "away", "lunch");
    const one = await first.channels.members("room", { limit: 2 });
    assertEquals(one.count, 5);
    assertEquals(one.members.map((member) => member.name), ["Ana", "Bob"]);
    const two = await second.channels.members("room", { after: one.next, limit: 2 });
    assertEquals(two.members.map((member) => [member.name, member.online]), [
      ["carl", false],
      ["dan", true],
    ]);
    assert(two.members[0].lastSeen !== undefined, "an offline member's last seen is known");
    const three = await first.channels.members("room", { after: two.next, limit: 2 });
    assertEquals(three, {
      members: [{ name: "Eve", online: true, status: "away", text: "lunch" }],
      count: 5,
    });
    assertEquals(
      await second.channels.onlineMembers("room", 2),
      { names: ["Ana", "Bob"], online: 4, members: 5 },
    );
    assertEquals(await first.channels.memberCounts(["room", "nowhere"]), [5, 0]);
    await first.users.setMembership("dan", "room", false);
    assertEquals((await second.channels.members("room", { limit: 10 })).count, 4);
  });

  test("a members page carries each member's role as it stands now; presence carries none", async ({ first, second }) => {
    await first.channels.create("room", { private: false, owner: "olga" });
    for (const [i, name] of ["Olga", "Mo", "Kim"].entries()) {
      await open(i % 2 ? second : first, name, `r${i}`);
      await (i % 2 ? first : second).users.setMembership(name, "room", true);
    }
    await second.channels.setRole("room", "mo", "moderator");
    const one = await first.channels.members("room", { limit: 2 });
    assertEquals(one.members, [
      { name: "Kim", online: true, status: "online" },
      { name: "Mo", online: true, status: "online", role: "moderator" },
    ]);
    assertEquals((await second.channels.members("room", { after: one.next, limit: 2 })).members, [
      { name: "Olga", online: true, status: "online", role: "owner" },
    ]);
    assertEquals(await first.users.presence(["olga", "mo"]), [
      { name: "Olga", online: true, status: "online" },
      { name: "Mo", online: true, status: "online" },
    ], "a presence answer is about users, not a channel");

    const roles = async (broker: Broker) =>
      (await broker.channels.members("room", { limit: 10 })).members.map((m) => [m.name, m.role]);
    await first.channels.setRole("room", "mo", "member");
    assertEquals(await roles(second), [
      ["Kim", undefined],
      ["Mo", undefined],
      ["Olga", "owner"],
    ], "a demoted moderator is a member again");

    // A deleted channel's roles go with it: the next channel of that name has its own owner.
    await second.channels.setRole("room", "mo", "moderator");
    await second.channels.remove("room");
    await first.channels.create("room", { private: false, owner: "kim" });
    for (const name of ["Olga", "Mo", "Kim"]) await second.users.setMembership(name, "room", true);
    assertEquals(await roles(first), [["Kim", "owner"], ["Mo", undefined], ["Olga", undefined]]);
  });

  test("public channels are found by prefix, page by page, with their member counts", async ({ first, second }) => {
    for (const channel of ["team-b", "team-a", "tea", "other", "team-c", "équipe"]) {
      await first.channels.create(channel);
    }
    await second.channels.create("team-secret", { private: true, owner: "x" });
    await open(first, "Ida", "i1");
    await first.users.setMembership("Ida", "team-a", true);
    assertEquals(await second.channels.count(), 6, "private channels are not counted");
    const page = await second.channels.search({ prefix: "team", limit: 2 });
    assertEquals(page, {
      channels: [{ name: "team-a", members: 1 }, { name: "team-b", members: 0 }],
      next: "team-b",
    });
    assertEquals(await first.channels.search({ prefix: "team", after: page.next, limit: 2 }), {
      channels: [{ name: "team-c", members: 0 }],
    });
    assertEquals(
      (await first.channels.search({ prefix: "", limit: 10 })).channels.map((c) => c.name),
      ["other", "tea", "team-a", "team-b", "team-c", "équipe"],
    );
    assertEquals(await first.channels.search({ prefix: "é", limit: 10 }), {
      channels: [{ name: "équipe", members: 0 }],
    });
    await second.channels.remove("team-b");
    assertEquals(
      (await first.channels.search({ prefix: "team", limit: 10 })).channels.map((c) => c.name),
      ["team-a", "team-c"],
    );
    assertEquals(await first.channels.count(), 5);
  });
}
