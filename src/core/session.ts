/**
 * One client session on this instance: all of its state, declared on one
 * type, and the pipes its frames pass through. In: `receiveText` and
 * `receiveBinary` check size and rate, decode, and queue (`enqueue` runs
 * commands one after another). Out: `send` and `sendFrame` write, and drop
 * a client that stopped reading (backpressure); `ack`, `refuse` and `close`
 * answer. A fault while serving one session closes that session only.
 *
 * A session never calls up into the modules that use it. Whatever closes
 * it (the client, a refusal, a slow socket, a fault) settles `closed`, and
 * the session registry then releases what it held.
 *
 * @module
 */
import { BrokerUnavailableError, type MessageEnvelope, type Topic } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Codec, Command, Outbound, Refusal } from "../protocol/commands.ts";
import { readFrameObject } from "../protocol/decode.ts";
import { CLOSE_CODES, type ErrorCode } from "../protocol/codes.ts";
import { utf8Length } from "../protocol/names.ts";
import type { Connection } from "./connection.ts";
import { createSessionLimits, MAX_PENDING_COMMANDS, type SessionLimits } from "./limits.ts";

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

/** What every session of an instance shares: one object, referenced by each. */
export interface SessionSettings extends
  Pick<
    Config,
    | "maxFrameBytes"
    | "slowConsumerBytes"
    | "rateMessagesPerSecond"
    | "rateBurst"
    | "channelCreationsPerMinute"
  > {
  log: Logger;
  /** Where refused frames and server-side closes go, at debug: bounded in rate, never texts. */
  refusalLog: Logger;
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
  /** AUTH_MODE=jwt: what its token allows, until when. */
  grant?: Grant;
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
  /** Commands run one after another, in arrival order. */
  queue: Promise<void>;
  /** Commands queued and not yet finished. */
  pending: number;
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
    replaying: new Map(),
    sentUpTo: new Map(),
    sentLive: new Map(),
    joinAnnounced: false,
    sentLists: {},
    changesOnly: false,
    listsDueAt: 0,
    queue: Promise.resolve(),
    pending: 0,
    closed,
  };
  settlers.set(session, settle);
  return session;
}

// ---- In: size, rate, decode, queue. ----------------------------------------

/**
 * Takes one text frame: too large closes the session (1009), over the rate
 * it is refused, otherwise decoded. A refusal is queued behind the commands
 * before it, so answers keep the frames' order; a command is returned for
 * the caller to queue.
 */
export function receiveText(session: Session, data: string): Command | undefined {
  if (session.state === "closed") return undefined;
  if (isOversize(data, session.settings.maxFrameBytes)) {
    close(session, CLOSE_CODES.frame_too_large, "frame too large");
    return undefined;
  }
  if (!withinRate(session, data)) return undefined;
  const decoded = session.codec.decode(data);
  if (decoded.ok) return decoded.command;
  enqueue(session, () => refuse(session, decoded.refusal), decoded.refusal.ref);
  return undefined;
}

/** Takes one binary frame, which the protocol has no use for: refused, or closed if too large. */
export function receiveBinary(session: Session, byteLength: number): void {
  if (session.state === "closed") return;
  if (byteLength > session.settings.maxFrameBytes) {
    close(session, CLOSE_CODES.frame_too_large, "frame too large");
    return;
  }
  if (!withinRate(session)) return;
  enqueue(session, () =>
    refuse(session, {
      code: "binary_unsupported",
      message: "Binary frames are not supported: send JSON text frames",
    }));
}

/** Takes a token for one frame; over the rate the frame is refused, and a flood closes the session. */
function withinRate(session: Session, data?: string): boolean {
  const { limits, settings } = session;
  if (limits.frames.take()) return true;
  if (limits.strikes.strike()) {
    close(session, CLOSE_CODES.rate_abuse, "rate limit abuse");
    return false;
  }
  // The ref, if the frame has one, tells the client which frame to send again later.
  const frame = data === undefined ? undefined : readFrameObject(data);
  const ref = frame?.ok ? frame.ref : undefined;
  refuse(
    session,
    refusal(
      "rate_limited",
      `Too many frames: at most ${settings.rateMessagesPerSecond} a second (${settings.rateBurst} at once)`,
      ref,
    ),
  );
  return false;
}

function isOversize(data: string, limit: number): boolean {
  if (data.length * 3 <= limit) return false;
  return data.length > limit || utf8Length(data) > limit;
}

/**
 * Runs `task` after the session's earlier commands; a full queue refuses at
 * once. Work the server does for the session itself (`byClient` false) is
 * never refused: the bound is on what a client sends.
 */
export function enqueue(
  session: Session,
  task: () => Promise<void>,
  ref?: string,
  byClient = true,
): void {
  if (byClient && session.pending >= MAX_PENDING_COMMANDS) {
    refuse(
      session,
      refusal(
        "rate_limited",
        `Too many frames in flight: at most ${MAX_PENDING_COMMANDS} are queued per session`,
        ref,
      ),
    );
    return;
  }
  session.pending++;
  session.queue = session.queue.then(async () => {
    try {
      await task();
    } catch (error) {
      isolate(session, () => reportFault(session, error, ref));
    } finally {
      session.pending--;
    }
  });
}

/** A command refused from deep inside its handling; the frame gets this error. */
export class CommandRefused extends Error {
  override name = "CommandRefused";
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** Answers a command that failed: refused, broker unreachable, or a fault (logged). */
function reportFault(session: Session, error: unknown, ref: string | undefined): void {
  if (error instanceof CommandRefused) {
    refuse(session, refusal(error.code, error.message, ref));
    return;
  }
  if (error instanceof BrokerUnavailableError) {
    refuse(session, refusal("unavailable", `Broker unavailable: ${error.message}`, ref));
    return;
  }
  session.settings.log.error("command failed", { session: session.id, error });
  refuse(session, refusal("internal_error", "Internal error: the frame had no effect", ref));
}

// ---- Out: send, ack, refuse. ------------------------------------------------

/** Sends `event` unless the session is closed or its client kind has no frame for it. */
export function send(session: Session, event: Outbound): void {
  if (session.state === "closed") return;
  const frame = session.codec.encode(event);
  if (frame !== undefined) sendFrame(session, frame);
}

/**
 * Writes an encoded frame. A client that does not read makes its queue grow
 * (Deno's idle timeout does not notice), so past `slowConsumerBytes` it is
 * dropped (4005) and gets nothing more.
 */
export function sendFrame(session: Session, frame: string): void {
  const { connection } = session;
  connection.send(frame);
  if (connection.bufferedAmount > session.settings.slowConsumerBytes) dropSlowConsumer(session);
}

/** `sendFrame` for one of many receivers: a connection that throws closes only its session. */
export function sendFrameIsolated(session: Session, frame: string): void {
  try {
    sendFrame(session, frame);
  } catch (error) {
    fail(session, error);
  }
}

function dropSlowConsumer(session: Session): void {
  if (session.state === "closed") return;
  session.settings.log.warn("slow consumer disconnected", {
    session: session.id,
    user: session.user?.name,
    bufferedBytes: session.connection.bufferedAmount,
  });
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
  session.settings.refusalLog.debug("frame refused", {
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
  end(session, CLOSE_CODES[code], code, "connection refused");
  return Promise.resolve();
}

// ---- Closing. ---------------------------------------------------------------

/** Closes the session's socket with `code` and ends the session (logged); later calls do nothing. */
export function close(session: Session, code: number, reason: string): void {
  end(session, code, reason, "session closed");
}

function end(session: Session, code: number, reason: string, event: string): void {
  if (session.state === "closed") return;
  session.settings.refusalLog.debug(event, {
    close: code,
    reason,
    session: session.id,
    user: session.user?.name,
  });
  disconnected(session);
  session.connection.close(code, reason);
}

/** Ends a session whose socket is already gone; later calls do nothing. */
export function disconnected(session: Session): void {
  if (session.state === "closed") return;
  session.state = "closed";
  settlers.get(session)?.();
}

/** A fault while serving `session`: logged, and that session alone closed with 1011. */
export function fail(session: Session, error: unknown): void {
  session.settings.log.error("internal fault", { session: session.id, error });
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
