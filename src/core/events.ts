/**
 * What an envelope from the broker means to the sessions of its topic: the
 * event they are told, and who among them it is not for (the session that
 * sent a direct message echoes it itself; a typist's own sessions need no
 * signal). Live delivery and replay both read envelopes through here.
 *
 * @module
 */
import { type Envelope, type Topic, userTopic } from "../broker/broker.ts";
import { isChange, type Outbound } from "../protocol/commands.ts";
import { userKey } from "../protocol/names.ts";
import type { Session } from "./session.ts";

/** An envelope as its receivers see it. */
export interface Addressed {
  event: Outbound;
  /** The session that sent this direct message. */
  exceptSession?: string;
  /** The key of the user who is typing. */
  exceptUser?: string;
}

/**
 * What the broker delivers that becomes the same frame to every receiver:
 * not membership, presence or a disconnect.
 */
export type ClientEnvelope = Exclude<
  Envelope,
  { kind: "membership" | "presence" | "disconnect" }
>;

/** The event `envelope` on `topic` tells its receivers, and whom it leaves out. */
export function address(topic: Topic, envelope: ClientEnvelope): Addressed {
  switch (envelope.kind) {
    case "channel":
    case "direct":
      if (isChange(envelope.message)) {
        // Everyone who can see the message learns of its change, the acting session too.
        return {
          event: { type: "change", message: envelope.message, direct: envelope.kind === "direct" },
        };
      }
      if (envelope.kind === "channel") {
        return { event: { type: "channelMessage", message: envelope.message } };
      }
      return {
        // On the recipient's topic the sessions get the message; on the sender's, a copy.
        event: {
          type: "directMessage",
          message: envelope.message,
          copy: topic !== userTopic(userKey(envelope.message.to)),
        },
        exceptSession: envelope.senderSession,
      };
    case "invited":
      return { event: { type: "invited", channel: envelope.channel, from: envelope.from } };
    case "read":
      return {
        event: {
          type: "read",
          in: envelope.in,
          position: envelope.position,
          countedTo: envelope.countedTo,
        },
      };
    case "receipt":
      return {
        event: { type: "readReceipt", in: envelope.in, from: envelope.from, id: envelope.id },
        // The reader's own sessions follow their read position instead.
        exceptUser: userKey(envelope.from),
      };
    case "typing":
      return {
        event: { type: "typing", from: envelope.from, to: envelope.to },
        exceptUser: userKey(envelope.from),
      };
  }
}

/** Whether `session` is one of the receivers `addressed` is for. */
export function isFor(session: Session, addressed: Addressed): boolean {
  return session.id !== addressed.exceptSession &&
    (addressed.exceptUser === undefined || session.user?.key !== addressed.exceptUser);
}
