/**
 * Codec A without a network: every kind-A client frame decoded into a
 * command or refused with its code, and every outbound event encoded into a
 * frame that carries the seed's keys and satisfies `ServerFrameA`.
 */
import { createCodecA } from "../../src/protocol/codec_a.ts";
import type { Outbound } from "../../src/protocol/commands.ts";
import { ServerFrameA } from "../../src/protocol/frames.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { assertRefused, decodeWith, dm, LIMIT, message, outbound } from "../support/codec.ts";

const codecA = createCodecA({ maxMessageChars: LIMIT });
const decodeA = (frame: unknown) => decodeWith(codecA, frame);

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

Deno.test("codec A: a message's replyTo and data are taken as sent; oversized data is refused", () => {
  const data = { attachment: { url: "https://x.example/a", name: "é" }, mentions: ["bob"] };
  assertEquals(
    decodeA({ type: "broadcast", to: "general", message: "re", replyTo: message.id, data }),
    {
      ok: true,
      command: { type: "broadcast", channel: "general", text: "re", replyTo: message.id, data },
    },
  );
  // {"k":"é"} is 10 bytes of UTF-8: the bound counts bytes, not characters.
  const bounded = createCodecA({ maxMessageChars: LIMIT, maxDataBytes: 10 });
  const send = (data: unknown) =>
    decodeWith(bounded, { type: "directMessage", to: "bob", message: "x", data });
  assertEquals(send({ k: "é" }).ok, true);
  assertRefused(send({ k: "éa" }), "data_too_large");
  assertRefused(send(["an", "array"]), "invalid_frame");
  assertRefused(send(null), "invalid_frame");
});

Deno.test("codec A: a message frame is byte for byte the same without extras, and adds them after ts", () => {
  const plain = codecA.encode({ type: "channelMessage", message })!;
  assertEquals(
    plain,
    '{"type":"broadcast","to":"general","from":"alice","sessionID":"","message":"hello",' +
      '"id":"1700000000000-000000","ts":1700000000000}',
  );
  const reply = codecA.encode({
    type: "channelMessage",
    message: { ...message, replyTo: "1699999999999-000000", data: { a: 1 } },
    replay: true,
  });
  assertEquals(
    reply,
    plain.slice(0, -1) + ',"replyTo":"1699999999999-000000","data":{"a":1},"replay":true}',
  );
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

Deno.test("codec A: seed A's keep-alive ping is a ping command whatever else it carries", () => {
  assertEquals(decodeA({ type: "ping", message: "keep-alive", from: "alice" }), {
    ok: true,
    command: { type: "ping" },
  });
  assertEquals(decodeA({ type: "ping", ref: "p1" }), {
    ok: true,
    command: { type: "ping", ref: "p1" },
  });
  for (
    const odd of [{ message: { nested: true } }, { to: 5 }, { ref: "r".repeat(65) }, { ref: 7 }]
  ) {
    assertEquals(decodeA({ type: "ping", ...odd }), { ok: true, command: { type: "ping" } });
  }
});

Deno.test("codec A: pong carries the seed's five keys empty, and the ping's ref", () => {
  assertEquals(encodedA({ type: "pong" }), {
    type: "pong",
    to: "",
    from: "",
    sessionID: "",
    message: "",
  });
  assertEquals(encodedA({ type: "pong", ref: "p1" }).ref, "p1");
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
  const bad = ["", "c".repeat(65), "two  words", " general", "caf\u202e", "😀", "a/b", "a\nb"];
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
  const bad = ["Server", "SYSTEM", "server", "u".repeat(33), "bad  name", "", "bob!", "Z\u043eë"];
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

// ---- Encoding. ------------------------------------------------------------

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

Deno.test("codec A: the welcome is a sessionID frame carrying id, username, token and unread", () => {
  assertEquals(encodedA(outbound[0]), {
    type: "sessionID",
    to: "",
    from: "",
    sessionID: "01SESSION",
    message: "01SESSION",
    username: "alice",
    token: "secret",
    unread: 2,
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
