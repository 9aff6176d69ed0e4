/**
 * What administering channels and users does, once someone was allowed to:
 * invitations, membership given or taken, roles, bans, mutes, deleting a
 * channel, and ending a user's sessions. Every effect reaches the user's
 * sessions on every instance (a signal on the user's topic, which each
 * session follows) and the channel's members (through presence). The
 * WebSocket commands (`handlers.ts`) call these after checking the sender's
 * role; the server API calls them as the server, above every role.
 *
 * @module
 */
import { type Broker, type Measure, userTopic } from "../broker/broker.ts";
import { userKey } from "../protocol/names.ts";
import type { PresenceFeed } from "./presence.ts";

/** Why a user's sessions left a channel they did not leave themselves. */
export type RemovalReason = "kicked" | "banned" | "deleted";

/** The effects of administering channels and users. */
export interface Moderation {
  /** Lets `user` join the private `channel`; their sessions are told `from` did. */
  invite(channel: string, user: string, from: string): Promise<void>;
  /**
   * Makes `channel` one of `user`'s channels (inviting them first to a
   * private one): every session of theirs joins it. Resolves whether it was new.
   */
  addMember(channel: string, user: string): Promise<boolean>;
  /** Takes `user` out of `channel`: their sessions leave it, told `kicked`. Resolves whether they were in. */
  kick(channel: string, user: string): Promise<boolean>;
  /** Makes `user` a moderator of `channel`, or a plain member again. */
  setRole(channel: string, user: string, role: "moderator" | "member"): Promise<void>;
  /** Bans `user` from `channel` (they leave it, told `banned`), or lifts the ban. */
  ban(channel: string, user: string, measure: Measure): Promise<void>;
  /** Mutes `user` in `channel`, or lifts it. */
  mute(channel: string, user: string, measure: Measure): Promise<void>;
  /** Deletes `channel`: every member's sessions leave it, told `deleted`. */
  deleteChannel(channel: string): Promise<void>;
  /** Closes every session of `user` on every instance (4008), with `reason`. */
  disconnect(user: string, reason: string): Promise<void>;
}

/** Creates the effects over the broker; the channel's members hear of them through `presence`. */
export function createModeration(options: {
  broker: Broker;
  presence: Pick<PresenceFeed, "membershipChanged" | "roleChanged">;
}): Moderation {
  const { broker, presence } = options;

  /** `user` as its holder spells it: how watchers know the member, not as it was typed. */
  async function spelled(user: string): Promise<string> {
    return (await broker.users.lookup(user))?.name ?? user;
  }

  /** Tells every session of `user` that it is out of `channel`, and why: they leave. */
  async function tell(user: string, channel: string, reason: RemovalReason): Promise<void> {
    await broker.bus.signal(userTopic(userKey(user)), {
      kind: "membership",
      channel,
      member: false,
      exceptSession: "",
      reason,
    });
  }

  return {
    async invite(channel, user, from) {
      await broker.channels.invite(channel, userKey(user));
      await broker.bus.signal(userTopic(userKey(user)), { kind: "invited", channel, from });
    },
    async addMember(channel, typed) {
      const user = await spelled(typed);
      const key = userKey(user);
      const access = await broker.channels.access(channel, key);
      if (access?.private && access.owner !== key && !access.invited) {
        await broker.channels.invite(channel, key);
      }
      if (!(await broker.users.setMembership(user, channel, true))) return false;
      await Promise.all([
        broker.bus.signal(userTopic(key), {
          kind: "membership",
          channel,
          member: true,
          exceptSession: "",
        }),
        presence.membershipChanged(user, channel, "joined"),
      ]);
      return true;
    },
    async kick(channel, user) {
      const removed = await broker.users.setMembership(user, channel, false);
      if (removed) await presence.membershipChanged(await spelled(user), channel, "left");
      await tell(user, channel, "kicked");
      return removed;
    },
    async setRole(channel, user, role) {
      await broker.channels.setRole(channel, userKey(user), role);
      await presence.roleChanged(
        await spelled(user),
        channel,
        role === "moderator" ? "moderator" : undefined,
      );
    },
    async ban(channel, user, measure) {
      // A ban ends the user's membership in the same broker step.
      await broker.channels.ban(channel, userKey(user), measure);
      if ("lifted" in measure) return;
      await tell(user, channel, "banned");
      await presence.membershipChanged(await spelled(user), channel, "left");
    },
    async mute(channel, user, measure) {
      await broker.channels.mute(channel, userKey(user), measure);
    },
    async deleteChannel(channel) {
      const members = await broker.channels.remove(channel);
      await Promise.all(members.map((key) => tell(key, channel, "deleted")));
    },
    async disconnect(user, reason) {
      await broker.bus.signal(userTopic(userKey(user)), { kind: "disconnect", reason });
    },
  };
}

/** The measure `seconds` asks for: absent for good, 0 lifts it. */
export function measureOf(seconds: number | undefined): Measure {
  if (seconds === undefined) return { forever: true };
  return seconds === 0 ? { lifted: true } : { until: Date.now() + seconds * 1000 };
}
