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
import { utf8Length } from "../protocol/names.ts";
import type { PresenceFeed } from "./presence.ts";
import { sendFrameIsolated, type Session } from "./session.ts";

type ListKind = "userList" | "channelList";

const USERS_FIRST: ListKind[] = ["userList", "channelList"];
const CHANNELS_FIRST: ListKind[] = ["channelList", "userList"];

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
  /** The online members around each set of channels, this round. */
  around: Map<string, string[]>;
}

/** How long a channel's online members are trusted without a change (a lost signal heals). */
const ONLINE_MEMBERS_TTL_MS = 30_000;

/** Creates a stopped list feed. */
export function createListFeed(options: ListFeedOptions): ListFeed {
  const { broker, log, listMaxNames, presence } = options;
  /** Online members of the channels bounded lists are made of, and when they were read. */
  const onlineIn = new Map<string, { names: string[]; readAt: number }>();
  /** The frames of the last tick by scope: a list that did not change is the same string. */
  let latestFrames = new Map<string, string | undefined>();
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
    return {
      users: users?.sort(byName),
      channels: channels?.sort(byName),
      frames: new Map(),
      around: new Map(),
    };
  }

  /**
   * Reads again the online members of the channels the tick's `sessions`
   * need that changed or aged, and forgets those nobody needs. Only the
   * tick does this (a newcomer reads what is missing, nothing else), so a
   * change mark is never consumed by a read that then loses the race.
   */
  async function refreshChannels(sessions: Session[]): Promise<void> {
    const changed = presence.changedChannels();
    const needed = new Set<string>();
    for (const session of sessions) for (const channel of session.channels) needed.add(channel);
    for (const channel of onlineIn.keys()) if (!needed.has(channel)) onlineIn.delete(channel);
    const now = Date.now();
    await readOnline([...needed].filter((channel) => {
      const known = onlineIn.get(channel);
      return !known || changed.has(channel) || now - known.readAt > ONLINE_MEMBERS_TTL_MS;
    }));
  }

  async function readOnline(channels: string[]): Promise<void> {
    const now = Date.now();
    await Promise.all(channels.map(async (channel) => {
      const { names } = await broker.channels.onlineMembers(channel, listMaxNames);
      onlineIn.set(channel, { names, readAt: now });
    }));
  }

  /** The frame of `kind` for `session`, built once per round for the sessions that share it. */
  function frameFor(session: Session, kind: ListKind, round: Round): string | undefined {
    const allowed = session.grant?.channels;
    const scope = kind === "userList"
      ? round.users ? "*" : usersScope(session, round)
      : round.channels && allowed === undefined && allPublic(session, round.channels)
      ? "*"
      : `${allowed ? JSON.stringify(allowed) : "*"}\n\n${ownChannels(session, "")}`;
    const key = `${kind}\n${session.codec.kind}\n${scope}`;
    if (round.frames.has(key)) return round.frames.get(key);
    const names = kind === "userList" ? usersFor(session, round) : channelsFor(session, round);
    const frame = session.codec.encode({ type: kind, names });
    // An unchanged list keeps the string every session already holds: one copy per scope.
    const previous = latestFrames.get(key);
    const shared = frame === previous ? previous : frame;
    round.frames.set(key, shared);
    latestFrames.set(key, shared);
    return shared;
  }

  /** The online members of the session's channels, at most `LIST_MAX_NAMES`; once per round. */
  function membersAround(session: Session, round: Round): string[] {
    const key = ownChannels(session, "");
    let around = round.around.get(key);
    if (!around) {
      const names = new Set<string>();
      for (const channel of session.channels) {
        for (const name of onlineIn.get(channel)?.names ?? []) names.add(name);
      }
      around = [...names].sort(byName).slice(0, listMaxNames);
      round.around.set(key, around);
    }
    return around;
  }

  /**
   * Whose bounded userList the session shares: everyone in the same
   * channels, as long as it holds the session's own user (usually it does:
   * the user is an online member); otherwise its own.
   */
  function usersScope(session: Session, round: Round): string {
    const around = membersAround(session, round);
    const channels = ownChannels(session, "");
    return around.includes(session.user!.name) ? channels : `${channels}\n\n${session.user!.name}`;
  }

  function usersFor(session: Session, round: Round): string[] {
    if (round.users) return round.users;
    const around = membersAround(session, round);
    const me = session.user!.name;
    // The user comes first when the list was cut short of them.
    return around.includes(me) ? around : [me, ...around.slice(0, listMaxNames - 1)];
  }

  function channelsFor(session: Session, round: Round): string[] {
    const allowed = session.grant?.channels;
    const names = new Set(round.channels ?? []);
    for (const channel of session.channels) names.add(channel);
    return [...names].filter((channel) => mayUseChannel(allowed, channel)).sort(byName)
      .slice(0, Math.max(listMaxNames, session.channels.size));
  }

  /**
   * Sends `session` each list that changed, as far as its byte budget
   * allows; the one sent less recently goes first, so a list that changes
   * all the time cannot starve the other.
   */
  function offerLists(session: Session, round: Round, force: boolean): void {
    const order = session.sentLists.last === "userList" ? CHANNELS_FIRST : USERS_FIRST;
    for (const kind of order) {
      const frame = frameFor(session, kind, round);
      if (frame === undefined || session.sentLists[kind] === frame) continue;
      const now = Date.now();
      if (!force && session.listsDueAt > now) return;
      session.sentLists[kind] = frame;
      session.sentLists.last = kind;
      session.listsDueAt = Math.max(now, session.listsDueAt) +
        utf8Length(frame) * 1000 / options.listBytesPerSecond;
      sendFrameIsolated(session, frame);
      session.settings.metrics.framesOut[kind]++;
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
      // What no session was offered this tick is forgotten.
      latestFrames = round.frames;
    } catch (error) {
      log.warn("lists.update_failed", { error });
    } finally {
      ticking = false;
    }
  }

  return {
    async sendCurrent(session) {
      if (!getsLists(session)) return;
      const round = await readRound();
      if (!round.users) await readOnline([...session.channels].filter((c) => !onlineIn.has(c)));
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
