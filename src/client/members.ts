/**
 * Live member lists of the channels the client watches: filled from
 * `members` pages, then kept current by `member` frames (each carries the
 * member's whole presence, so applying one twice is harmless) and, for large
 * channels, `memberCount` frames. Roles and read positions come only in
 * `members` pages (then in `member` frames of event `role`, and in read
 * receipts), so they are kept apart from the entries: a `member` frame,
 * which has neither, drops neither, even when the member leaves and comes back.
 *
 * @module
 */
import type { ChannelMember, ChannelRole, ServerFrameA } from "./types.ts";

/** One page of a `members` answer. */
export type MembersPage = ServerFrameA<"members">;

/** Which page of a `members` answer to ask for. */
export interface PageQuery {
  after?: string;
  limit: number;
}

/** Every member of a channel, read page after page (of the most a page holds) with `ask`. */
export async function readAllPages(
  ask: (page: PageQuery) => Promise<MembersPage>,
): Promise<ChannelMember[]> {
  const members: ChannelMember[] = [];
  let after: string | undefined;
  do {
    const { members: read, next } = await ask({ after, limit: 100 });
    members.push(...read);
    after = next;
  } while (after !== undefined);
  return members;
}

export class MemberLists {
  readonly #lists = new Map<string, Map<string, ChannelMember>>();
  readonly #roles = new Map<string, Map<string, ChannelRole>>();
  /** Per channel, how far each member has read it (channels small enough for read receipts). */
  readonly #reads = new Map<string, Map<string, string>>();
  readonly #counts = new Map<string, { members: number; online: number }>();

  /** The channels watched, to ask again after a reconnect. */
  watched(): string[] {
    return [...this.#lists.keys()];
  }

  /** Replaces a channel's list, and the roles and read positions known in it, by a full read. */
  replace(channel: string, members: ChannelMember[]): void {
    this.#lists.set(channel, new Map(members.map((member) => [member.name, member])));
    this.#roles.set(
      channel,
      new Map(members.flatMap(({ name, role }) => role ? [[name, role]] : [])),
    );
    this.#reads.set(
      channel,
      new Map(members.flatMap(({ name, read }) => read ? [[name, read]] : [])),
    );
  }

  /** A read receipt: `name` has read the watched `channel` up to `id`. */
  read(channel: string, name: string, id: string): void {
    const reads = this.#reads.get(channel);
    if (!reads || (reads.get(name) ?? "") >= id) return;
    reads.set(name, id);
    const list = this.#lists.get(channel)!;
    const member = list.get(name);
    if (member) list.set(name, { ...member, read: id });
  }

  /** Applies a `member` frame of a watched channel. */
  apply(frame: ServerFrameA<"member">): void {
    const list = this.#lists.get(frame.to);
    if (!list) return;
    if (frame.event === "left") {
      list.delete(frame.from);
      return;
    }
    if (frame.event === "role") this.#setRole(frame.to, frame.from, frame.role);
    const role = this.#roles.get(frame.to)?.get(frame.from);
    const read = this.#reads.get(frame.to)?.get(frame.from);
    list.set(frame.from, {
      name: frame.from,
      online: frame.online,
      status: frame.status,
      ...(frame.message === "" ? {} : { text: frame.message }),
      ...(frame.lastSeen === undefined ? {} : { lastSeen: frame.lastSeen }),
      ...(role ? { role } : {}),
      ...(read ? { read } : {}),
    });
  }

  #setRole(channel: string, name: string, role: ChannelRole | undefined): void {
    const roles = this.#roles.get(channel) ?? new Map<string, ChannelRole>();
    this.#roles.set(channel, roles);
    if (role) roles.set(name, role);
    else roles.delete(name);
  }

  count(frame: ServerFrameA<"memberCount">): void {
    this.#counts.set(frame.to, { members: frame.members, online: frame.online });
  }

  /** The current members of `channel`, in name order (empty when not watched). */
  list(channel: string): ChannelMember[] {
    return [...(this.#lists.get(channel)?.values() ?? [])].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /** The latest counts of a large watched channel. */
  counts(channel: string): { members: number; online: number } | undefined {
    return this.#counts.get(channel);
  }

  forget(channel: string): void {
    this.#lists.delete(channel);
    this.#roles.delete(channel);
    this.#reads.delete(channel);
    this.#counts.delete(channel);
  }
}
