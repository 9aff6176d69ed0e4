/**
 * Delivery: from the broker to this instance's sessions. An envelope on a
 * topic goes to the topic's local members as one frame per client kind,
 * encoded once and sent as the same string to each receiver. Per receiver
 * the work is a state check and a send: who a frame leaves out is looked at
 * only for direct messages and typing, the replay gate only for a session
 * with a replay gate open (`gates`), and backpressure in plain arithmetic
 * (`sendFrame`). A receiver whose connection fails is closed alone, and the
 * others still get their frame.
 * A membership signal on a user's topic is no frame: each of that user's
 * other local sessions is handed to `follow`; a disconnect signal closes
 * each of them (4008, with the signal's reason); a presence change on a
 * channel's topic goes to `presence.ts`, which knows who watches.
 *
 * @module
 */
import {
  channelTopic,
  type Envelope,
  isMessage,
  type PresenceChange,
  type Signal,
  type Topic,
} from "../broker/broker.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Tracing } from "../tracing.ts";
import type { Codec } from "../protocol/commands.ts";
import { CLOSE_CODES } from "../protocol/codes.ts";
import { address, type ClientEnvelope, isFor } from "./events.ts";
import { admits } from "./replay.ts";
import type { Roster } from "./roster.ts";
import { close, sendFrameIsolated, type Session } from "./session.ts";

/** Hands what the broker delivers on `topic` to its local members. */
export type Deliver = (topic: Topic, envelope: Envelope) => void;

/** Makes one session follow a membership change of its user made by another session. */
export type Follow = (session: Session, signal: Signal & { kind: "membership" }) => void;

/** Hands a channel's presence change to its local members (see `presence.ts`). */
export type OnPresence = (
  members: Iterable<Session>,
  channel: string,
  change: PresenceChange,
) => void;

/** What delivery needs. */
export interface DeliveryOptions {
  /** The local members of each topic. */
  roster: Roster<Session>;
  log: Logger;
  follow: Follow;
  onPresence: OnPresence;
  /** Where the newest id delivered on each channel is noted: the sessions' `lastDelivered`. */
  lastDelivered: Map<Topic, string>;
  /** Where frames out and the delivery lag are counted, once per envelope (not per receiver). */
  metrics: Metrics;
  /** Spans around each fan-out (`natter.deliver`), when tracing. */
  tracing?: Tracing;
}

/** Delivery to the local members of each topic. */
export function createDelivery(options: DeliveryOptions): Deliver {
  const { roster, log, follow, onPresence, lastDelivered, metrics, tracing } = options;
  return (topic, envelope) => {
    const members = roster.members(topic);
    if (!members) return;
    try {
      if (envelope.kind === "presence") {
        return onPresence(members, topic.slice(CHANNEL_PREFIX.length), envelope);
      }
      if (envelope.kind === "disconnect") return disconnectAll(members, envelope.reason);
      if (envelope.kind === "channel") lastDelivered.set(topic, envelope.message.id);
      if (envelope.kind !== "membership") {
        // Without tracing, no closure: a fan-out pays nothing for spans.
        if (!tracing) return fanOut(members, topic, envelope, metrics);
        return tracing.tracedSync(
          "natter.deliver",
          { "natter.topic": topic.slice(0, topic.indexOf(":")), "natter.envelope": envelope.kind },
          () => fanOut(members, topic, envelope, metrics),
        );
      }
      for (const session of members) {
        if (session.state === "open" && session.id !== envelope.exceptSession) {
          follow(session, envelope);
        }
      }
    } catch (error) {
      log.error("delivery.internal_fault", { topic, error });
    }
  };
}

/** Closes every session of a user's topic: the server API disconnected the user. */
function disconnectAll(members: Iterable<Session>, reason: string): void {
  for (const session of [...members]) close(session, CLOSE_CODES.disconnected, reason);
}

/** What every channel topic starts with. */
const CHANNEL_PREFIX = channelTopic("");

function fanOut(
  members: Iterable<Session>,
  topic: Topic,
  envelope: ClientEnvelope,
  metrics: Metrics,
): void {
  const addressed = address(topic, envelope);
  const leavesOut = addressed.exceptSession !== undefined || addressed.exceptUser !== undefined;
  const gatesMessages = isMessage(envelope);
  const frames = new Map<Codec, string | undefined>();
  let codec: Codec | undefined;
  let frame: string | undefined;
  let sent = 0;
  for (const session of members) {
    if (session.state !== "open") continue;
    if (leavesOut && !isFor(session, addressed)) continue;
    if (session.gates && gatesMessages && !admits(session, topic, envelope)) continue;
    // Receivers of one kind mostly come in a row: the frame is looked up when the kind changes.
    if (session.codec !== codec) {
      codec = session.codec;
      frame = frames.has(codec) ? frames.get(codec) : codec.encode(addressed.event);
      frames.set(codec, frame);
    }
    if (frame === undefined) continue;
    sendFrameIsolated(session, frame);
    sent++;
  }
  metrics.framesOut[addressed.event.type] += sent;
  if (isMessage(envelope)) metrics.deliveryLag.observe(Date.now() - envelope.message.ts);
}
