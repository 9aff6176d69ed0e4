/**
 * Coalesced `userList` and `channelList` updates. Once per interval the
 * feed reads both lists from the broker (one read per instance, whatever the
 * number of clients), serializes each once, and sends it to every session
 * whose last copy differs. So a client gets at most one update of each list
 * per interval (its handshake lists aside, which the first update may follow
 * sooner), always the current one, and a change shows within one interval;
 * 5,000 clients connecting cost 5,000 list reads' worth of frames per
 * interval at most, not 5,000².
 *
 * A session whose JWT has a `channels` claim sees only the channels the
 * claim allows: one frame per distinct claim, shared the same way.
 *
 * @module
 */
import { mayUseChannel } from "../auth.ts";
import type { Broker } from "../broker/broker.ts";
import type { Codec } from "../protocol/commands.ts";
import type { Logger } from "../log.ts";
import { sendFrameIsolated, type Session } from "./session.ts";

const LIST_KINDS = ["userList", "channelList"] as const;
type ListKind = (typeof LIST_KINDS)[number];

/** The current lists, encoded for one codec. */
type ListFrames = Record<ListKind, string | undefined>;

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
export interface ListFeedOptions {
  broker: Broker;
  intervalMs: number;
  log: Logger;
}

/** Creates a stopped list feed. */
export function createListFeed(options: ListFeedOptions): ListFeed {
  const { broker, log } = options;
  /** The last frame of each list and codec; equal new frames reuse it, so sessions compare by identity. */
  const latest = new Map<Codec, ListFrames>();
  /** The same for the channelList of each `channels` claim (keyed by codec kind and claim). */
  let latestGranted = new Map<string, string | undefined>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let ticking = false;

  async function read(): Promise<Record<ListKind, string[]>> {
    const [users, channels] = await Promise.all([broker.users.online(), broker.channels.list()]);
    return { userList: users.sort(byName), channelList: channels.sort(byName) };
  }

  function encode(codec: Codec, lists: Record<ListKind, string[]>): ListFrames {
    const previous = latest.get(codec);
    const frames = {} as ListFrames;
    for (const kind of LIST_KINDS) {
      const frame = codec.encode({ type: kind, names: lists[kind] });
      frames[kind] = frame === previous?.[kind] ? previous?.[kind] : frame;
    }
    latest.set(codec, frames);
    return frames;
  }

  /**
   * The channelList frame `session` may see: the public channels and the
   * private ones it is in, and with a `channels` claim only those it allows.
   * `granted` holds this round's frames per claim and private set, and
   * replaces `latestGranted` at the end of the round.
   */
  function channelListFor(
    session: Session,
    all: ListFrames,
    channels: string[],
    granted: Map<string, string | undefined>,
  ): string | undefined {
    const allowed = session.grant?.channels;
    const listed = setOf(channels);
    // Most sessions are in public channels only: they share the one frame, and allocate nothing.
    let own: string[] | undefined;
    for (const channel of session.channels) if (!listed.has(channel)) (own ??= []).push(channel);
    if (allowed === undefined && own === undefined) return all.channelList;
    own?.sort();
    const key = `${session.codec.kind}\n${allowed?.join("\n") ?? "*"}\n\n${own?.join("\n") ?? ""}`;
    if (granted.has(key)) return granted.get(key);
    const names = [...channels, ...own ?? []].filter((channel) => mayUseChannel(allowed, channel))
      .sort(byName);
    const frame = session.codec.encode({ type: "channelList", names });
    const previous = latestGranted.get(key);
    granted.set(key, frame === previous ? previous : frame);
    return granted.get(key);
  }

  /** Sends `session` both lists, as far as it may see them. */
  function offerLists(
    session: Session,
    frames: ListFrames,
    lists: Record<ListKind, string[]>,
    granted: Map<string, string | undefined>,
  ): void {
    offer(session, "userList", frames.userList);
    offer(session, "channelList", channelListFor(session, frames, lists.channelList, granted));
  }

  /** Sends `frame` as the session's `kind` list unless it has that very frame already. */
  function offer(session: Session, kind: ListKind, frame: string | undefined): void {
    if (frame === undefined || session.sentLists[kind] === frame) return;
    session.sentLists[kind] = frame;
    sendFrameIsolated(session, frame);
  }

  async function tick(audience: Audience): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const receivers = [...audience.values()].filter((session) => session.state === "open");
      if (receivers.length === 0 || !broker.isReady()) return;
      const lists = await read();
      const framesByCodec = new Map<Codec, ListFrames>();
      const granted = new Map<string, string | undefined>();
      for (const session of receivers) {
        if (session.state !== "open") continue;
        let frames = framesByCodec.get(session.codec);
        if (!frames) {
          frames = encode(session.codec, lists);
          framesByCodec.set(session.codec, frames);
        }
        offerLists(session, frames, lists, granted);
      }
      latestGranted = granted;
    } catch (error) {
      log.warn("list update skipped", { error });
    } finally {
      ticking = false;
    }
  }

  return {
    async sendCurrent(session) {
      const lists = await read();
      const frames = encode(session.codec, lists);
      if (session.state === "open") offerLists(session, frames, lists, new Map());
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
