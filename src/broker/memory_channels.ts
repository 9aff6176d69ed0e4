/**
 * The embedded broker's channel registry: each channel with its privacy,
 * owner, invitations, moderators, bans and mutes, all in one process.
 *
 * @module
 */
import type { ChannelAccess, ChannelInfo, ChannelRegistry, Measure } from "./broker.ts";

/** The registry, and the mute check the hub's `publish` makes. */
export interface MemoryChannels extends ChannelRegistry {
  /** Until when the user `userKey` is muted in `name`, if they are now. */
  mutedUntil(name: string, userKey: string): number | undefined;
}

/** A channel as the hub keeps it: its info, invitations, roles and measures by user key. */
interface MemoryChannel extends ChannelInfo {
  invited: Set<string>;
  moderators: Set<string>;
  /** Until when (ms) each banned or muted user is; `Infinity` for good. */
  bans: Map<string, number>;
  mutes: Map<string, number>;
}

/** Until when a measure lasts (`undefined`: lifted). */
function untilOf(measure: Measure): number | undefined {
  return "until" in measure ? measure.until : "forever" in measure ? Infinity : undefined;
}

/** Whether the user is under a measure of `measures` now: until when, if so. */
function activeUntil(measures: Map<string, number>, userKey: string): number | undefined {
  const until = measures.get(userKey);
  return until !== undefined && until > Date.now() ? until : undefined;
}

function setMeasure(measures: Map<string, number>, userKey: string, measure: Measure): void {
  const until = untilOf(measure);
  if (until === undefined) measures.delete(userKey);
  else measures.set(userKey, until);
}

/** Creates an empty registry. */
export function createMemoryChannels(): MemoryChannels {
  const channels = new Map<string, MemoryChannel>();
  const registry: MemoryChannels = {
    mutedUntil(name, userKey) {
      const mutes = channels.get(name)?.mutes;
      return mutes && activeUntil(mutes, userKey);
    },
    create(name, info = { private: false }) {
      const created = !channels.has(name);
      if (created) {
        channels.set(name, {
          ...info,
          invited: new Set(),
          moderators: new Set(),
          bans: new Map(),
          mutes: new Map(),
        });
      }
      return Promise.resolve(created);
    },
    exists(name) {
      return Promise.resolve(channels.has(name));
    },
    access(name, userKey) {
      const channel = channels.get(name);
      if (!channel) return Promise.resolve(undefined);
      const role = channel.owner === userKey
        ? "owner"
        : channel.moderators.has(userKey)
        ? "moderator"
        : undefined;
      const bannedUntil = activeUntil(channel.bans, userKey);
      const mutedUntil = activeUntil(channel.mutes, userKey);
      return Promise.resolve(
        {
          private: channel.private,
          ...(channel.owner === undefined ? {} : { owner: channel.owner }),
          invited: channel.invited.has(userKey),
          ...(role ? { role } : {}),
          ...(bannedUntil === undefined ? {} : { bannedUntil }),
          ...(mutedUntil === undefined ? {} : { mutedUntil }),
        } satisfies ChannelAccess,
      );
    },
    invite(name, userKey) {
      channels.get(name)?.invited.add(userKey);
      return Promise.resolve();
    },
    remove(name) {
      channels.delete(name);
      // What else goes with it (history, memberships) is the hub's to remove.
      return Promise.resolve([]);
    },
    setRole(name, userKey, role) {
      const moderators = channels.get(name)?.moderators;
      if (role === "moderator") moderators?.add(userKey);
      else moderators?.delete(userKey);
      return Promise.resolve();
    },
    ban(name, userKey, measure) {
      const channel = channels.get(name);
      if (channel) setMeasure(channel.bans, userKey, measure);
      return Promise.resolve();
    },
    mute(name, userKey, measure) {
      const channel = channels.get(name);
      if (channel) setMeasure(channel.mutes, userKey, measure);
      return Promise.resolve();
    },
    list() {
      return Promise.resolve(
        [...channels].filter(([, channel]) => !channel.private).map(([name]) => name),
      );
    },
  };
  return registry;
}
