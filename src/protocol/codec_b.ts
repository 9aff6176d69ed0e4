/**
 * Codec for kind-B clients (the "Chat Backend" protocol): every frame is
 * `{"sender","text"}`. The first frame registers `sender`; later ones are
 * lobby messages, always sent under the registered name whatever `sender`
 * says. Announcements and errors come from sender `Server`; errors also
 * carry `type` and `code`, which seed clients ignore.
 *
 * @module
 */
import type { Codec, Decoded, Outbound } from "./commands.ts";
import { clientFrameSchemas, type FrameLimits, type ServerFrameB } from "./frames.ts";
import { readFrameObject, refusalFromIssues } from "./decode.ts";
import { SERVER_SENDER } from "./names.ts";

/** Creates the kind-B codec for the given limits; it holds no per-connection state. */
export function createCodecB(limits: FrameLimits): Codec {
  const schema = clientFrameSchemas(limits).kindB;
  return {
    kind: "B",
    decode(text: string): Decoded {
      const frame = readFrameObject(text);
      if (!frame.ok) return frame;
      const parsed = schema.safeParse(frame.value);
      if (!parsed.success) {
        return { ok: false, refusal: refusalFromIssues(parsed.error, frame.ref) };
      }
      const { sender, text: said, ref } = parsed.data;
      const refPart = ref === undefined ? {} : { ref };
      return { ok: true, command: { type: "say", sender, text: said, ...refPart } };
    },
    encode: encodeB,
  };
}

/** The exact text seed clients compare against when their name is refused. */
const SEED_TAKEN_TEXT = "Username already taken";

/**
 * The kind-B frame for `event`, if the kind has one: one object literal
 * typed by its outbound schema. An optional key holding `undefined` is left
 * out by JSON.stringify, so no conditional spreads on this hot path.
 */
function encodeB(event: Outbound): string | undefined {
  switch (event.type) {
    case "channelMessage": {
      const { from, text, id, ts, local, deleted } = event.message;
      // A deleted lobby message has no text left to show.
      if (deleted) return undefined;
      return JSON.stringify(
        { sender: from, text, id, ts, local } satisfies ServerFrameB<"message">,
      );
    }
    case "ack":
      return JSON.stringify(
        {
          type: "ack",
          sender: SERVER_SENDER,
          text: "",
          ref: event.ref,
          id: event.id,
          duplicate: event.duplicate,
        } satisfies ServerFrameB<"ack">,
      );
    case "error":
      return JSON.stringify(
        {
          type: "error",
          sender: SERVER_SENDER,
          text: event.code === "username_taken" ? SEED_TAKEN_TEXT : event.message,
          code: event.code,
          ref: event.ref,
        } satisfies ServerFrameB<"error">,
      );
    default:
      return undefined;
  }
}
