/**
 * The embedded broker's memberships and profiles: which channels each user
 * belongs to, the members of each channel (the same relation, indexed both
 * ways, so that a channel's members are found without scanning every
 * user), and each user's status, custom text and last-seen time.
 *
 * @module
 */
import type { ChannelRole, MemberPage, OnlineMembers, Presence, UserStatus } from "./broker.ts";

/** What the hub keeps of a user beyond the claim. */
interface Profile {
  name: string;
  status: UserStatus;
  text?: string;
  lastSeen?: number;
}

/** Memberships and profiles, by user key. */
export interface MemoryPresence {
  /** The channels of the user `key`. */
  channelsOf(key: string): string[];
  /** Makes `channel` one of the user's (or not); true when that changed anything. */
  setMembership(key: string, name: string, channel: string, member: boolean): boolean;
  /** Forgets the user's channels and profile (a new holder of the name starts with none). */
  dropUser(key: string): void;
  /** Forgets `channel`; returns the keys of the users it was one of the channels of. */
  dropChannel(channel: string): string[];
  /** The user's status and text. */
  setStatus(key: string, name: string, status: UserStatus, text: string | undefined): void;
  /** Records that the user's last session ended now. */
  lastSeen(key: string, name: string): void;
  /** What others see of the user `key`, called `name` if it has no profile yet. */
  presenceOf(key: string, name: string, online: boolean): Presence;
  /** A page of `channel`'s members; the roles are the registry's, which keeps them. */
  membersPage(
    channel: string,
    page: { after?: string; limit: number },
    isOnline: (key: string) => boolean,
    roleOf: (key: string) => ChannelRole | undefined,
  ): MemberPage;
  onlineMembers(
    channel: string,
    limit: number,
    isOnline: (key: string) => boolean,
  ): OnlineMembers;
  memberCount(channel: string): number;
  /** How many users have channels. */
  users(): number;
}

/** Creates empty memberships and profiles. */
export function createMemoryPresence(): MemoryPresence {
  const memberships = new Map<string, Set<string>>();
  const members = new Map<string, Map<string, string>>();
  const profiles = new Map<string, Profile>();

  function profile(key: string, name: string): Profile {
    let found = profiles.get(key);
    if (!found) profiles.set(key, found = { name, status: "online" });
    found.name = name;
    return found;
  }

  function presenceOf(key: string, name: string, online: boolean): Presence {
    const found = profiles.get(key);
    return {
      name: found?.name ?? name,
      online,
      status: found?.status ?? "online",
      ...(found?.text === undefined ? {} : { text: found.text }),
      ...(online || found?.lastSeen === undefined ? {} : { lastSeen: found.lastSeen }),
    };
  }

  /** The channel's members, key to name, in key order. */
  function sortedMembers(channel: string): [string, string][] {
    return [...members.get(channel) ?? []].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }

  function unindex(key: string, channel: string): void {
    const names = members.get(channel);
    names?.delete(key);
    if (names?.size === 0) members.delete(channel);
  }

  return {
    channelsOf: (key) => [...memberships.get(key) ?? []],
    setMembership(key, name, channel, member) {
      const channels = memberships.get(key) ?? new Set();
      const changed = member !== channels.has(channel);
      if (member) {
        channels.add(channel);
        let names = members.get(channel);
        if (!names) members.set(channel, names = new Map());
        names.set(key, profile(key, name).name);
      } else {
        channels.delete(channel);
        unindex(key, channel);
      }
      if (channels.size > 0) memberships.set(key, channels);
      else memberships.delete(key);
      return changed;
    },
    dropUser(key) {
      for (const channel of memberships.get(key) ?? []) unindex(key, channel);
      memberships.delete(key);
      profiles.delete(key);
    },
    dropChannel(channel) {
      const keys = [...members.get(channel)?.keys() ?? []];
      for (const key of keys) memberships.get(key)?.delete(channel);
      members.delete(channel);
      return keys;
    },
    setStatus(key, name, status, text) {
      const found = profile(key, name);
      found.status = status;
      found.text = text;
    },
    lastSeen(key, name) {
      profile(key, name).lastSeen = Date.now();
    },
    presenceOf,
    membersPage(channel, { after, limit }, isOnline, roleOf) {
      const all = sortedMembers(channel);
      const start = after === undefined ? 0 : all.findIndex(([key]) => key > after);
      const page = start < 0 ? [] : all.slice(start, start + limit);
      const last = page.at(-1);
      return {
        members: page.map(([key, name]) => {
          const role = roleOf(key);
          return { ...presenceOf(key, name, isOnline(key)), ...(role ? { role } : {}) };
        }),
        ...(last && start + limit < all.length ? { next: last[0] } : {}),
        count: all.length,
      };
    },
    onlineMembers(channel, limit, isOnline) {
      const names: string[] = [];
      let online = 0;
      for (const [key, name] of sortedMembers(channel)) {
        if (!isOnline(key)) continue;
        online++;
        if (names.length < limit) names.push(name);
      }
      return { names, online, members: members.get(channel)?.size ?? 0 };
    },
    memberCount: (channel) => members.get(channel)?.size ?? 0,
    users: () => memberships.size,
  };
}
