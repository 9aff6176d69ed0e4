/**
 * The broker contract's part on grants and names that change hands: what a
 * channel gives a user (ownership, the moderator role, an invitation) belongs
 * to the holding of the name it was given to, so a stranger who claims an
 * anonymous name after its hold ended inherits none of it, while bans and
 * mutes stay with the name and a verified identity (JWT) keeps everything.
 * `contract.ts` runs it for each broker.
 *
 * @module
 */
import type { Broker, OpenSessionRequest } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";
import type { Deploy, Deployment, Retention } from "./contract.ts";

/** Registers the grant tests for the broker called `name`. */
export function rolesContract(name: string, deploy: Deploy): void {
  const test = (
    title: string,
    fn: (deployment: Deployment) => Promise<void>,
    retention: Partial<Retention>,
  ) =>
    Deno.test(`${name} broker: ${title}`, async () => {
      await using deployment = await deploy(retention);
      await fn(deployment);
    });

  /** Opens a kind-A session of `name` claimed with `token` (a JWT identity's with `identified`). */
  const open = (
    broker: Broker,
    name: string,
    token: string,
    extra: Partial<OpenSessionRequest> = {},
  ) =>
    broker.users.open({
      name,
      freshTokenHash: token,
      sessionId: `${name}-${token}`,
      kind: "A",
      maxSessions: 10,
      ...extra,
    });

  /** Waits until nobody holds any of `names`: their grace is over. */
  async function holdsEnded(broker: Broker, names: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const name of names) {
      while (await broker.users.lookup(name) !== undefined) {
        assert(Date.now() < deadline, `the hold on ${name} never ended`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /** Each member of `channel` with their role there, as a members answer gives them. */
  const roles = async (broker: Broker, channel: string) =>
    (await broker.channels.members(channel, { limit: 50 })).members.map((m) => [m.name, m.role]);

  test(
    "when an anonymous hold ends, the next holder of the name has none of its roles or invitations",
    async ({ first, second }) => {
      for (const user of ["Olga", "mo", "pia", "kim"]) await open(first, user, `old-${user}`);
      await open(first, "jay", "jwt:jay", { identified: true });
      await first.channels.create("room", { private: false, owner: "olga" });
      await second.channels.create("plans", { private: true, owner: "olga" });
      for (const user of ["Olga", "mo", "kim", "jay"]) {
        await second.users.setMembership(user, "room", true);
      }
      await first.channels.setRole("room", "mo", "moderator");
      await first.channels.setRole("room", "jay", "moderator");
      await second.channels.invite("plans", "pia");
      await second.channels.ban("room", "kim", { forever: true });
      await first.channels.mute("plans", "kim", { forever: true });
      assertEquals(await roles(second, "room"), [
        ["jay", "moderator"],
        ["mo", "moderator"],
        ["Olga", "owner"],
      ]);

      for (const user of ["Olga", "mo", "pia", "kim"]) {
        await second.users.close(user, `${user}-old-${user}`);
      }
      await second.users.close("jay", "jay-jwt:jay");
      await holdsEnded(first, ["olga", "mo", "pia", "kim", "jay"]);
      assertEquals(
        await roles(first, "room"),
        [["jay", "moderator"]],
        "the anonymous owner and moderator left with their hold; the identity stays",
      );

      for (const user of ["olga", "MO", "pia", "kim"]) await open(second, user, `new-${user}`);
      await open(first, "jay", "jwt:jay", { identified: true });
      assertEquals(await first.channels.access("room", "olga"), { private: false, invited: false });
      assertEquals(await second.channels.access("plans", "olga"), {
        private: true,
        invited: false,
      });
      assertEquals((await first.channels.access("room", "mo"))?.role, undefined);
      assertEquals((await first.channels.access("plans", "pia"))?.invited, false);
      assertEquals((await second.channels.access("room", "jay"))?.role, "moderator");
      assertEquals((await second.channels.access("room", "kim"))?.bannedUntil, Infinity);
      assertEquals((await first.channels.access("plans", "kim"))?.mutedUntil, Infinity);

      await first.users.setMembership("olga", "room", true);
      await second.users.setMembership("MO", "room", true);
      assertEquals(await roles(second, "room"), [
        ["jay", "moderator"],
        ["MO", undefined],
        ["olga", undefined],
      ], "the channel has no owner now");
    },
    { reconnectGraceMs: 200 },
  );

  test(
    "a grant to a name nobody holds goes to its next holder, and ends with that holding",
    async ({ first, second }) => {
      await first.channels.create("room", { private: true, owner: "olga" });
      await open(first, "Olga", "t-olga");
      await second.channels.invite("room", "zed");
      await open(second, "Zed", "zed-1");
      assertEquals((await first.channels.access("room", "zed"))?.invited, true);
      await first.channels.setRole("room", "zed", "moderator");
      await first.users.close("zed", "Zed-zed-1");
      // Nobody holds the name now: this invitation is for whoever claims it next.
      await second.channels.invite("room", "zed");
      await open(first, "zed", "zed-2");
      assertEquals(await second.channels.access("room", "zed"), {
        private: true,
        owner: "olga",
        invited: true,
      }, "invited, as the second grant said, but not the first holder's moderator");
      await first.users.close("zed", "zed-zed-2");
      await open(second, "ZED", "zed-3");
      assertEquals((await first.channels.access("room", "zed"))?.invited, false);
      assertEquals(await first.channels.access("room", "olga"), {
        private: true,
        owner: "olga",
        invited: false,
        role: "owner",
      }, "the owner still holds the name");
    },
    { reconnectGraceMs: 0 },
  );
}
