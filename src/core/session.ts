/**
 * One client session on this instance, and the two ways frames reach
 * sessions: `send` to one, `fanOut` to many with each frame serialized once
 * per client kind present, whatever the number of receivers.
 *
 * @module
 */
import type { Envelope, Topic } from "../broker/broker.ts";
import type { Codec, Outbound } from "../protocol/commands.ts";
import type { Connection } from "./connection.ts";

/** The user a session speaks for, once its name is claimed. */
export interface SessionUser {
  name: string;
  /** Lowercased name: the key of the claim and of the user's topic. */
  key: string;
  /** The secret that lets another connection join this user. */
  token: string;
  /** Tells this holding of the name from a later one (dedup keys are per holding). */
  claimTag: string;
}

/** A connected client. */
export interface Session {
  readonly id: string;
  readonly codec: Codec;
  readonly connection: Connection;
  /** "registering" until the name is claimed (kind B: until its first frame). */
  state: "registering" | "open" | "closed";
  user?: SessionUser;
  /** Channels this session is a member of. */
  readonly channels: Set<string>;
  /** Topics being replayed from history: live deliveries wait here until the replay is sent. */
  readonly replaying: Map<Topic, Envelope[]>;
  /** After a replay, per topic, the last id sent: late live copies up to it are skipped. */
  readonly sentUpTo: Map<Topic, string>;
  /** Kind B: its "has joined the chat" went out, so its leave is announced too. */
  joinAnnounced: boolean;
  /** The last userList and channelList frames sent, so an unchanged list is not resent. */
  readonly sentLists: { userList?: string; channelList?: string };
  /** Commands run one after another, in arrival order. */
  queue: Promise<void>;
  /** Commands queued and not yet finished. */
  pending: number;
}

/** A new session in state "registering". */
export function createSession(id: string, codec: Codec, connection: Connection): Session {
  return {
    id,
    codec,
    connection,
    state: "registering",
    joinAnnounced: false,
    channels: new Set(),
    replaying: new Map(),
    sentUpTo: new Map(),
    sentLists: {},
    queue: Promise.resolve(),
    pending: 0,
  };
}

/** Sends `event` to `session` if its client kind has a frame for it. */
export function send(session: Session, event: Outbound): void {
  if (session.state === "closed") return;
  const frame = session.codec.encode(event);
  if (frame !== undefined) session.connection.send(frame);
}

/** Options of `fanOut`. */
export interface FanOutOptions {
  /** Receivers to leave out. */
  skip?: (session: Session) => boolean;
  /** Told when a receiver's connection throws; the fan-out goes on to the others. */
  onFailure?: (session: Session, error: unknown) => void;
}

/** Sends `event` to every open session in `receivers`, encoded once per client kind. */
export function fanOut(
  receivers: Iterable<Session>,
  event: Outbound,
  options: FanOutOptions = {},
): void {
  const frames = new Map<Codec, string | undefined>();
  for (const session of receivers) {
    if (session.state !== "open" || options.skip?.(session)) continue;
    let frame = frames.get(session.codec);
    if (frame === undefined && !frames.has(session.codec)) {
      frame = session.codec.encode(event);
      frames.set(session.codec, frame);
    }
    if (frame !== undefined) sendFrame(session, frame, options.onFailure);
  }
}

/** Sends an encoded frame; a throwing connection is reported to `onFailure` (or rethrown). */
export function sendFrame(
  session: Session,
  frame: string,
  onFailure?: (session: Session, error: unknown) => void,
): void {
  try {
    session.connection.send(frame);
  } catch (error) {
    if (!onFailure) throw error;
    onFailure(session, error);
  }
}
