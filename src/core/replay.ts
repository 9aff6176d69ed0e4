/**
 * Replay and resume: a session catching up on one topic from history with
 * no gap and no repeat. The caller opens the session's replay gate on the
 * topic (`holdLive`) before subscribing to it, so live messages that arrive
 * while the history is read wait in the gate. `resume` then sends what the
 * history holds after `since`, marked as replay, and the held messages,
 * merged by id with the one merge the Redis backfill uses too. Afterwards
 * the gate lets pass no late live copy of what the replay already sent.
 *
 * @module
 */
import {
  type Envelope,
  type HistoryStore,
  isMessage,
  type MessageEnvelope,
  type Topic,
} from "../broker/broker.ts";
import { mergeById } from "../broker/merge.ts";
import type { Outbound } from "../protocol/commands.ts";
import { address, isFor } from "./events.ts";
import { type ReplayGates, send, type Session } from "./session.ts";

/** Starts holding back the live messages of `topic` for `session` until `resume` sends them. */
export function holdLive(session: Session, topic: Topic): void {
  const gates = gatesOf(session);
  gates.replaying.set(topic, []);
  // What went live since the first id: up to the newest this instance delivered there.
  const from = session.liveFrom?.get(topic);
  if (from !== undefined) {
    session.liveFrom!.delete(topic);
    gates.sentLive.set(topic, { first: from, last: session.settings.lastDelivered.get(topic) });
  }
}

/** The session's gates, opened if it had none. */
function gatesOf(session: Session): ReplayGates {
  return session.gates ??= { replaying: new Map(), sentUpTo: new Map(), sentLive: new Map() };
}

/** Stops holding `topic` back and drops what was held: nothing was replayed, a retry starts clean. */
export function dropHeld(session: Session, topic: Topic): void {
  session.gates?.replaying.delete(topic);
}

/**
 * Whether a live `envelope` on `topic` goes to a session with replay gates now. It
 * does not while the topic is being replayed (it is held, and sent by
 * `resume`), nor when the replay already sent it; the first newer message
 * ends that check. A session found with no gate left loses its gates.
 */
export function admits(session: Session, topic: Topic, envelope: Envelope): boolean {
  const gates = session.gates;
  if (!gates || !isMessage(envelope)) return true;
  const { replaying, sentUpTo, sentLive } = gates;
  if (replaying.size + sentUpTo.size + sentLive.size === 0) {
    session.gates = undefined;
    return true;
  }
  if (replaying.size > 0) {
    const held = replaying.get(topic);
    if (held) {
      held.push(envelope);
      return false;
    }
  }
  if (sentUpTo.size > 0) {
    const upTo = sentUpTo.get(topic);
    if (upTo !== undefined) {
      if (envelope.message.id <= upTo) return false;
      sentUpTo.delete(topic);
    }
  }
  if (sentLive.has(topic)) {
    // The first id sent live is all a later resume needs: the rest is in `lastDelivered`.
    sentLive.delete(topic);
    (session.liveFrom ??= new Map()).set(topic, envelope.message.id);
  }
  return true;
}

/** Ends every gate of `topic` (the session left it); a session left with none pays nothing. */
export function closeGates(session: Session, topic: Topic): void {
  session.liveFrom?.delete(topic);
  const gates = session.gates;
  if (!gates) return;
  gates.replaying.delete(topic);
  gates.sentUpTo.delete(topic);
  gates.sentLive.delete(topic);
  if (gates.replaying.size + gates.sentUpTo.size + gates.sentLive.size === 0) {
    session.gates = undefined;
  }
}

/** Marks `topic` as joined without a replay: what goes live from now on is remembered as sent. */
export function joinedLive(session: Session, topic: Topic): void {
  gatesOf(session).sentLive.set(topic, {});
}

/**
 * Sends `session` every retained message of `topic` after `since`, marked
 * as replay, then the live ones held back meanwhile that the replay did not
 * have; `what` names the topic in a truncation notice. The caller called
 * `holdLive` before subscribing. If the history cannot be read, nothing is
 * sent, the held messages are dropped, and the error is thrown.
 */
export async function resume(
  session: Session,
  history: HistoryStore,
  topic: Topic,
  since: string,
  what: string,
): Promise<void> {
  let read;
  try {
    read = await history.since(topic, since);
  } catch (error) {
    dropHeld(session, topic);
    throw error;
  }
  const held = session.gates?.replaying.get(topic) ?? [];
  dropHeld(session, topic);
  // Joined without a replay before: what went live since was sent, and is not sent twice.
  const live = session.gates?.sentLive.get(topic);
  session.gates?.sentLive.delete(topic);
  if (read.truncated) {
    send(session, {
      type: "error",
      code: "history_truncated",
      message: `Some messages of ${what} after ${since} are no longer kept: replaying the rest`,
    });
  }
  const replayed = new Set<Envelope>(read.envelopes);
  let last = since;
  for (const envelope of mergeById<MessageEnvelope>(read.envelopes, held, since)) {
    last = envelope.message.id;
    if (live?.first !== undefined && last >= live.first && last <= live.last!) continue;
    const addressed = address(topic, envelope);
    if (!isFor(session, addressed)) continue;
    send(session, replayed.has(envelope) ? replay(addressed.event) : addressed.event);
  }
  // The live copy of a replayed message may still be on its way (another connection).
  gatesOf(session).sentUpTo.set(topic, last);
}

/** `event` marked as sent again from history; only messages and their changes are ever replayed. */
function replay(event: Outbound): Outbound {
  return event.type === "channelMessage" || event.type === "directMessage" ||
      event.type === "change"
    ? { ...event, replay: true }
    : event;
}
