/**
 * What comes in from one session, and in which order it runs. `receiveText`
 * and `receiveBinary` check size and rate and decode. Commands run in
 * arrival order: `enqueue` runs one once the earlier ones finished;
 * `enqueuePublish` pipelines a publish, which issues its broker call once
 * the earlier commands issued theirs and answers once they answered, so one
 * session's publishes overlap their round trips while the broker takes them,
 * and the client gets its answers, in frame order. Past MAX_QUEUED_FRAMES a
 * frame is refused at once, and that is logged for operators (bounded).
 *
 * @module
 */
import { BrokerUnavailableError } from "../broker/broker.ts";
import type { Command } from "../protocol/commands.ts";
import { readFrameObject } from "../protocol/decode.ts";
import { CLOSE_CODES } from "../protocol/codes.ts";
import { utf8Length } from "../protocol/names.ts";
import { close, CommandRefused, isolate, refusal, refuse, type Session } from "./session.ts";

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
    settings.metrics.rateLimitDisconnects++;
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

// ---- The queue. ------------------------------------------------------------

/**
 * Runs `task` once the session's earlier commands finished; a full queue
 * refuses at once. Work the server does for the session itself (`byClient`
 * false) is never refused: the bound is on what a client sends.
 */
export function enqueue(
  session: Session,
  task: () => Promise<void>,
  ref?: string,
  byClient = true,
): void {
  if (byClient && refusedAsFull(session, ref)) return;
  // Only what the client sent counts against its queue.
  if (byClient) session.pending++;
  session.queue = session.queue.then(async () => {
    try {
      await task();
    } catch (error) {
      isolate(session, () => reportFault(session, error, ref));
    } finally {
      if (byClient) session.pending--;
    }
  });
  session.started = session.queue;
}

/** What a pipelined command sends its client, once every earlier command has answered. */
export type Answer = () => void;

/** The answer of a command that has nothing to say. */
export const NO_ANSWER: Answer = () => {};

/**
 * Queues a publish, pipelined: `task` runs once the earlier commands have
 * issued their broker calls, without waiting for their results, and calls
 * `started` as soon as it has issued its own, so that the broker takes the
 * session's publishes in frame order. Its answer (or the refusal of what
 * failed it) goes out after every earlier command's, so answers keep the
 * frames' order too. A full queue refuses at once.
 */
export function enqueuePublish(
  session: Session,
  task: (started: () => void) => Promise<Answer>,
  ref?: string,
): void {
  if (refusedAsFull(session, ref)) return;
  session.pending++;
  const { started: earlierStarted, queue: earlierAnswered } = session;
  let markStarted = () => {};
  session.started = new Promise<void>((resolve) => markStarted = resolve);
  session.queue = earlierStarted.then(async () => {
    let answer: Answer;
    try {
      answer = await task(markStarted);
    } catch (error) {
      answer = () => reportFault(session, error, ref);
    }
    markStarted();
    await earlierAnswered;
    isolate(session, answer);
    session.pending--;
  });
}

/** Refuses the frame `ref` if the session's queue is full (MAX_QUEUED_FRAMES), and says so. */
function refusedAsFull(session: Session, ref: string | undefined): boolean {
  const { maxQueuedFrames, overloadLog } = session.settings;
  if (session.pending < maxQueuedFrames) return false;
  overloadLog.warn("session.queue_full", {
    session: session.id,
    user: session.user?.name,
    queued: session.pending,
    ...(ref === undefined ? {} : { ref }),
  });
  refuse(
    session,
    refusal(
      "rate_limited",
      `Too many frames in flight: at most ${maxQueuedFrames} are queued per session`,
      ref,
    ),
  );
  return true;
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
  session.settings.log.error("command.failed", { session: session.id, error });
  refuse(session, refusal("internal_error", "Internal error: the frame had no effect", ref));
}
