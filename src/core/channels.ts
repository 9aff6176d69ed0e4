/**
 * The channel manager: which topics each local session listens on. Joining
 * a channel registers it (within the session's limits and its token's
 * grant) and subscribes before it resolves; joining with `since` resumes
 * the channel from history; a session's own inbox is its user's topic. The
 * roster below turns local membership into broker subscriptions.
 *
 * @module
 */
import { type Broker, type ChannelAccess, channelTopic, userTopic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import { checkChannelGrant } from "./grants.ts";
import { closeGates, dropHeld, holdLive, resume } from "./replay.ts";
import type { Roster } from "./roster.ts";
import { CommandRefused, type Session } from "./session.ts";

/** What the channel manager needs. */
export interface ChannelOptions
  extends Pick<Config, "maxChannelsPerSession" | "channelCreationsPerMinute"> {
  broker: Broker;
  roster: Roster<Session>;
}

/** Channel membership of this instance's sessions. */
export interface Channels {
  /**
   * Creates `channel` if missing (private if asked, owned by the session's
   * user) and makes the session a member, subscribed before it resolves. A
   * private channel takes only its owner and invited users.
   */
  join(session: Session, channel: string, create?: { private?: boolean }): Promise<void>;
  /** Joins `channel` and replays what it holds after `since`; a failure leaves no half-joined channel. */
  joinAndResume(session: Session, channel: string, since: string): Promise<void>;
  /** Ends the session's membership of `channel`. */
  leave(session: Session, channel: string): Promise<void>;
  /** Subscribes the session to its user's topic (direct messages, typing, copies). */
  listenToInbox(session: Session): Promise<void>;
  /** Removes the session from every topic it listens on; resolves once unneeded subscriptions are dropped. */
  leaveAll(session: Session): Promise<void>[];
}

/** Creates the channel manager. */
export function createChannels(options: ChannelOptions): Channels {
  const { broker, roster } = options;

  async function join(
    session: Session,
    channel: string,
    create: { private?: boolean } = {},
  ): Promise<void> {
    if (session.channels.has(channel)) return;
    checkChannelGrant(session, channel);
    if (session.channels.size >= options.maxChannelsPerSession) {
      throw new CommandRefused(
        "too_many_channels",
        `Already in ${options.maxChannelsPerSession} channels: leave one first`,
      );
    }
    const user = session.user!.key;
    const access = await broker.channels.access(channel, user);
    if (access && !mayJoin(access, user)) {
      // Said the same whatever the reason, so that nothing about the channel leaks.
      throw new CommandRefused("channel_unavailable", `Channel "${channel}" cannot be joined`);
    }
    if (access?.bannedUntil !== undefined) {
      throw new CommandRefused(
        "banned",
        `Banned from channel "${channel}" ${until(access.bannedUntil)}`,
      );
    }
    if (!access && !session.limits.creations.take()) {
      throw new CommandRefused(
        "rate_limited",
        `Too many new channels: at most ${options.channelCreationsPerMinute} a minute`,
      );
    }
    if (!access) {
      // A kind-B client's lobby has no owner; a kind-A user owns what it creates.
      const owner = session.codec.kind === "A" ? { owner: user } : {};
      await broker.channels.create(channel, { private: create.private === true, ...owner });
    }
    if (session.state === "closed" || session.channels.has(channel)) return;
    session.channels.add(channel);
    try {
      await roster.add(channelTopic(channel), session);
    } catch (error) {
      session.channels.delete(channel);
      await roster.remove(channelTopic(channel), session);
      throw error;
    }
  }

  function leave(session: Session, channel: string): Promise<void> {
    session.channels.delete(channel);
    closeGates(session, channelTopic(channel));
    return removeMember(session, channelTopic(channel));
  }

  /** Takes `session` off `topic`; the last local member takes the topic's delivery mark along. */
  function removeMember(session: Session, topic: string): Promise<void> {
    const removed = roster.remove(topic, session);
    if (!roster.members(topic)) session.settings.lastDelivered.delete(topic);
    return removed;
  }

  return {
    join,
    leave,
    async joinAndResume(session, channel, since) {
      const topic = channelTopic(channel);
      const wasMember = session.channels.has(channel);
      holdLive(session, topic);
      try {
        await join(session, channel);
        await resume(session, broker.history, topic, since, `channel "${channel}"`);
      } catch (error) {
        dropHeld(session, topic);
        // The client retries the resume whole.
        if (!wasMember && session.channels.has(channel)) await leave(session, channel);
        throw error;
      }
    },
    listenToInbox(session) {
      return roster.add(userTopic(session.user!.key), session);
    },
    leaveAll(session) {
      const left = [...session.channels].map((channel) =>
        removeMember(session, channelTopic(channel))
      );
      session.channels.clear();
      session.gates = undefined;
      session.liveFrom = undefined;
      if (session.user) left.push(roster.remove(userTopic(session.user.key), session));
      return left;
    },
  };
}

/** Whether the user `user` may join a channel with `access`: any public one, or its own or invited. */
export function mayJoin(access: ChannelAccess, user: string): boolean {
  return !access.private || access.owner === user || access.invited;
}

/** "for good", or "until <time>", of a ban or mute ending at `ms`. */
export function until(ms: number): string {
  return ms === Infinity ? "for good" : `until ${new Date(ms).toISOString()}`;
}
