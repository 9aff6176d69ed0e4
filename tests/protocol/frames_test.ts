/**
 * The wire contract without a network: codec A and codec B decoding into
 * commands or refusals, encoding outbound events into frames that satisfy
 * the outbound schemas, the handshake query, and the name rules.
 */
import { createCodecA } from "../../src/protocol/codec_a.ts";
import { createCodecB } from "../../src/protocol/codec_b.ts";
import type { Decoded, DeliveredMessage, Outbound } from "../../src/protocol/commands.ts";
import type { ErrorCode } from "../../src/protocol/codes.ts";
import { ServerFrameA, ServerFrameB } from "../../src/protocol/frames.ts";
import { parseHandshake } from "../../src/protocol/handshake.ts";
import {
  exceedsCodePoints,
  isChannelName,
  isUsername,
  utf8Length,
} from "../../src/protocol/names.ts";
import { assert, assertEquals } from "../support/assert.ts";

const LIMIT = 20;
const codecA = createCodecA({ maxMessageChars: LIMIT });
const codecB = createCodecB({ maxMessageChars: LIMIT });

/** Decodes `frame` (JSON-encoded unless already a string) with `codec`. */
function decodeWith(codec: { decode(text: string): Decoded }, frame: unknown): Decoded {
  return codec.decode(typeof frame === "string" ? frame : JSON.stringify(frame));
}

const decodeA = (frame: unknown) => decodeWith(codecA, frame);
const decodeB = (frame: unknown) => decodeWith(codecB, frame);

/** Asserts `decoded` is a refusal with `code` and a non-empty message; returns the refusal. */
function assertRefused(decoded: Decoded, code: ErrorCode, context = "") {
  assert(!decoded.ok, `expected a ${code} refusal${context}, got ${JSON.stringify(decoded)}`);
  assertEquals(decoded.refusal.code, code, `refusal code${context}: ${decoded.refusal.message}`);
  assert(decoded.refusal.message.length > 0, `refusal message must not be empty${context}`);
  return decoded.refusal;
}

// ---- Codec A: decoding every client frame type. ---------------------------

Deno.test("codec A: createChannel takes the channel name from `message`", () => {
  assertEquals(decodeA({ type: "createChannel", message: "general" }), {
    ok: true,
    command: { type: "createChannel", channel: "general" },
  });
});

Deno.test("codec A: joinChannel and leaveChannel take the channel from `to`", () => {
  assertEquals(decodeA({ type: "joinChannel", to: "general", ref: "j1" }), {
    ok: true,
    command: { type: "joinChannel", channel: "general", ref: "j1" },
  });
  assertEquals(decodeA({ type: "leaveChannel", to: "random" }), {
    ok: true,
    command: { type: "leaveChannel", channel: "random" },
  });
});

Deno.test("codec A: broadcast takes the channel from `to` and the text from `message`", () => {
  assertEquals(decodeA({ type: "broadcast", to: "general", message: "hello", ref: "b1" }), {
    ok: true,
    command: { type: "broadcast", channel: "general", text: "hello", ref: "b1" },
  });
});

Deno.test("codec A: directMessage takes the recipient from `to` and the text from `message`", () => {
  assertEquals(decodeA({ type: "directMessage", to: "bob", message: "psst" }), {
    ok: true,
    command: { type: "directMessage", to: "bob", text: "psst" },
  });
});

Deno.test("codec A: typing takes a channel or a username from `to`", () => {
  assertEquals(decodeA({ type: "typing", to: "general" }), {
    ok: true,
    command: { type: "typing", to: "general" },
  });
  assertEquals(decodeA({ type: "typing", to: "bob", ref: "t1" }), {
    ok: true,
    command: { type: "typing", to: "bob", ref: "t1" },
  });
});

Deno.test("codec A: the client's `from` and `sessionID` are ignored", () => {
  const decoded = decodeA({
    type: "broadcast",
    to: "general",
    from: "mallory",
    sessionID: "01FAKESESSION",
    message: "hi",
  });
  assertEquals(decoded, {
    ok: true,
    command: { type: "broadcast", channel: "general", text: "hi" },
  });
  assertEquals(
    decodeA({ type: "directMessage", to: "bob", from: "Server", sessionID: 7, message: "x" }),
    { ok: true, command: { type: "directMessage", to: "bob", text: "x" } },
    "even a reserved or non-string from/sessionID is ignored",
  );
});

// ---- Codec A: refusals. ---------------------------------------------------

Deno.test("codec A: text that is not JSON is refused with invalid_json", () => {
  for (const text of ["nope", "", "{", '{"type":"broadcast",}', "{'type':'typing'}"]) {
    assertRefused(decodeA(text), "invalid_json", ` for ${JSON.stringify(text)}`);
  }
});

Deno.test("codec A: JSON that is not an object is refused with invalid_json", () => {
  for (const text of ["null", "[1,2]", "[]", "42", '"broadcast"', "true"]) {
    assertRefused(decodeA(text), "invalid_json", ` for ${text}`);
  }
});

Deno.test("codec A: a missing or unknown type is refused with unknown_type", () => {
  const frames = [
    {},
    { to: "general", message: "hi" },
    { type: "shout", to: "general", message: "hi" },
    { type: "Broadcast", to: "general", message: "hi" },
    { type: 5, to: "general", message: "hi" },
    { type: null },
    { type: "sessionID" },
    { type: "toString" },
    { type: "__proto__" },
  ];
  for (const frame of frames) {
    assertRefused(decodeA(frame), "unknown_type", ` for ${JSON.stringify(frame)}`);
  }
});

Deno.test("codec A: a missing field or a field of the wrong type is refused with invalid_frame", () => {
  const frames = [
    { type: "createChannel" },
    { type: "createChannel", message: 7 },
    { type: "joinChannel" },
    { type: "joinChannel", to: ["general"] },
    { type: "leaveChannel", to: null },
    { type: "broadcast", to: "general" },
    { type: "broadcast", message: "hi" },
    { type: "broadcast", to: "general", message: { text: "hi" } },
    { type: "directMessage", to: "bob" },
    { type: "directMessage", to: 1, message: "hi" },
    { type: "typing" },
    { type: "typing", to: false },
  ];
  for (const frame of frames) {
    assertRefused(decodeA(frame), "invalid_frame", ` for ${JSON.stringify(frame)}`);
  }
});

Deno.test("codec A: an empty message text is refused with invalid_frame", () => {
  assertRefused(decodeA({ type: "broadcast", to: "general", message: "" }), "invalid_frame");
  assertRefused(decodeA({ type: "directMessage", to: "bob", message: "" }), "invalid_frame");
});

Deno.test("codec A: bad channel names are refused with invalid_channel", () => {
  const bad = ["", "c".repeat(65), "two words", " general", "café", "日本", "a/b", "a\nb"];
  for (const name of bad) {
    const label = ` for channel ${JSON.stringify(name)}`;
    assertRefused(decodeA({ type: "createChannel", message: name }), "invalid_channel", label);
    assertRefused(decodeA({ type: "joinChannel", to: name }), "invalid_channel", label);
    assertRefused(decodeA({ type: "leaveChannel", to: name }), "invalid_channel", label);
    assertRefused(
      decodeA({ type: "broadcast", to: name, message: "hi" }),
      "invalid_channel",
      label,
    );
  }
  assertEquals(decodeA({ type: "joinChannel", to: "c".repeat(64) }).ok, true, "64 chars is fine");
});

Deno.test("codec A: bad direct-message recipients are refused with invalid_username", () => {
  const bad = ["Server", "SYSTEM", "server", "u".repeat(33), "bad name", "", "bob!", "Zoë"];
  for (const name of bad) {
    assertRefused(
      decodeA({ type: "directMessage", to: name, message: "hi" }),
      "invalid_username",
      ` for recipient ${JSON.stringify(name)}`,
    );
  }
  assertEquals(
    decodeA({ type: "directMessage", to: "u".repeat(32), message: "hi" }).ok,
    true,
    "32 chars is fine",
  );
});

Deno.test("codec A: text over the limit is refused with message_too_long", () => {
  const long = "x".repeat(LIMIT + 1);
  assertRefused(decodeA({ type: "broadcast", to: "general", message: long }), "message_too_long");
  assertRefused(decodeA({ type: "directMessage", to: "bob", message: long }), "message_too_long");
  assertRefused(
    decodeA({ type: "broadcast", to: "general", message: "😀".repeat(LIMIT + 1) }),
    "message_too_long",
  );
  assertEquals(
    decodeA({ type: "broadcast", to: "general", message: "x".repeat(LIMIT) }).ok,
    true,
    "exactly the limit is fine",
  );
});

Deno.test("codec A: the limit counts code points, so 20 astral emoji (40 UTF-16 units) pass", () => {
  const text = "😀".repeat(LIMIT);
  assertEquals(text.length, 2 * LIMIT);
  assertEquals(decodeA({ type: "broadcast", to: "general", message: text }), {
    ok: true,
    command: { type: "broadcast", channel: "general", text },
  });
  assertEquals(decodeA({ type: "directMessage", to: "bob", message: text }).ok, true);
});

Deno.test("codec A: refusals echo a string ref of at most 64 chars", () => {
  const ref = "r".repeat(64);
  const refused = [
    decodeA({ type: "shout", ref }),
    decodeA({ ref }),
    decodeA({ type: "broadcast", to: "general", ref }),
    decodeA({ type: "broadcast", to: "a/b", message: "hi", ref }),
    decodeA({ type: "broadcast", to: "general", message: "x".repeat(LIMIT + 1), ref }),
    decodeA({ type: "directMessage", to: "Server", message: "hi", ref }),
  ];
  for (const decoded of refused) {
    assert(!decoded.ok);
    assertEquals(decoded.refusal.ref, ref, decoded.refusal.message);
  }
  const short = decodeA({ type: "shout", ref: "x" });
  assert(!short.ok);
  assertEquals(short.refusal.ref, "x");
});

Deno.test("codec A: refusals omit a ref that is longer than 64 chars or not a string", () => {
  for (const ref of ["r".repeat(65), 42, null, true, ["r"], { id: "r" }]) {
    for (
      const frame of [{ type: "shout", ref }, { type: "broadcast", to: "a/b", message: "hi", ref }]
    ) {
      const decoded = decodeA(frame);
      assert(!decoded.ok, `expected a refusal for ${JSON.stringify(frame)}`);
      assert(!("ref" in decoded.refusal), `ref must be omitted for ${JSON.stringify(ref)}`);
    }
  }
});

Deno.test("codec A: an otherwise valid frame with an unusable ref is refused without the ref", () => {
  for (const ref of ["r".repeat(65), 42]) {
    const refusal = assertRefused(
      decodeA({ type: "broadcast", to: "general", message: "hi", ref }),
      "invalid_frame",
    );
    assert(!("ref" in refusal));
  }
});

Deno.test("codec A: __proto__ and constructor keys neither break decoding nor pollute Object.prototype", () => {
  const texts = [
    '{"type":"broadcast","to":"general","message":"hi","__proto__":{"polluted":"yes"}}',
    '{"type":"broadcast","to":"general","message":"hi","constructor":{"prototype":{"polluted":"yes"}}}',
    '{"__proto__":{"type":"broadcast","to":"general","message":"hi","polluted":"yes"}}',
    '{"type":"typing","to":"general","__proto__":{"ref":"sneaky","polluted":"yes"},"constructor":"x"}',
  ];
  const results = texts.map((text) => codecA.decode(text));
  assertEquals(results[0], {
    ok: true,
    command: { type: "broadcast", channel: "general", text: "hi" },
  });
  assertEquals(results[1], {
    ok: true,
    command: { type: "broadcast", channel: "general", text: "hi" },
  });
  assertRefused(results[2], "unknown_type", ": a __proto__ key is data, not the prototype");
  assertEquals(results[3], { ok: true, command: { type: "typing", to: "general" } });
  for (const result of results) {
    if (result.ok) assertEquals(Object.getPrototypeOf(result.command), Object.prototype);
  }
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals((Object.prototype as Record<string, unknown>).polluted, undefined);
  assertEquals(({} as Record<string, unknown>).ref, undefined);
});

Deno.test("codec A: channel and user names that shadow Object.prototype members are plain names", () => {
  assertEquals(decodeA({ type: "joinChannel", to: "constructor" }), {
    ok: true,
    command: { type: "joinChannel", channel: "constructor" },
  });
  assertEquals(decodeA({ type: "directMessage", to: "__proto__", message: "hi" }), {
    ok: true,
    command: { type: "directMessage", to: "__proto__", text: "hi" },
  });
});

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

const message: DeliveredMessage = {
  id: "1700000000000-000000",
  ts: 1_700_000_000_000,
  from: "alice",
  to: "general",
  text: "hello",
};
const dm: DeliveredMessage = { ...message, id: "1700000000000-000001", to: "bob" };

const outbound: Outbound[] = [
  { type: "welcome", sessionId: "01SESSION", username: "alice", token: "secret" },
  { type: "userList", names: ["alice", "bob"] },
  { type: "channelList", names: ["general", "lobby"] },
  { type: "channelMessage", message },
  { type: "directMessage", message: dm, copy: false },
  { type: "directMessage", message: dm, copy: true },
  { type: "typing", from: "alice", to: "general" },
  { type: "ack", ref: "r1" },
  { type: "ack", ref: "r2", id: message.id },
  { type: "error", code: "not_member", message: "Not a member", ref: "r3" },
  { type: "error", code: "invalid_json", message: "Cannot parse frame" },
  { type: "channelMessage", message, replay: true },
  { type: "channelMessage", message: { ...message, local: true } },
  { type: "directMessage", message: dm, copy: true, replay: true },
  { type: "ack", ref: "r4", id: message.id, duplicate: true },
  { type: "error", code: "history_truncated", message: "Some messages are no longer kept" },
  {
    type: "history",
    to: "general",
    ref: "h1",
    messages: [{ type: "channelMessage", message }],
  },
  {
    type: "history",
    with: "bob",
    messages: [
      { type: "directMessage", message: dm, copy: false },
      { type: "directMessage", message: dm, copy: true },
    ],
  },
];

Deno.test("codec A: replayed, local and duplicate flags appear only when set", () => {
  assertEquals(encodedA({ type: "channelMessage", message, replay: true }).replay, true);
  assertEquals(encodedA({ type: "channelMessage", message }).replay, undefined);
  assertEquals(
    encodedA({ type: "channelMessage", message: { ...message, local: true } }).local,
    true,
  );
  assertEquals(
    encodedA({ type: "ack", ref: "r", id: message.id, duplicate: true }).duplicate,
    true,
  );
});

Deno.test("codec A: a history answer carries each message as the frame that was delivered", () => {
  const answer = encodedA({
    type: "history",
    with: "bob",
    messages: [
      { type: "directMessage", message: dm, copy: false },
      { type: "directMessage", message: dm, copy: true },
    ],
  });
  const live = [
    encodedA({ type: "directMessage", message: dm, copy: false }),
    encodedA({ type: "directMessage", message: dm, copy: true }),
  ];
  assertEquals([answer.type, answer.with, answer.messages], ["history", "bob", live]);
});

function encodedA(event: Outbound): Record<string, unknown> {
  const text = codecA.encode(event);
  assert(text !== undefined, `codec A must encode ${event.type}`);
  return JSON.parse(text);
}

Deno.test("codec A: every frame has the seed's five string keys and satisfies ServerFrameA", () => {
  for (const event of outbound) {
    const frame = encodedA(event);
    for (const key of ["type", "to", "from", "sessionID", "message"]) {
      assertEquals(typeof frame[key], "string", `${key} of ${JSON.stringify(frame)}`);
    }
    const checked = ServerFrameA.safeParse(frame);
    assert(checked.success, `${JSON.stringify(frame)}: ${checked.error?.message}`);
  }
});

Deno.test("codec A: the welcome is a sessionID frame carrying id, username and token", () => {
  assertEquals(encodedA(outbound[0]), {
    type: "sessionID",
    to: "",
    from: "",
    sessionID: "01SESSION",
    message: "01SESSION",
    username: "alice",
    token: "secret",
  });
});

Deno.test("codec A: userList and channelList carry a JSON-encoded string array in message", () => {
  const users = encodedA({ type: "userList", names: ["alice", "bob"] });
  assertEquals(users.type, "userList");
  assertEquals(typeof users.message, "string");
  assertEquals(JSON.parse(users.message as string), ["alice", "bob"]);
  const none = encodedA({ type: "userList", names: [] });
  assertEquals(none.message, "[]");
  const channels = encodedA({ type: "channelList", names: ["general", "lobby"] });
  assertEquals(channels.type, "channelList");
  assertEquals(JSON.parse(channels.message as string), ["general", "lobby"]);
});

Deno.test("codec A: a channel message is a broadcast frame with from, to, text, id and ts", () => {
  assertEquals(encodedA({ type: "channelMessage", message }), {
    type: "broadcast",
    to: "general",
    from: "alice",
    sessionID: "",
    message: "hello",
    id: message.id,
    ts: message.ts,
  });
});

Deno.test("codec A: a direct message is directMessage, and the sender's copy is sessionUpdate", () => {
  const delivered = encodedA({ type: "directMessage", message: dm, copy: false });
  const copy = encodedA({ type: "directMessage", message: dm, copy: true });
  assertEquals(delivered.type, "directMessage");
  assertEquals(copy.type, "sessionUpdate");
  for (const frame of [delivered, copy]) {
    assertEquals([frame.from, frame.to, frame.message, frame.id, frame.ts], [
      "alice",
      "bob",
      "hello",
      dm.id,
      dm.ts,
    ]);
  }
});

Deno.test("codec A: acks and errors carry ref, id and code as given", () => {
  assertEquals(encodedA({ type: "ack", ref: "r1" }), {
    type: "ack",
    to: "",
    from: "",
    sessionID: "",
    message: "",
    ref: "r1",
  });
  assertEquals(encodedA({ type: "ack", ref: "r2", id: "01ID" }).id, "01ID");
  assertEquals(encodedA({ type: "error", code: "not_member", message: "Nope", ref: "r3" }), {
    type: "error",
    to: "",
    from: "",
    sessionID: "",
    message: "Nope",
    code: "not_member",
    ref: "r3",
  });
  assert(!("ref" in encodedA({ type: "error", code: "invalid_json", message: "Bad" })));
});

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

Deno.test("codec B: lists, typing, direct messages and the welcome have no kind-B frame", () => {
  for (const event of outbound) {
    if (["userList", "channelList", "typing", "directMessage", "welcome"].includes(event.type)) {
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

// ---- Handshake. ------------------------------------------------------------

Deno.test("handshake: ?username=alice is kind A with that username", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=alice")), {
    kind: "A",
    username: "alice",
  });
});

Deno.test("handshake: an empty ?username= is kind A without a username (a guest)", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=")), { kind: "A" });
});

Deno.test("handshake: ?token=t is kind A with the token", () => {
  assertEquals(parseHandshake(new URLSearchParams("token=t")), { kind: "A", token: "t" });
  assertEquals(parseHandshake(new URLSearchParams("username=alice&token=t")), {
    kind: "A",
    username: "alice",
    token: "t",
  });
});

Deno.test("handshake: no query, or only unrelated parameters, is kind B", () => {
  assertEquals(parseHandshake(new URLSearchParams("")), { kind: "B" });
  assertEquals(parseHandshake(new URLSearchParams("name=alice&user=bob&v=2")), { kind: "B" });
});

Deno.test("handshake: a percent-encoded username is decoded, not validated here", () => {
  assertEquals(parseHandshake(new URLSearchParams("username=a%20b")), {
    kind: "A",
    username: "a b",
  });
});

// ---- Names. ---------------------------------------------------------------

Deno.test("names: utf8Length equals the TextEncoder byte count", () => {
  const samples = [
    "",
    "hello",
    "é",
    "café",
    "ßø",
    "€",
    "日本語",
    "😀",
    "a😀b",
    "👩‍👩‍👧",
    "x€😀é",
    "\u007f\u0080\u07ff\u0800\uffff",
    // Lone surrogates: TextEncoder writes U+FFFD (3 bytes) for each.
    "\ud800",
    "a\udc00b",
    "\ud83d",
  ];
  for (const text of samples) {
    assertEquals(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
  assertEquals(utf8Length("é"), 2);
  assertEquals(utf8Length("€"), 3);
  assertEquals(utf8Length("😀"), 4);
});

Deno.test("names: exceedsCodePoints counts a surrogate pair once", () => {
  assertEquals(exceedsCodePoints("abc", 3), false);
  assertEquals(exceedsCodePoints("abcd", 3), true);
  assertEquals(exceedsCodePoints("", 0), false);
  assertEquals(exceedsCodePoints("a", 0), true);
  assertEquals(exceedsCodePoints("😀".repeat(3), 3), false);
  assertEquals(exceedsCodePoints("😀".repeat(4), 3), true);
  assertEquals(exceedsCodePoints("a😀b", 3), false);
  assertEquals(exceedsCodePoints("a😀bc", 3), true);
});

Deno.test("names: usernames are 1-32 allowed characters", () => {
  for (const name of ["a", "Z", "9", "_", "a.b-c_d", "u".repeat(32)]) {
    assertEquals(isUsername(name), true, name);
  }
  for (const name of ["", "u".repeat(33), "a b", "a/b", "é", "a@b", "a\n"]) {
    assertEquals(isUsername(name), false, JSON.stringify(name));
  }
});

Deno.test("names: Server and system are reserved in any case", () => {
  for (const name of ["Server", "server", "SERVER", "sErVeR", "system", "System", "SYSTEM"]) {
    assertEquals(isUsername(name), false, name);
  }
  for (const name of ["servers", "system1", "the-server"]) {
    assertEquals(isUsername(name), true, name);
  }
});

Deno.test("names: channel names are 1-64 allowed characters", () => {
  for (const name of ["a", "-", "general", "c".repeat(64), "server", "system"]) {
    assertEquals(isChannelName(name), true, name);
  }
  for (const name of ["", "c".repeat(65), "two words", "a/b", "ü", "#general"]) {
    assertEquals(isChannelName(name), false, JSON.stringify(name));
  }
});

Deno.test("codec A: texts must be printable: lone surrogates and control characters are refused", () => {
  const codec = createCodecA({ maxMessageChars: 100 });
  for (
    const text of [
      "lone \ud800 high",
      "lone \udc00 low",
      "nul \u0000",
      "bell \u0007",
      "del \u007f",
      "c1 \u0085",
    ]
  ) {
    const decoded = codec.decode(
      JSON.stringify({ type: "broadcast", to: "general", message: text }),
    );
    assert(!decoded.ok && decoded.refusal.code === "invalid_frame", JSON.stringify(text));
  }
  for (const text of ["tab\tand\nnewline\r\n", "עברית \u202B mixed \u202C", "emoji 😀", "é"]) {
    const decoded = codec.decode(
      JSON.stringify({ type: "broadcast", to: "general", message: text }),
    );
    assert(decoded.ok, JSON.stringify(text));
  }
});

// ---- Outbound frame types. -------------------------------------------------

Deno.test("frames: the encoders' frame types refuse a missing seed key, an unknown key or a wrong type", () => {
  const ack: ServerFrameA<"ack"> = {
    type: "ack",
    to: "",
    from: "",
    sessionID: "",
    message: "",
    ref: "r1",
  };
  // @ts-expect-error The seed key `sessionID` is missing.
  const missing: ServerFrameA<"ack"> = { type: "ack", to: "", from: "", message: "", ref: "r1" };
  const unknownKey: ServerFrameA<"ack"> = {
    ...ack,
    // @ts-expect-error `reference` is not a key of the ack schema.
    reference: "r1",
  };
  const wrongType: ServerFrameB<"message"> = {
    sender: "alice",
    text: "hello",
    id: "1700000000000-000000",
    // @ts-expect-error `ts` is a number.
    ts: "1700000000000",
  };
  assert(ServerFrameA.safeParse(ack).success);
  assert(!ServerFrameA.safeParse(missing).success);
  assert(!ServerFrameB.safeParse(wrongType).success);
  assertEquals(
    ServerFrameA.parse(unknownKey),
    ack,
    "the schema strips an unknown key: only the type keeps it off the wire",
  );
});
