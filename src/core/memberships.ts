/**
 * Memberships belong to the user, not to one session. A kind-A session that
 * joins or leaves a channel makes it one of its user's channels (or not) in
 * the broker, and signals the user's topic, so each of the user's other
 * sessions, on every instance, follows and is told (`joined`, `left`). A new
 * session starts in its user's channels, announced in one `memberships`
 * frame with each channel's newest id. A session that resumes (its handshake
 * has `since`) is only told them, and rejoins each with `since` itself, so
 * that its replay comes before anything live. The channel's members are
 * told of the join or leave through presence.
 *
 * @module
 */
import { mayUseChannel } from "../auth.ts";
import { type Broker, channelTopic, userTopic } from "../broker/broker.ts";
import type { Channels } from "./channels.ts";
import type { Follow } from "./delivery.ts";
import type { PresenceFeed } from "./presence.ts";
import { closeGates, joinedLive } from "./replay.ts";
import { enqueue } from "./intake.ts";
import { CommandRefused, send, type Session } from "./session.ts";

import { CONVERSATIONS_ON_CONNECT } from "./reading.ts";
/** Channel membership as the user's. */
export interface Memberships {
  /** Joins the session (creating the channel as `create` says), and makes it its user's everywhere. */
  join(session: Session, channel: string, create?: { private?: boolean }): Promise<void>;
  /** `join`, replaying the channel after `since` to this session. */
  joinAndResume(session: Session, channel: string, since: string): Promise<void>;
  /** Leaves the channel on every session of the user. */
  leave(session: Session, channel: string): Promise<void>;
  /**
   * Sends a new kind-A session the `memberships` frame, having put it in its
   * user's channels when `live` (a resuming client rejoins them itself).
   */
  restore(session: Session, live: boolean): Promise<void>;
  /** How one local session follows a change made by another session of its user. */
  follow: Follow;
}

/** Creates the user-owned memberships over the session-level `channels`. */
export function createMemberships(options: {
  broker: Broker;
  channels: Channels;
  presence: Pick<PresenceFeed, "membershipChanged">;
}): Memberships {
  const { broker, channels, presence } = options;

  /** Records the change for the user and tells their other sessions, if it changed anything. */
  async function record(session: Session, channel: string, member: boolean): Promise<void> {
    const user = session.user!;
    if (session.codec.kind !== "A") return;
    if (!(await broker.users.setMembership(user.name, channel, member))) return;
    await Promise.all([
      broker.bus.signal(userTopic(user.key), {
        kind: "membership",
        channel,
        member,
        exceptSession: session.id,
      }),
      presence.membershipChanged(user.name, channel, member ? "joined" : "left"),
    ]);
  }

  /**
   * Joins `channel` live, with no replay, if the session may; a limit or a
   * grant that refuses it skips it.
   */
  async function joinQuietly(session: Session, channel: string): Promise<boolean> {
    const topic = channelTopic(channel);
    joinedLive(session, topic);
    try {
      await channels.join(session, channel);
    } catch (error) {
      if (!(error instanceof CommandRefused)) throw error;
    }
    if (!session.channels.has(channel)) closeGates(session, topic);
    return session.channels.has(channel);
  }

  /** The newest id of each channel, or undefined where it holds nothing. */
  async function newestIds(names: string[]): Promise<(string | undefined)[]> {
    return await Promise.all(names.map(async (name) => {
      const [newest] = await broker.history.page(channelTopic(name), { limit: 1 });
      return newest?.message.id;
    }));
  }

  return {
    async join(session, channel, create) {
      if (session.channels.has(channel)) return;
      await channels.join(session, channel, create);
      await record(session, channel, true);
    },
    async joinAndResume(session, channel, since) {
      const wasMember = session.channels.has(channel);
      await channels.joinAndResume(session, channel, since);
      if (!wasMember) await record(session, channel, true);
    },
    async leave(session, channel) {
      await channels.leave(session, channel);
      await record(session, channel, false);
    },
    async restore(session, live) {
      const user = session.user!;
      const [names, invitations] = await Promise.all([
        broker.users.memberships(user.name).then((found) => found.sort()),
        broker.channels.invitations(user.key),
      ]);
      const listed = [];
      for (const name of names) {
        if (
          live ? await joinQuietly(session, name) : mayUseChannel(session.grant?.channels, name)
        ) {
          listed.push(name);
        }
      }
      const [newest, positions] = await Promise.all([
        newestIds(listed),
        broker.reads.positions(user.name, listed, CONVERSATIONS_ON_CONNECT),
      ]);
      send(session, {
        type: "memberships",
        live,
        channels: listed.map((name, i) => newest[i] ? { name, last: newest[i] } : { name }),
        invited: invitations.filter((name) =>
          !names.includes(name) && mayUseChannel(session.grant?.channels, name)
        ),
      });
      send(session, { type: "readState", ...positions });
    },
    follow(session, { channel, member, reason }) {
      // A lobby client lives in the lobby alone: it may be taken out, never put in.
      if (member && session.codec.kind !== "A") return;
      // After the session's own commands, so its join or leave answers come first.
      enqueue(
        session,
        async () => {
          if (member) {
            if (session.channels.has(channel) || !(await joinQuietly(session, channel))) return;
            send(session, { type: "joined", channel });
          } else if (session.channels.has(channel)) {
            await channels.leave(session, channel);
            send(session, { type: "left", channel, ...(reason ? { reason } : {}) });
          }
        },
        undefined,
        false,
      );
    },
  };
}
