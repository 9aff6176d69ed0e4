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
      for (const session of receivers) {
        if (session.state !== "open") continue;
        let frames = framesByCodec.get(session.codec);
        if (!frames) {
          frames = encode(session.codec, lists);
          framesByCodec.set(session.codec, frames);
        }
        for (const kind of LIST_KINDS) offer(session, kind, frames[kind]);
      }
    } catch (error) {
      log.warn("list update skipped", { error });
    } finally {
      ticking = false;
    }
  }

  return {
    async sendCurrent(session) {
      const frames = encode(session.codec, await read());
      for (const kind of LIST_KINDS) {
        if (session.state === "open") offer(session, kind, frames[kind]);
      }
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
