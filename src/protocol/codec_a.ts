/**
 * Codec for kind-A clients (the "Distributed-Chat-App" protocol): JSON frames
 * `{"type","to","from","sessionID","message"}`, plus Natter's `ref`, `id`,
 * `ts`, `code`, `username` and `token` keys. Whatever `from` or `sessionID`
 * a client sends is ignored: the core knows who is speaking.
 *
 * @module
 */
import type { Codec, Command, Decoded, DeliveredMessage, Outbound } from "./commands.ts";
import {
  clientFrameSchemas,
  type ClientTypeA,
  DEFAULT_HISTORY_LIMIT,
  type FrameLimits,
} from "./frames.ts";
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
      return {
        type: "joinChannel",
        channel: frame.to,
        ...(frame.since === undefined ? {} : { since: frame.since }),
        ...ref,
      };
    case "leaveChannel":
      return { type: "leaveChannel", channel: frame.to, ...ref };
    case "broadcast":
      return { type: "broadcast", channel: frame.to, text: frame.message, ...ref };
    case "directMessage":
      return { type: "directMessage", to: frame.to, text: frame.message, ...ref };
    case "typing":
      return { type: "typing", to: frame.to, ...ref };
    case "refresh":
      return { type: "refresh", token: frame.token, ...ref };
    case "history":
      return {
        type: "history",
        ...(frame.to === undefined ? {} : { channel: frame.to }),
        ...(frame.with === undefined ? {} : { with: frame.with }),
        ...(frame.before === undefined ? {} : { before: frame.before }),
        limit: frame.limit ?? DEFAULT_HISTORY_LIMIT,
        ...ref,
      };
  }
}

/** A kind-A frame: the seed's five keys first, empty unless given, then Natter's extras. */
function frameObject(type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { type, to: "", from: "", sessionID: "", message: "", ...fields };
}

function frame(type: string, fields: Record<string, unknown>): string {
  return JSON.stringify(frameObject(type, fields));
}

/** A delivered message as a kind-A frame object, with its flags. */
function messageObject(type: string, message: DeliveredMessage, replay?: true) {
  const { id, ts, from, to, text, local } = message;
  return frameObject(type, {
    to,
    from,
    message: text,
    id,
    ts,
    ...(replay ? { replay } : {}),
    ...(local ? { local } : {}),
  });
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
    case "channelMessage":
      return JSON.stringify(messageObject("broadcast", event.message, event.replay));
    case "directMessage":
      return JSON.stringify(
        messageObject(event.copy ? "sessionUpdate" : "directMessage", event.message, event.replay),
      );
    case "history":
      return frame("history", {
        to: event.to ?? "",
        ...(event.with === undefined ? {} : { with: event.with }),
        ...(event.ref === undefined ? {} : { ref: event.ref }),
        messages: event.messages.map((item) =>
          item.type === "channelMessage"
            ? messageObject("broadcast", item.message)
            : messageObject(item.copy ? "sessionUpdate" : "directMessage", item.message)
        ),
      });
    case "typing":
      return frame("typing", { from: event.from, to: event.to });
    case "ack":
      return frame("ack", {
        ref: event.ref,
        ...(event.id === undefined ? {} : { id: event.id }),
        ...(event.duplicate ? { duplicate: true } : {}),
      });
    case "error":
      return frame("error", {
        code: event.code,
        message: event.message,
        ...(event.ref === undefined ? {} : { ref: event.ref }),
      });
  }
}
