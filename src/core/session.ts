/**
 * One client session on this instance: all of its state, declared on one
 * type, and the pipes its frames pass out through (what comes in passes
 * through `intake.ts`). Out: `send` and `sendFrame` write, and drop a client
 * that stopped reading (backpressure); `ack`, `refuse` and `close` answer.
 * A fault while serving one session closes that session only.
 *
 * A session never calls up into the modules that use it. Whatever closes
 * it (the client, a refusal, a slow socket, a fault) settles `closed`, and
 * the session registry then releases what it held.
 *
 * @module
 */
import type { MessageEnvelope, Topic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Codec, Outbound, Refusal } from "../protocol/commands.ts";
import { CLOSE_CODES, type ErrorCode } from "../protocol/codes.ts";
import type { Connection } from "./connection.ts";
import { createSessionLimits, type SessionLimits } from "./limits.ts";

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

/** What a verified JWT allows a session (AUTH_MODE=jwt), and the timer that ends it at expiry. */
export interface Grant {
  /** Channels (names, or prefixes ending in `*`) the token allows; absent: all. */
  channels?: string[];
  expiry: ReturnType<typeof setTimeout>;
}

/** What gates a session's live messages while it catches up on a topic (see `replay.ts`). */
export interface ReplayGates {
  /** Topics being replayed from history: their live messages wait here until the replay is sent. */
  readonly replaying: Map<Topic, MessageEnvelope[]>;
  /** After a replay, per topic, the last id sent: late live copies up to it are skipped. */
  readonly sentUpTo: Map<Topic, string>;
  /**
   * Topics the session was put in without a replay (its user's channels at
   * the handshake, or joined by another session): the ids sent live since, so
   * that a resume of the topic does not send them again.
   */
  readonly sentLive: Map<Topic, { first?: string; last?: string }>;
}

/** What every session of an instance shares: one object, referenced by each. */
export interface SessionSettings extends
  Pick<
    Config,
    | "maxFrameBytes"
    | "slowConsumerBytes"
    | "rateMessagesPerSecond"
    | "rateBurst"
    | "channelCreationsPerMinute"
    | "messageChangesPerMinute"
    | "maxQueuedFrames"
  > {
  log: Logger;
  /** Where refused frames and server-side closes go, at debug: bounded in rate, never texts. */
  refusalLog: Logger;
  /**
   * The newest message id this instance delivered on each channel topic. A
   * session in a channel gets every delivery on it in id order, so what went
   * live to it since one id is everything up to this one: no per-delivery
   * bookkeeping (see `replay.ts`).
   */
  lastDelivered: Map<Topic, string>;
  /** Where frames refused for a full queue go, at warn: an operator's concern, bounded, never texts. */
  overloadLog: Logger;
  /** Where frames out, errors and closes are counted. */
  metrics: Metrics;
}

/** A connected client. */
export interface Session {
  readonly id: string;
  readonly codec: Codec;
  readonly connection: Connection;
  readonly settings: SessionSettings;
  /** "registering" until the name is claimed (kind B: until its first frame). */
  state: "registering" | "open" | "closed";
  user?: SessionUser;
  /** Channels this session is a member of. */
  readonly channels: Set<string>;
  /** Its rate limits. */
  readonly limits: SessionLimits;
  /** The code the socket closed with, once it did (for the `session.closed` log line). */
  closeCode?: number;
  /** AUTH_MODE=jwt: what its token allows, until when. */
  grant?: Grant;
  /**
   * Its replay gates, while any may apply to its live messages: created when
   * one is opened, dropped by the first delivery that finds none. A session
   * with none pays nothing for them, neither time nor memory.
   */
  gates?: ReplayGates;
  /**
   * Per channel joined without a replay, the first id it was sent live once
   * one arrived: what went live since is read from `lastDelivered` when a
   * resume needs it, so these channels cost no delivery anything.
   */
  liveFrom?: Map<Topic, string>;
  /** Kind B: its "has joined the chat" went out, so its leave is announced too. */
  joinAnnounced: boolean;
  /** The last userList and channelList frames sent (an unchanged list is not resent), and which went last. */
  readonly sentLists: {
    userList?: string;
    channelList?: string;
    last?: "userList" | "channelList";
  };
  /** Kind A with `presence=changes`: no userList or channelList frames. */
  changesOnly: boolean;
  /** When (ms) the next list frame may go: the lists' byte budget spent so far. */
  listsDueAt: number;
  /** Channels whose `members` the session asked for: it gets their presence changes. */
  watching?: Set<string>;
  /** Per channel, the presence changes held back while its `members` page is read. */
  heldPresence?: Map<string, Outbound[]>;
  /** Settles once every command queued so far has finished and answered. */
  queue: Promise<void>;
  /** Settles once every command queued so far has issued its broker calls (or finished). */
  started: Promise<void>;
  /** Frames the client sent that are queued and not yet finished (capped by MAX_QUEUED_FRAMES). */
  pending: number;
  /** UTF-16 code units it may still be sent before `bufferedAmount` is read again. */
  sendCredit: number;
  /** Settles once the session is closed, whatever closed it. */
  readonly closed: Promise<void>;
}

/** What settles each session's `closed`: kept here, so only `close` and `disconnected` can. */
const settlers = new WeakMap<Session, () => void>();

/** A new session in state "registering". */
export function createSession(
  id: string,
  codec: Codec,
  connection: Connection,
  settings: SessionSettings,
): Session {
  let settle = () => {};
  const closed = new Promise<void>((resolve) => settle = resolve);
  const session: Session = {
    id,
    codec,
    connection,
    settings,
    state: "registering",
    channels: new Set(),
    limits: createSessionLimits(settings),
    joinAnnounced: false,
    sentLists: {},
    changesOnly: false,
    listsDueAt: 0,
    queue: Promise.resolve(),
    started: Promise.resolve(),
    pending: 0,
    sendCredit: creditFor(0, settings.slowConsumerBytes),
    closed,
  };
  settlers.set(session, settle);
  return session;
}

/** A command refused from deep inside its handling; the frame gets this error. */
export class CommandRefused extends Error {
  override name = "CommandRefused";
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

// ---- Out: send, ack, refuse. ------------------------------------------------

/** Sends `event` unless the session is closed or its client kind has no frame for it. */
export function send(session: Session, event: Outbound): void {
  if (session.state === "closed") return;
  const frame = session.codec.encode(event);
  if (frame === undefined) return;
  sendFrame(session, frame);
  const { metrics } = session.settings;
  metrics.framesOut[event.type]++;
  if (event.type === "error") metrics.errors[event.code]++;
}

/**
 * Writes an encoded frame. A client that does not read makes its queue grow
 * (Deno's idle timeout does not notice), so past `slowConsumerBytes` it is
 * dropped (4005) and gets nothing more. Reading `bufferedAmount` is a call
 * into the runtime, so it is read only once the frames written since could
 * have filled what was left below the bound (`sendCredit`).
 */
export function sendFrame(session: Session, frame: string): void {
  session.connection.send(frame);
  session.sendCredit -= frame.length;
  if (session.sendCredit < 0) checkBacklog(session);
}

/** `sendFrame` for one of many receivers: a connection that throws closes only its session. */
export function sendFrameIsolated(session: Session, frame: string): void {
  try {
    sendFrame(session, frame);
  } catch (error) {
    fail(session, error);
  }
}

/** Drops the session if too much waits for it; otherwise grants the credit left below the bound. */
function checkBacklog(session: Session): void {
  const buffered = session.connection.bufferedAmount;
  const limit = session.settings.slowConsumerBytes;
  if (buffered > limit) return dropSlowConsumer(session);
  session.sendCredit = creditFor(buffered, limit);
}

/**
 * UTF-16 code units that may be written with `buffered` bytes waiting before
 * the backlog is looked at again: a third of the room left, since a code unit
 * is at most 3 UTF-8 bytes, so the bound is never passed by more than a frame.
 */
function creditFor(buffered: number, limit: number): number {
  return (limit - buffered) / 3;
}

function dropSlowConsumer(session: Session): void {
  if (session.state === "closed") return;
  session.settings.log.warn("session.slow_consumer", {
    session: session.id,
    user: session.user?.name,
    bufferedBytes: session.connection.bufferedAmount,
  });
  session.settings.metrics.slowConsumerDisconnects++;
  close(session, CLOSE_CODES.slow_consumer, "slow consumer");
}

/** Acknowledges the frame `ref` (if the client gave one), with the id of what it published. */
export function ack(
  session: Session,
  ref: string | undefined,
  id?: string,
  duplicate = false,
): void {
  if (ref === undefined) return;
  send(session, {
    type: "ack",
    ref,
    ...(id === undefined ? {} : { id }),
    ...(duplicate ? { duplicate } : {}),
  });
}

/** Sends `refusal` as an `error` frame (logged); resolves at once, so a handler can return it. */
export function refuse(session: Session, refusal: Refusal): Promise<void> {
  session.settings.refusalLog.debug("frame.refused", {
    code: refusal.code,
    session: session.id,
    user: session.user?.name,
    ref: refusal.ref,
  });
  send(session, { type: "error", ...refusal });
  return Promise.resolve();
}

/** A refusal, with the client's `ref` when it gave one. */
export function refusal(code: ErrorCode, message: string, ref: string | undefined): Refusal {
  return { code, message, ...(ref === undefined ? {} : { ref }) };
}

/** Refuses with `code` and closes with the close code of the same name. */
export function refuseAndClose(
  session: Session,
  code: keyof typeof CLOSE_CODES & ErrorCode,
  message: string,
  ref?: string,
): Promise<void> {
  send(session, { type: "error", ...refusal(code, message, ref) });
  end(session, CLOSE_CODES[code], code, "session.refused");
  return Promise.resolve();
}

// ---- Closing. ---------------------------------------------------------------

/** Closes the session's socket with `code` and ends the session (logged); later calls do nothing. */
export function close(session: Session, code: number, reason: string): void {
  end(session, code, reason, "session.closing");
}

function end(session: Session, code: number, reason: string, event: string): void {
  if (session.state === "closed") return;
  session.closeCode ??= code;
  session.settings.refusalLog.debug(event, {
    close: code,
    reason,
    session: session.id,
    user: session.user?.name,
  });
  session.settings.metrics.countClose(code);
  finish(session);
  session.connection.close(code, reason);
}

/** Ends a session whose socket is already gone (the client or the network closed it); later calls do nothing. */
export function disconnected(session: Session): void {
  if (session.state === "closed") return;
  session.settings.metrics.countClose("remote");
  finish(session);
}

function finish(session: Session): void {
  session.state = "closed";
  settlers.get(session)?.();
}

/** A fault while serving `session`: logged, and that session alone closed with 1011. */
export function fail(session: Session, error: unknown): void {
  session.settings.log.error("session.internal_fault", { session: session.id, error });
  close(session, CLOSE_CODES.internal_error, "internal error");
}

/**
 * Runs `work` for `session`; if it throws, the session is closed (1011) and
 * the fault logged. Every entry from the edge, the broker or a timer goes
 * through here, so no fault can reach the runtime and stop the process.
 */
export function isolate(session: Session, work: () => void): void {
  try {
    work();
  } catch (error) {
    fail(session, error);
  }
}
