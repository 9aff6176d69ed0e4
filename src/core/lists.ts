/**
 * Seed clients' `userList` and `channelList` frames, bounded. Once per
 * interval the feed reads how many users are online and how many public
 * channels there are (two cheap reads per instance, whatever the number of
 * clients). While there are at most `LIST_MAX_NAMES`, every kind-A client
 * gets the whole list, as seed A's server sent it. Beyond, each client's
 * list holds only what concerns it: the online members of its channels
 * (and itself), and its own channels; the rest is found with `members` and
 * `channels` requests. Either way a client gets a list only when it
 * changed, and never more than `LIST_BYTES_PER_SECOND` of them on average,
 * so a deployment of any size costs each client a bounded number of bytes.
 *
 * Clients that connect with `presence=changes` (the SDK) and kind-B clients
 * get no lists. A session whose JWT has a `channels` claim sees only the
 * channels the claim allows.
 *
 * @module
 */
import { mayUseChannel } from "../auth.ts";
import type { Broker } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { PresenceFeed } from "./presence.ts";
import { sendFrameIsolated, type Session } from "./session.ts";

type ListKind = "userList" | "channelList";

/** The sessions a feed keeps up to date (the session registry). */
export interface Audience {
  values(): Iterable<Session>;
}

/** Periodic list updates for the sessions of one instance. */
export interface ListFeed {
  /** Sends a newcomer the current lists, once it is open. */
  sendCurrent(session: Session): Promise<void>;
  /** Starts the periodic updates to `audience`. */
  start(audience: Audience): void;
  /** Stops them. */
  stop(): void;
}

/** Options of a list feed. */
export interface ListFeedOptions extends Pick<Config, "listMaxNames" | "listBytesPerSecond"> {
  broker: Broker;
  intervalMs: number;
  log: Logger;
  presence: Pick<PresenceFeed, "changedChannels" | "sendCounts">;
}

/** A list as every client may see it, or undefined when it is too long for that. */
interface Round {
  users?: string[];
  channels?: string[];
  /** Frames built this round, by list kind, codec and scope: shared by the sessions alike. */
  frames: Map<string, string | undefined>;
}

/** How long a channel's online members are trusted without a change (a lost signal heals). */
const ONLINE_MEMBERS_TTL_MS = 30_000;

/** Creates a stopped list feed. */
export function createListFeed(options: ListFeedOptions): ListFeed {
  const { broker, log, listMaxNames, presence } = options;
  /** Online members of the channels bounded lists are made of, and when they were read. */
  const onlineIn = new Map<string, { names: string[]; readAt: number }>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let ticking = false;

  async function readRound(): Promise<Round> {
    const [userCount, channelCount] = await Promise.all([
      broker.users.onlineCount(),
      broker.channels.count(),
    ]);
    const [users, channels] = await Promise.all([
      userCount <= listMaxNames ? broker.users.online() : undefined,
      channelCount <= listMaxNames ? broker.channels.list() : undefined,
    ]);
    return { users: users?.sort(byName), channels: channels?.sort(byName), frames: new Map() };
  }

  /** Reads again the online members of the channels `sessions` need that changed or aged. */
  async function refreshChannels(sessions: Session[]): Promise<void> {
    const changed = presence.changedChannels();
    const needed = new Set<string>();
    for (const session of sessions) for (const channel of session.channels) needed.add(channel);
    for (const channel of onlineIn.keys()) if (!needed.has(channel)) onlineIn.delete(channel);
    const now = Date.now();
    const stale = [...needed].filter((channel) => {
      const known = onlineIn.get(channel);
      return !known || changed.has(channel) || now - known.readAt > ONLINE_MEMBERS_TTL_MS;
    });
    await Promise.all(stale.map(async (channel) => {
      const { names } = await broker.channels.onlineMembers(channel, listMaxNames);
      onlineIn.set(channel, { names, readAt: now });
    }));
  }

  /** The frame of `kind` for `session`, built once per round for the sessions that share it. */
  function frameFor(session: Session, kind: ListKind, round: Round): string | undefined {
    const allowed = session.grant?.channels;
    const scope = kind === "userList"
      ? round.users ? "*" : ownChannels(session, session.user!.name)
      : round.channels && allowed === undefined && allPublic(session, round.channels)
      ? "*"
      : `${allowed?.join("\n") ?? "*"}\n\n${ownChannels(session, "")}`;
    const key = `${kind}\n${session.codec.kind}\n${scope}`;
    if (round.frames.has(key)) return round.frames.get(key);
    const names = kind === "userList" ? usersFor(session, round) : channelsFor(session, round);
    const frame = session.codec.encode({ type: kind, names });
    round.frames.set(key, frame);
    return frame;
  }

  function usersFor(session: Session, round: Round): string[] {
    if (round.users) return round.users;
    const names = new Set([session.user!.name]);
    for (const channel of session.channels) {
      for (const name of onlineIn.get(channel)?.names ?? []) names.add(name);
    }
    return [...names].sort(byName).slice(0, listMaxNames);
  }

  function channelsFor(session: Session, round: Round): string[] {
    const allowed = session.grant?.channels;
    const names = new Set(round.channels ?? []);
    for (const channel of session.channels) names.add(channel);
    return [...names].filter((channel) => mayUseChannel(allowed, channel)).sort(byName)
      .slice(0, Math.max(listMaxNames, session.channels.size));
  }

  /** Sends `session` each list that changed, as far as its byte budget allows. */
  function offerLists(session: Session, round: Round, force: boolean): void {
    for (const kind of ["userList", "channelList"] as const) {
      const frame = frameFor(session, kind, round);
      if (frame === undefined || session.sentLists[kind] === frame) continue;
      const now = Date.now();
      if (!force && session.listsDueAt > now) return;
      session.sentLists[kind] = frame;
      session.listsDueAt = Math.max(now, session.listsDueAt) +
        frame.length * 1000 / options.listBytesPerSecond;
      sendFrameIsolated(session, frame);
    }
  }

  async function tick(audience: Audience): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const open = [...audience.values()].filter((session) => session.state === "open");
      await presence.sendCounts(open);
      const receivers = open.filter(getsLists);
      if (receivers.length === 0 || !broker.isReady()) return;
      const round = await readRound();
      if (!round.users) await refreshChannels(receivers);
      for (const session of receivers) {
        if (session.state === "open") offerLists(session, round, false);
      }
    } catch (error) {
      log.warn("list update skipped", { error });
    } finally {
      ticking = false;
    }
  }

  return {
    async sendCurrent(session) {
      if (!getsLists(session)) return;
      const round = await readRound();
      if (!round.users) await refreshChannels([session]);
      if (session.state === "open") offerLists(session, round, true);
    },
    start(audience) {
      timer ??= setInterval(() => tick(audience), options.intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Seed (kind-A) clients get lists, unless they asked for changes only. */
function getsLists(session: Session): boolean {
  return session.codec.kind === "A" && !session.changesOnly;
}

/** The session's channels as one string (or `alone` when it has none): its lists' scope. */
function ownChannels(session: Session, alone: string): string {
  if (session.channels.size === 0) return alone;
  if (session.channels.size === 1) return session.channels.values().next().value!;
  return [...session.channels].sort().join("\n");
}

/** Whether every channel of the session is among the public `channels` (none is private). */
function allPublic(session: Session, channels: string[]): boolean {
  if (session.channels.size === 0) return true;
  const listed = setOf(channels);
  for (const channel of session.channels) if (!listed.has(channel)) return false;
  return true;
}

function byName(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

/** One set per list read, shared by every session's lookup of that read. */
const sets = new WeakMap<string[], Set<string>>();

function setOf(names: string[]): Set<string> {
  let set = sets.get(names);
  if (!set) sets.set(names, set = new Set(names));
  return set;
}
