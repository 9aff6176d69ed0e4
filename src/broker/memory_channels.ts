/**
 * The embedded broker's channel registry: each channel with its privacy,
 * owner, invitations, moderators, bans and mutes, all in one process, and
 * its members as the hub's memberships record them. What a channel grants
 * a user (ownership, the moderator role, an invitation) belongs to the
 * holding of the name it was given to: a new holder of the name gets none
 * of an earlier holding's grants (`docs/channels.md`).
 *
 * @module
 */
import { byCodePoints } from "../protocol/names.ts";
import type {
  ChannelAccess,
  ChannelInfo,
  ChannelRegistry,
  ChannelRole,
  Measure,
} from "./broker.ts";
import type { MemoryPresence } from "./memory_presence.ts";

/** The registry, and what the hub asks of it when publishing and claiming names. */
export interface MemoryChannels extends ChannelRegistry {
  /** Until when the user `userKey` is muted in `name`, if they are now. */
  mutedUntil(name: string, userKey: string): number | undefined;
  /**
   * A holding of the name `userKey` began, with the token hash `tokenHash`:
   * the grants given to another holding end, those given while nobody held
   * the name are this one's.
   */
  claimed(userKey: string, tokenHash: string): void;
}

/** A channel as the hub keeps it: its info, invitations, roles and measures by user key. */
interface MemoryChannel extends ChannelInfo {
  invited: Set<string>;
  moderators: Set<string>;
  /** Until when (ms) each banned or muted user is; `Infinity` for good. */
  bans: Map<string, number>;
  mutes: Map<string, number>;
}

/** The keys of the users `channel` grants something: its owner, moderators and invited users. */
function grantees(channel: MemoryChannel): string[] {
  const keys = [...channel.moderators, ...channel.invited];
  return channel.owner === undefined ? keys : [...keys, channel.owner];
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

/** The user's role in `channel`, if above a member's: the owner's wins over an appointment. */
function roleIn(channel: MemoryChannel | undefined, userKey: string): ChannelRole | undefined {
  if (channel === undefined) return undefined;
  if (channel.owner === userKey) return "owner";
  return channel.moderators.has(userKey) ? "moderator" : undefined;
}

function setMeasure(measures: Map<string, number>, userKey: string, measure: Measure): void {
  const until = untilOf(measure);
  if (until === undefined) measures.delete(userKey);
  else measures.set(userKey, until);
}

/** What the registry shares with the rest of the hub. */
export interface MemoryChannelsOptions {
  /** The users' memberships: a ban or a deletion ends some. */
  presence: MemoryPresence;
  isOnline(userKey: string): boolean;
  /** The token hash of the holding of the name `userKey`, if someone holds it. */
  holderOf(userKey: string): string | undefined;
  /** Told of each deleted channel, whose history the hub drops. */
  removed(name: string): void;
  /** Told of each user a ban took out of a channel. */
  banned(userKey: string, name: string): void;
}

/** Creates an empty registry. */
export function createMemoryChannels(options: MemoryChannelsOptions): MemoryChannels {
  const { presence, isOnline } = options;
  const channels = new Map<string, MemoryChannel>();
  /**
   * Per user key, the channels where the user holds a grant, each with the
   * token hash of the holding it was given to ('' when nobody held the
   * name): ending a holding's grants needs no scan of every channel.
   */
  const grants = new Map<string, Map<string, string>>();
  /** The public channels in code-point order, while none was created or deleted since. */
  let sortedPublic: string[] | undefined;
  const registry: MemoryChannels = {
    mutedUntil(name, userKey) {
      const mutes = channels.get(name)?.mutes;
      return mutes && activeUntil(mutes, userKey);
    },
    create(name, info = { private: false }) {
      const created = !channels.has(name);
      if (created) {
        sortedPublic = undefined;
        if (info.owner !== undefined) grant(info.owner, name);
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
      const role = roleIn(channel, userKey);
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
    invitations(userKey) {
      const held = [...grants.get(userKey)?.keys() ?? []];
      return Promise.resolve(
        held.filter((name) => channels.get(name)?.invited.has(userKey)).sort(byCodePoints),
      );
    },
    invite(name, userKey) {
      const channel = channels.get(name);
      if (channel) {
        grant(userKey, name);
        channel.invited.add(userKey);
      }
      return Promise.resolve();
    },
    remove(name) {
      const channel = channels.get(name);
      if (channel) { for (const userKey of grantees(channel)) unindex(userKey, name); }
      channels.delete(name);
      sortedPublic = undefined;
      options.removed(name);
      return Promise.resolve(presence.dropChannel(name));
    },
    setRole(name, userKey, role) {
      const channel = channels.get(name);
      if (channel && role === "moderator") {
        grant(userKey, name);
        channel.moderators.add(userKey);
      } else if (channel?.moderators.delete(userKey)) {
        // Nothing left to end with the holding: the index keeps only standing grants.
        if (channel.owner !== userKey && !channel.invited.has(userKey)) unindex(userKey, name);
      }
      return Promise.resolve();
    },
    ban(name, userKey, measure) {
      const channel = channels.get(name);
      if (channel) setMeasure(channel.bans, userKey, measure);
      if (!("lifted" in measure) && presence.setMembership(userKey, userKey, name, false)) {
        options.banned(userKey, name);
      }
      return Promise.resolve();
    },
    mute(name, userKey, measure) {
      const channel = channels.get(name);
      if (channel) setMeasure(channel.mutes, userKey, measure);
      return Promise.resolve();
    },
    list() {
      return Promise.resolve(publicChannels().slice());
    },
    count() {
      return Promise.resolve(publicChannels().length);
    },
    search({ prefix, after, limit }) {
      const all = publicChannels();
      const from = after !== undefined && byCodePoints(after, prefix) >= 0 ? after : undefined;
      let start = lowerBound(all, from ?? prefix);
      if (from !== undefined && all[start] === from) start++;
      const found = [];
      for (let i = start; i < all.length && found.length <= limit; i++) {
        if (!all[i].startsWith(prefix)) break;
        found.push(all[i]);
      }
      const page = found.slice(0, limit);
      return Promise.resolve({
        channels: page.map((name) => ({ name, members: presence.memberCount(name) })),
        ...(found.length > limit ? { next: page.at(-1) } : {}),
      });
    },
    members(name, page) {
      const channel = channels.get(name);
      return Promise.resolve(
        presence.membersPage(name, page, isOnline, (userKey) => roleIn(channel, userKey)),
      );
    },
    onlineMembers(name, limit) {
      return Promise.resolve(presence.onlineMembers(name, limit, isOnline));
    },
    memberCounts(names) {
      return Promise.resolve(names.map(presence.memberCount));
    },
    claimed(userKey, tokenHash) {
      const mine = grants.get(userKey);
      for (const [name, holding] of mine ?? []) {
        if (holding === "") mine!.set(name, tokenHash);
        else if (holding !== tokenHash) strip(userKey, name);
      }
    },
  };

  /**
   * Records that the user `userKey` is given something in channel `name`,
   * for the holding of the name now; what an earlier holding was given there
   * ends first, or the new grant would carry it on to the next holder.
   */
  function grant(userKey: string, name: string): void {
    const holder = options.holderOf(userKey) ?? "";
    const holding = grants.get(userKey)?.get(name);
    if (holding && holding !== holder) strip(userKey, name);
    let mine = grants.get(userKey);
    if (!mine) grants.set(userKey, mine = new Map());
    mine.set(name, holder);
  }

  /** Takes from the user `userKey` all they were given in channel `name`. */
  function strip(userKey: string, name: string): void {
    const channel = channels.get(name);
    if (channel?.owner === userKey) delete channel.owner;
    channel?.moderators.delete(userKey);
    channel?.invited.delete(userKey);
    unindex(userKey, name);
  }

  function unindex(userKey: string, name: string): void {
    const mine = grants.get(userKey);
    mine?.delete(name);
    if (mine?.size === 0) grants.delete(userKey);
  }

  function publicChannels(): string[] {
    sortedPublic ??= [...channels].filter(([, channel]) => !channel.private)
      .map(([name]) => name).sort(byCodePoints);
    return sortedPublic;
  }
  return registry;
}

/** The first index of ascending `sorted` whose name is not before `name`. */
function lowerBound(sorted: string[], name: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (byCodePoints(sorted[middle], name) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
