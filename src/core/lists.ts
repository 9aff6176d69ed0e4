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
 * @module
 */
import type { Broker } from "../broker/broker.ts";
import type { Codec } from "../protocol/commands.ts";
import type { Logger } from "../log.ts";
import { sendFrame, type Session } from "./session.ts";

type ListKind = "userList" | "channelList";

/** The current lists, encoded for one codec. */
export type ListFrames = Record<ListKind, string | undefined>;

/** Periodic list updates for the sessions of one instance. */
export interface ListFeed {
  /** Reads the current lists and encodes them for `codec` (a newcomer's first lists). */
  current(codec: Codec): Promise<ListFrames>;
  /** Starts the periodic updates. */
  start(): void;
  /** Stops them. */
  stop(): void;
}

/** Options of a list feed. */
export interface ListFeedOptions {
  broker: Broker;
  intervalMs: number;
  /** The sessions to keep up to date. */
  sessions: () => Iterable<Session>;
  /** Told when a session's connection throws; the others still get their lists. */
  onFailure: (session: Session, error: unknown) => void;
  log: Logger;
}

/** Creates a stopped list feed. */
export function createListFeed(options: ListFeedOptions): ListFeed {
  const { broker, log } = options;
  /** The last frame of each list and codec; equal new frames reuse it, so sessions compare by identity. */
  const latest = new Map<Codec, ListFrames>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let ticking = false;

  async function read(): Promise<Record<ListKind, string[]>> {
    const [users, channels] = await Promise.all([broker.users.online(), broker.channels.list()]);
    return { userList: users.sort(byName), channelList: channels.sort(byName) };
  }

  function encode(codec: Codec, lists: Record<ListKind, string[]>): ListFrames {
    const previous = latest.get(codec);
    const frames = {} as ListFrames;
    for (const kind of ["userList", "channelList"] as const) {
      const frame = codec.encode({ type: kind, names: lists[kind] });
      frames[kind] = frame === previous?.[kind] ? previous?.[kind] : frame;
    }
    latest.set(codec, frames);
    return frames;
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      const receivers = [...options.sessions()].filter((session) => session.state === "open");
      if (receivers.length === 0 || !broker.isReady()) return;
      const lists = await read();
      const framesByCodec = new Map<Codec, ListFrames>();
      for (const session of receivers) {
        if (session.state !== "open") continue;
        let frames = framesByCodec.get(session.codec);
        if (!frames) {
          frames = encode(session.codec, lists);
          framesByCodec.set(session.codec, frames);
        }
        for (const kind of ["userList", "channelList"] as const) {
          const frame = frames[kind];
          if (frame === undefined || session.sentLists[kind] === frame) continue;
          session.sentLists[kind] = frame;
          sendFrame(session, frame, options.onFailure);
        }
      }
    } catch (error) {
      log.warn("list update skipped", { error });
    } finally {
      ticking = false;
    }
  }

  return {
    async current(codec) {
      return encode(codec, await read());
    },
    start() {
      timer ??= setInterval(tick, options.intervalMs);
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
