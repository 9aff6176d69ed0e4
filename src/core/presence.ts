/**
 * Presence as changes, to the members it concerns. What is relevant to a
 * user is the presence of the members of the channels they are in: a
 * member's join, leave or status change (online, away, offline, custom
 * text) is one signal on that channel's topic, which reaches only the
 * instances with members there. A session that asked for a channel's
 * `members` watches it: a small channel (up to
 * `PRESENCE_EVENTS_MAX_MEMBERS`) then sends it each change as a `member`
 * frame, a bigger one its counts (`memberCount`), at most once per list
 * interval. So a change costs one signal per channel of the user, and
 * frames only to those who watch, never a list to everyone.
 *
 * The list feed reads the same signals: `changedChannels` says which
 * channels' online members to read again for seed clients' bounded lists.
 *
 * @module
 */
import { type Broker, channelTopic, type PresenceChange } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { ChannelRole, Command, MemberPage, Outbound, Presence } from "../protocol/commands.ts";
import { mayUseChannel } from "../auth.ts";
import { checkChannelGrant } from "./grants.ts";
import { ack, CommandRefused, send, sendFrameIsolated, type Session } from "./session.ts";

/** The commands presence answers. */
export type PresenceCommand = Command & { type: "members" | "channels" | "status" | "presence" };

/** What presence needs. */
export interface PresenceOptions
  extends Pick<Config, "presenceEventsMaxMembers" | "readReceiptsMaxMembers"> {
  broker: Broker;
  log: Logger;
}

/** Presence of one instance. */
export interface PresenceFeed {
  /**
   * Tells the user's channels (`channels`, or all the user's) that the user
   * came online, went offline, or set a status.
   */
  statusChanged(name: string, channels?: string[]): Promise<void>;
  /** Tells `channel` that the user joined or left it. */
  membershipChanged(name: string, channel: string, event: "joined" | "left"): Promise<void>;
  /** Tells `channel` the user's role there now (none: a plain member). */
  roleChanged(name: string, channel: string, role: ChannelRole | undefined): Promise<void>;
  /** Users whose instance died: tells their channels they are offline. */
  expired(names: string[]): void;
  /** Hands a change delivered on `channel`'s topic to its watching local members. */
  deliver(members: Iterable<Session>, channel: string, change: PresenceChange): void;
  /** Runs a presence or discovery command: `members`, `channels`, `status`, `presence`. */
  handle(session: Session, command: PresenceCommand): Promise<void>;
  /** Sends watchers of big channels their counts, where they changed. */
  sendCounts(audience: Iterable<Session>): Promise<void>;
  /** The channels whose members' presence changed since the last call. */
  changedChannels(): Set<string>;
}

/** Creates the presence of one instance. */
export function createPresence(options: PresenceOptions): PresenceFeed {
  const { broker, log, presenceEventsMaxMembers } = options;
  /** Big channels whose counts changed, for their watchers. */
  let countsChanged = new Set<string>();
  let changed = new Set<string>();
  /** The last counts sent per big channel: an unchanged count is not sent again. */
  const lastCounts = new Map<string, string>();

  /** Signals `event` with the user's presence now on each of `channels`. */
  async function announce(
    name: string,
    channels: string[],
    event: PresenceChange["event"],
    role?: ChannelRole,
  ): Promise<void> {
    if (channels.length === 0) return;
    const [[presence], sizes] = await Promise.all([
      broker.users.presence([name]),
      broker.channels.memberCounts(channels),
    ]);
    // A name freed with its last session (no grace) keeps no profile: it was last seen now.
    if (!presence.online) presence.lastSeen ??= Date.now();
    await Promise.all(channels.map((channel, i) =>
      broker.bus.signal(channelTopic(channel), {
        kind: "presence",
        event,
        ...presence,
        ...(role === undefined ? {} : { role }),
        members: sizes[i],
      })
    ));
  }

  /** In a channel small enough for read receipts, each member with how far they have read it. */
  async function withReceipts(channel: string, page: MemberPage): Promise<MemberPage> {
    if (page.count > options.readReceiptsMaxMembers || page.members.length === 0) return page;
    const reads = await broker.reads.readBy(channel, page.members.map(({ name }) => name));
    return {
      ...page,
      members: page.members.map((member, i) =>
        reads[i] === undefined ? member : { ...member, read: reads[i] }
      ),
    };
  }

  /** Answers a `members` request; from then on the session watches the channel. */
  async function members(
    session: Session,
    { channel, after, limit, ref }: Command & { type: "members" },
  ): Promise<void> {
    checkChannelGrant(session, channel);
    const access = await broker.channels.access(channel, session.user!.key);
    if (!access || (access.private && !session.channels.has(channel))) {
      throw new CommandRefused("channel_unavailable", `Channel "${channel}" cannot be listed`);
    }
    // Only a member hears the channel's changes; others get the page alone.
    const watches = session.channels.has(channel);
    if (watches) (session.watching ??= new Set()).add(channel);
    // Changes that arrive while the page is read come after it, so the page never undoes them.
    const held: Outbound[] = [];
    (session.heldPresence ??= new Map()).set(channel, held);
    try {
      const page = await withReceipts(
        channel,
        await broker.channels.members(channel, { after, limit }),
      );
      send(session, { type: "members", channel, page, ...(ref === undefined ? {} : { ref }) });
      if (watches && page.count > presenceEventsMaxMembers) {
        // This watcher has this count now: a later change is measured against it.
        lastCounts.delete(channel);
        const { members, online } = await broker.channels.onlineMembers(channel, 0);
        send(session, { type: "memberCount", channel, members, online });
      }
    } finally {
      session.heldPresence.delete(channel);
    }
    for (const outbound of held) send(session, outbound);
  }

  async function statusChanged(name: string, channels?: string[]): Promise<void> {
    await announce(name, channels ?? await broker.users.memberships(name), "status");
  }

  return {
    statusChanged,
    membershipChanged: (name, channel, event) => announce(name, [channel], event),
    roleChanged: (name, channel, role) => announce(name, [channel], "role", role),
    expired(names) {
      for (const name of names) {
        statusChanged(name).catch((error) => log.warn("presence.announce_failed", { error }));
      }
    },
    deliver(members, channel, change) {
      changed.add(channel);
      // A big channel's watchers get counts, at most once per interval, not every change.
      if (change.members > presenceEventsMaxMembers) {
        countsChanged.add(channel);
        return;
      }
      const outbound: Outbound = {
        type: "member",
        channel,
        event: change.event,
        presence: presenceOf(change),
        ...(change.role === undefined ? {} : { role: change.role }),
      };
      let frame: string | undefined;
      for (const session of members) {
        if (session.state !== "open" || !session.watching?.has(channel)) continue;
        const held = session.heldPresence?.get(channel);
        if (held) held.push(outbound);
        else if ((frame ??= session.codec.encode(outbound)) !== undefined) {
          sendFrameIsolated(session, frame);
          session.settings.metrics.framesOut.member++;
        }
      }
    },
    async handle(session, command) {
      const { ref } = command;
      const withRef = ref === undefined ? {} : { ref };
      switch (command.type) {
        case "members":
          return await members(session, command);
        case "channels": {
          const { prefix, after, limit } = command;
          const page = await broker.channels.search({ prefix, after, limit });
          const allowed = session.grant?.channels;
          if (allowed) page.channels = page.channels.filter((c) => mayUseChannel(allowed, c.name));
          return send(session, { type: "channels", prefix, page, ...withRef });
        }
        case "status": {
          const user = session.user!;
          await broker.users.setStatus(user.name, command.status, command.text);
          await statusChanged(user.name);
          return ack(session, ref);
        }
        case "presence": {
          const users = await broker.users.presence(command.users);
          return send(session, { type: "presence", users, ...withRef });
        }
      }
    },
    async sendCounts(audience) {
      const due = countsChanged;
      countsChanged = new Set();
      if (due.size === 0) return;
      const watchers = new Map<string, Session[]>();
      for (const session of audience) {
        for (const channel of session.watching ?? []) {
          if (due.has(channel) && session.state === "open" && session.channels.has(channel)) {
            watchers.get(channel)?.push(session) ?? watchers.set(channel, [session]);
          }
        }
      }
      for (const [channel, sessions] of watchers) {
        const { members, online } = await broker.channels.onlineMembers(channel, 0);
        const outbound: Outbound = { type: "memberCount", channel, members, online };
        const frame = sessions[0].codec.encode(outbound);
        if (frame === undefined || lastCounts.get(channel) === frame) continue;
        lastCounts.set(channel, frame);
        for (const session of sessions) sendFrameIsolated(session, frame);
        sessions[0].settings.metrics.framesOut.memberCount += sessions.length;
      }
    },
    changedChannels() {
      const channels = changed;
      changed = new Set();
      return channels;
    },
  };
}

/** The presence a change carries, without the signal's own fields. */
function presenceOf(change: PresenceChange): Presence {
  return {
    name: change.name,
    online: change.online,
    status: change.status,
    ...(change.text === undefined ? {} : { text: change.text }),
    ...(change.lastSeen === undefined ? {} : { lastSeen: change.lastSeen }),
  };
}
