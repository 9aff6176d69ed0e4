/**
 * Codec for kind-A clients (the "Distributed-Chat-App" protocol): JSON frames
 * `{"type","to","from","sessionID","message"}`, plus Natter's `ref`, `id`,
 * `ts`, `code`, `username` and `token` keys. Whatever `from` or `sessionID`
 * a client sends is ignored: the core knows who is speaking.
 *
 * @module
 */
import type { Codec, Command, Decoded, Outbound } from "./commands.ts";
import { clientFrameSchemas, type ClientTypeA, type FrameLimits } from "./frames.ts";
import { readFrameObject, refusalFromIssues } from "./decode.ts";

/** Creates the kind-A codec for the given limits; it holds no per-connection state. */
export function createCodecA(limits: FrameLimits): Codec {
  const schemas = clientFrameSchemas(limits).kindA;
  const known = Object.keys(schemas);
  return {
    kind: "A",
    decode(text: string): Decoded {
      const frame = readFrameObject(text);
      if (!frame.ok) return frame;
      const { value, ref } = frame;
      const refPart = ref === undefined ? {} : { ref };
      if (typeof value.type !== "string" || !known.includes(value.type)) {
        const shown = typeof value.type === "string"
          ? `unknown type "${value.type.slice(0, 40)}"`
          : "missing type";
        return {
          ok: false,
          refusal: {
            code: "unknown_type",
            message: `Cannot handle frame: ${shown}; expected one of ${known.join(", ")}`,
            ...refPart,
          },
        };
      }
      const parsed = schemas[value.type as ClientTypeA].safeParse(value);
      if (!parsed.success) return { ok: false, refusal: refusalFromIssues(parsed.error, ref) };
      return { ok: true, command: toCommand(parsed.data) };
    },
    encode: encodeA,
  };
}

type FrameA = {
  [K in ClientTypeA]: ReturnType<typeof clientFrameSchemas>["kindA"][K]["_output"];
}[ClientTypeA];

function toCommand(frame: FrameA): Command {
  const ref = frame.ref === undefined ? {} : { ref: frame.ref };
  switch (frame.type) {
    case "createChannel":
      return { type: "createChannel", channel: frame.message, ...ref };
    case "joinChannel":
      return { type: "joinChannel", channel: frame.to, ...ref };
    case "leaveChannel":
      return { type: "leaveChannel", channel: frame.to, ...ref };
    case "broadcast":
      return { type: "broadcast", channel: frame.to, text: frame.message, ...ref };
    case "directMessage":
      return { type: "directMessage", to: frame.to, text: frame.message, ...ref };
    case "typing":
      return { type: "typing", to: frame.to, ...ref };
  }
}

/** A kind-A frame: the seed's five keys first, empty unless given, then Natter's extras. */
function frame(type: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ type, to: "", from: "", sessionID: "", message: "", ...fields });
}

function encodeA(event: Outbound): string | undefined {
  switch (event.type) {
    case "welcome":
      return frame("sessionID", {
        sessionID: event.sessionId,
        message: event.sessionId,
        username: event.username,
        token: event.token,
      });
    case "userList":
    case "channelList":
      return frame(event.type, { message: JSON.stringify(event.names) });
    case "channelMessage": {
      const { id, ts, from, to, text } = event.message;
      return frame("broadcast", { to, from, message: text, id, ts });
    }
    case "directMessage": {
      const { id, ts, from, to, text } = event.message;
      return frame(event.copy ? "sessionUpdate" : "directMessage", {
        to,
        from,
        message: text,
        id,
        ts,
      });
    }
    case "typing":
      return frame("typing", { from: event.from, to: event.to });
    case "ack":
      return frame("ack", { ref: event.ref, ...(event.id === undefined ? {} : { id: event.id }) });
    case "error":
      return frame("error", {
        code: event.code,
        message: event.message,
        ...(event.ref === undefined ? {} : { ref: event.ref }),
      });
  }
}
