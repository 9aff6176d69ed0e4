/**
 * Codec B without a network: `{sender,text}` frames decoded into `say`
 * commands or refused with their code, and the outbound events kind B has a
 * frame for encoded into frames that satisfy `ServerFrameB`.
 */
import { createCodecB } from "../../src/protocol/codec_b.ts";
import type { Outbound } from "../../src/protocol/commands.ts";
import { ServerFrameB } from "../../src/protocol/frames.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { assertRefused, decodeWith, LIMIT, message, outbound } from "../support/codec.ts";

const codecB = createCodecB({ maxMessageChars: LIMIT });
const decodeB = (frame: unknown) => decodeWith(codecB, frame);

// ---- Codec B: decoding. ---------------------------------------------------

Deno.test("codec B: {sender,text} decodes to a say command", () => {
  assertEquals(decodeB({ sender: "Alice", text: "" }), {
    ok: true,
    command: { type: "say", sender: "Alice", text: "" },
  });
  assertEquals(decodeB({ sender: "Alice", text: "hello", ref: "s1" }), {
    ok: true,
    command: { type: "say", sender: "Alice", text: "hello", ref: "s1" },
  });
  assertEquals(decodeB({ sender: "Alice", text: "😀".repeat(LIMIT) }).ok, true);
});

Deno.test("codec B: an empty ref is kept, as codec A keeps it", () => {
  const decoded = createCodecB({ maxMessageChars: 20 }).decode(
    '{"sender":"x","text":"hi","ref":""}',
  );
  assertEquals(decoded, { ok: true, command: { type: "say", sender: "x", text: "hi", ref: "" } });
});

Deno.test("codec B: a frame without sender is refused with invalid_frame", () => {
  const refusal = assertRefused(decodeB({ text: "hi", ref: "s2" }), "invalid_frame");
  assertEquals(refusal.ref, "s2");
  assertRefused(decodeB({ sender: 3, text: "hi" }), "invalid_frame");
  assertRefused(decodeB({ sender: "Alice" }), "invalid_frame");
});

Deno.test("codec B: non-JSON and non-object frames are refused with invalid_json", () => {
  for (const text of ["nope", "null", "[1,2]", '"hi"']) {
    assertRefused(codecB.decode(text), "invalid_json", ` for ${text}`);
  }
});

Deno.test("codec B: over-long text is refused with message_too_long", () => {
  const refusal = assertRefused(
    decodeB({ sender: "Alice", text: "x".repeat(LIMIT + 1), ref: "s3" }),
    "message_too_long",
  );
  assertEquals(refusal.ref, "s3");
});

// ---- Encoding. ------------------------------------------------------------

Deno.test("codec B: a channel message is {sender,text,id,ts}", () => {
  const text = codecB.encode({ type: "channelMessage", message });
  assert(text !== undefined);
  assertEquals(JSON.parse(text), {
    sender: "alice",
    text: "hello",
    id: message.id,
    ts: message.ts,
  });
});

Deno.test("codec B: lists, typing, direct messages, pong and the welcome have no kind-B frame", () => {
  for (const event of outbound) {
    if (
      ["userList", "channelList", "typing", "directMessage", "welcome", "pong"].includes(event.type)
    ) {
      assertEquals(codecB.encode(event), undefined, `${event.type} must not be encoded`);
    }
  }
});

Deno.test("codec B: username_taken has the seed's exact text; other errors their message", () => {
  const taken = codecB.encode({ type: "error", code: "username_taken", message: "whatever" });
  assert(taken !== undefined);
  assertEquals(JSON.parse(taken), {
    type: "error",
    sender: "Server",
    text: "Username already taken",
    code: "username_taken",
  });
  const other = codecB.encode({
    type: "error",
    code: "message_too_long",
    message: "Too long",
    ref: "r9",
  });
  assert(other !== undefined);
  assertEquals(JSON.parse(other), {
    type: "error",
    sender: "Server",
    text: "Too long",
    code: "message_too_long",
    ref: "r9",
  });
});

Deno.test("codec B: every frame it encodes satisfies ServerFrameB", () => {
  const events: Outbound[] = [
    ...outbound,
    { type: "error", code: "username_taken", message: "taken" },
  ];
  let encoded = 0;
  for (const event of events) {
    const text = codecB.encode(event);
    if (text === undefined) continue;
    encoded++;
    const frame = JSON.parse(text);
    const checked = ServerFrameB.safeParse(frame);
    assert(checked.success, `${text}: ${checked.error?.message}`);
  }
  assertEquals(encoded, 10, "three channel messages, three acks and four errors");
  const ack = codecB.encode({ type: "ack", ref: "r2", id: "01ID" });
  assertEquals(JSON.parse(ack!), {
    type: "ack",
    sender: "Server",
    text: "",
    ref: "r2",
    id: "01ID",
  });
});
