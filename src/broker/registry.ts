/**
 * The channel registry's part of the broker contract (see `broker.ts`): the
 * set of channels, who may use each and how (privacy, roles, invitations,
 * bans, mutes), and their members, shared by every instance.
 *
 * @module
 */
import type { ChannelPage, ChannelRole, MemberPage, OnlineMembers } from "../protocol/commands.ts";

/** What the registry knows of a channel besides its name. */
export interface ChannelInfo {
  /** Only its owner and invited users may join it, and only its members see it. */
  private: boolean;
  /** The key of the user who created it, if a user did (not the lobby). */
  owner?: string;
}

/** A channel as one user may use it. */
export interface ChannelAccess extends ChannelInfo {
  /** The user was invited to it. */
  invited: boolean;
  /** The user's role there, if above a member's. */
  role?: ChannelRole;
  /** Until when (ms) the user may not join it; `Infinity` for good. */
  bannedUntil?: number;
  /** Until when (ms) the user may not post in it; `Infinity` for good. */
  mutedUntil?: number;
}

/** A moderation measure and how long it lasts: until a time (ms), for good, or lifted. */
export type Measure = { until: number } | { forever: true } | { lifted: true };

/**
 * The set of channels, shared by every instance. What a channel grants a
 * user (its ownership, the moderator role, an invitation) belongs to the
 * holding of the name it was given to, or to the next one if nobody held
 * it: a claim of the name with another token hash ends it in the same step
 * (`UserDirectory.open`). Bans and mutes stay with the name.
 */
export interface ChannelRegistry {
  /** Registers `name` with `info` (public, no owner, unless said); resolves true when it was new. */
  create(name: string, info?: ChannelInfo): Promise<boolean>;
  exists(name: string): Promise<boolean>;
  /** The channel `name` as the user `userKey` may use it; undefined when there is none. */
  access(name: string, userKey: string): Promise<ChannelAccess | undefined>;
  /** Lets the user `userKey` join `name`. */
  invite(name: string, userKey: string): Promise<void>;
  /** The channels whose invitations the user `userKey` holds, in code-point order. */
  invitations(userKey: string): Promise<string[]>;
  /** Makes the user `userKey` a moderator of `name`, or a plain member again. */
  setRole(name: string, userKey: string, role: "moderator" | "member"): Promise<void>;
  /**
   * Bans the user `userKey` from `name` (may not join) and, in the same step,
   * ends their membership of it (`setMembership`); or lifts the ban.
   */
  ban(name: string, userKey: string, measure: Measure): Promise<void>;
  /** Mutes the user `userKey` in `name` (`publish` refuses their messages), or lifts it. */
  mute(name: string, userKey: string, measure: Measure): Promise<void>;
  /**
   * Deletes `name` with its history, roles, measures and invitations, and
   * ends every user's membership of it, in one step, so the name is free
   * again; resolves the keys of the users it was one of the channels of.
   */
  remove(name: string): Promise<string[]>;
  /** Names of the public channels. */
  list(): Promise<string[]>;
  /** How many public channels there are: cheap, whatever their number. */
  count(): Promise<number>;
  /** Up to `limit` public channels whose name starts with `prefix`, after `after`. */
  search(query: { prefix: string; after?: string; limit: number }): Promise<ChannelPage>;
  /**
   * The members of `name` after the cursor `after`, at most `limit`, with
   * their presence and their role there (as `access` tells it) when above a
   * member's.
   */
  members(name: string, page: { after?: string; limit: number }): Promise<MemberPage>;
  /** Who of `name`'s members is online: at most `limit` names, and the counts. */
  onlineMembers(name: string, limit: number): Promise<OnlineMembers>;
  /** How many members each of `names` has (0 for none). */
  memberCounts(names: string[]): Promise<number[]>;
}
