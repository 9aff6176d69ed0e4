/**
 * Hostile and broken input end to end, over real WebSockets: every error
 * code a client can provoke comes back as an `error` frame with its `ref`,
 * the connection goes on working, and nobody else notices. Oversized frames
 * and refused handshake usernames close the connection with their code.
 */
import {
  connect,
  DEADLINE_MS,
  type Frame,
  joinA,
  joinChannel,
  type TestClient,
} from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { type Runtime, testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** Small limits so that the limits are easy to cross. */
const ENV = { MAX_MESSAGE_CHARS: "50", MAX_FRAME_BYTES: "1024" };

const ROOM = "room";

/** Joins `client` to `channel` and waits for the ack. */

let counter = 0;

/**
 * Proves alice's connection still works and bob still hears her unchanged:
 * alice broadcasts with a ref, gets the ack and her echo, and bob receives
 * the same message. It doubles as a barrier: once bob has this message, any
 * frame alice's earlier input caused for bob would already be there.
 */
async function assertConversationGoesOn(alice: TestClient, bob: TestClient): Promise<void> {
  const n = ++counter;
  const text = `still talking ${n}`;
  const ref = `ok-${n}`;
  alice.send({ type: "broadcast", to: ROOM, message: text, ref });
  const ack = await alice.take({ type: "ack", ref });
  assert(ack.id, "a broadcast ack carries the message id");
  const echo = await alice.take({ type: "broadcast", message: text });
  const heard = await bob.take({ type: "broadcast", message: text });
  for (const frame of [echo, heard]) {
    assertEquals(
      [frame.from, frame.to, frame.message, frame.id],
      ["alice", ROOM, text, ack.id],
    );
  }
  assertEquals(heard, echo, "bob receives exactly the frame alice does");
}

type JoinedClient = Awaited<ReturnType<typeof joinA>>;

/** A server with ENV, and alice and bob both members of ROOM; disposing closes all three. */
async function roomOfTwo(
  runtime: Runtime,
): Promise<{ ws: string; alice: JoinedClient; bob: JoinedClient } & AsyncDisposable> {
  const server = await startServer(runtime, ENV);
  const alice = await joinA(server.ws, "alice");
  const bob = await joinA(server.ws, "bob");
  await joinChannel(alice, ROOM);
  await joinChannel(bob, ROOM);
  return {
    ws: server.ws,
    alice,
    bob,
    async [Symbol.asyncDispose]() {
      await alice[Symbol.asyncDispose]();
      await bob[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
    },
  };
}

/** The close code of `client`, failing (instead of hanging) if it stays open past the deadline. */
async function closeCode(client: TestClient): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Socket still open after ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
  });
  try {
    return (await Promise.race([client.closed, deadline])).code;
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts `frame` is an error with `code`, a human message and `ref` (absent if undefined). */
function assertError(frame: Frame, code: string, ref: string | undefined): void {
  assertEquals(frame.type, "error");
  assertEquals(frame.code, code, `error code (message: ${frame.message})`);
  assert(typeof frame.message === "string" && frame.message.trim().length > 0, "a human message");
  assertEquals(frame.ref, ref, "the error echoes the ref");
}

interface HostileCase {
  title: string;
  code: string;
  /** What alice sends: an object is sent as JSON, a string or bytes as is. */
  frame: unknown;
  /** The ref the error must carry (undefined: none can be parsed out of the frame). */
  ref?: string;
  /** Extra setup before the hostile frame (bob is already in ROOM). */
  prepare?: (alice: TestClient, bob: TestClient) => Promise<void>;
  /** Frames bob (after the barrier) must not have received. */
  bobMustNotSee?: (frame: Frame) => boolean;
}

const LONG = "x".repeat(51);

const cases: HostileCase[] = [
  { title: "text that is not JSON", code: "invalid_json", frame: "nope" },
  { title: "a JSON array", code: "invalid_json", frame: "[1,2]" },
  { title: "JSON null", code: "invalid_json", frame: "null" },
  {
    title: "truncated JSON that contains a ref",
    code: "invalid_json",
    frame: '{"type":"broadcast","ref":"cut-1","to":"room"',
  },
  {
    title: "an unknown type",
    code: "unknown_type",
    frame: { type: "shout", to: ROOM, message: "HI", ref: "e-unknown" },
    ref: "e-unknown",
  },
  {
    title: "a frame without type",
    code: "unknown_type",
    frame: { to: ROOM, message: "hi", ref: "e-notype" },
    ref: "e-notype",
  },
  {
    title: "a broadcast without message",
    code: "invalid_frame",
    frame: { type: "broadcast", to: ROOM, ref: "e-frame" },
    ref: "e-frame",
  },
  {
    title: "a broadcast with an empty message",
    code: "invalid_frame",
    frame: { type: "broadcast", to: ROOM, message: "", ref: "e-empty" },
    ref: "e-empty",
    bobMustNotSee: (frame) => frame.type === "broadcast" && frame.message === "",
  },
  {
    title: "a joinChannel with a bad channel name",
    code: "invalid_channel",
    frame: { type: "joinChannel", to: "bad/name", ref: "e-channel" },
    ref: "e-channel",
  },
  {
    title: "a direct message to a bad username",
    code: "invalid_username",
    frame: { type: "directMessage", to: "bad name!", message: "hi", ref: "e-user" },
    ref: "e-user",
  },
  {
    title: "a broadcast over MAX_MESSAGE_CHARS",
    code: "message_too_long",
    frame: { type: "broadcast", to: ROOM, message: LONG, ref: "e-long" },
    ref: "e-long",
    bobMustNotSee: (frame) => frame.message === LONG,
  },
  {
    title: "a direct message over MAX_MESSAGE_CHARS",
    code: "message_too_long",
    frame: { type: "directMessage", to: "bob", message: LONG, ref: "e-longdm" },
    ref: "e-longdm",
    bobMustNotSee: (frame) => frame.type === "directMessage",
  },
  {
    title: "a binary frame",
    code: "binary_unsupported",
    frame: new Uint8Array([1, 2, 3]),
  },
  {
    title: "a direct message to a name nobody holds",
    code: "user_offline",
    frame: { type: "directMessage", to: "nobody", message: "hi", ref: "e-offline" },
    ref: "e-offline",
  },
  {
    title: "a leaveChannel of a channel never joined",
    code: "not_member",
    frame: { type: "leaveChannel", to: "elsewhere", ref: "e-leave" },
    ref: "e-leave",
  },
  {
    title: "typing in the lobby, which exists but alice never joined",
    code: "not_member",
    frame: { type: "typing", to: "lobby", ref: "e-typing-lobby" },
    ref: "e-typing-lobby",
  },
  {
    title: "typing in bob's channel, which alice never joined",
    code: "not_member",
    frame: { type: "typing", to: "bobs-den", ref: "e-typing" },
    ref: "e-typing",
    prepare: async (_alice, bob) => {
      bob.send({ type: "createChannel", message: "bobs-den", ref: "den" });
      await bob.take({ type: "ack", ref: "den" });
    },
    bobMustNotSee: (frame) => frame.type === "typing",
  },
];

for (const hostile of cases) {
  testEachRuntime(
    `errors: ${hostile.title} gets ${hostile.code}${
      hostile.ref ? " with its ref" : ""
    }, and the conversation goes on`,
    async (runtime) => {
      await using room = await roomOfTwo(runtime);
      const { alice, bob } = room;
      await hostile.prepare?.(alice, bob);
      await assertConversationGoesOn(alice, bob);

      alice.send(hostile.frame);
      const error = await alice.take({ type: "error" });
      assertError(error, hostile.code, hostile.ref);

      await assertConversationGoesOn(alice, bob);
      assertEquals(alice.pending({ type: "error" }), [], "exactly one error for one bad frame");
      assertEquals(bob.received.filter((frame) => frame.type === "error"), [], "bob sees no error");
      if (hostile.bobMustNotSee) {
        assertEquals(bob.received.filter(hostile.bobMustNotSee), [], "nothing leaked to bob");
      }
      await alice.close();
      await bob.close();
    },
  );
}

testEachRuntime(
  "errors: a run of bad frames on one connection each get their error, in order",
  async (runtime) => {
    await using room = await roomOfTwo(runtime);
    const { alice, bob } = room;
    const withRef = cases.filter((hostile) => hostile.ref !== undefined && !hostile.prepare);
    for (const hostile of withRef) alice.send(hostile.frame);
    const errors = await alice.takeMany(withRef.length, { type: "error" });
    withRef.forEach((hostile, i) => assertError(errors[i], hostile.code, hostile.ref));
    await assertConversationGoesOn(alice, bob);
    assertEquals(bob.received.filter((frame) => frame.type === "error"), []);
    await alice.close();
    await bob.close();
  },
);

testEachRuntime(
  "errors: the text limit counts code points over the wire (50 emoji pass, 51 do not)",
  async (runtime) => {
    await using room = await roomOfTwo(runtime);
    const { alice, bob } = room;
    const fits = "😀".repeat(50);
    alice.send({ type: "broadcast", to: ROOM, message: fits, ref: "fits" });
    await alice.take({ type: "ack", ref: "fits" });
    assertEquals((await bob.take({ type: "broadcast", from: "alice" })).message, fits);
    alice.send({ type: "broadcast", to: ROOM, message: "😀".repeat(51), ref: "over" });
    assertError(await alice.take({ type: "error" }), "message_too_long", "over");
    await assertConversationGoesOn(alice, bob);
    assertEquals(bob.received.filter((frame) => frame.type === "broadcast").length, 2);
  },
);

// ---- Frames larger than MAX_FRAME_BYTES. -----------------------------------

/** A valid broadcast frame padded with an ignored key to exactly `bytes` UTF-8 bytes of `unit`. */
function paddedFrame(bytes: number, unit = "x"): string {
  const base = (pad: string) =>
    JSON.stringify({ type: "broadcast", to: ROOM, message: "padded", ref: "pad", pad });
  const overhead = new TextEncoder().encode(base("")).length;
  const unitBytes = new TextEncoder().encode(unit).length;
  const padding = (bytes - overhead) / unitBytes;
  assert(Number.isInteger(padding) && padding > 0, `cannot pad to ${bytes} bytes with ${unit}`);
  const frame = base(unit.repeat(padding));
  assertEquals(new TextEncoder().encode(frame).length, bytes);
  return frame;
}

testEachRuntime(
  "errors: a frame over MAX_FRAME_BYTES closes with 1009; bob is unaffected and alice may come back",
  async (runtime) => {
    await using room = await roomOfTwo(runtime);
    const { alice, bob } = room;
    await assertConversationGoesOn(alice, bob);

    const huge = JSON.stringify({
      type: "broadcast",
      to: ROOM,
      message: "y".repeat(1950),
      ref: "h",
    });
    assert(huge.length >= 2000);
    alice.send(huge);
    assertEquals(await closeCode(alice), 1009);
    assertEquals(alice.pending((frame) => frame.ref === "h"), [], "the frame had no ack or error");

    // Bob's connection goes on: he talks and hears himself.
    bob.send({ type: "broadcast", to: ROOM, message: "anyone?", ref: "b1" });
    await bob.take({ type: "ack", ref: "b1" });
    await bob.take({ type: "broadcast", from: "bob", message: "anyone?" });
    assertEquals(bob.pending({ type: "broadcast", from: "alice" }), []);

    // Her session ended; her name is hers for the reconnect grace: her token rejoins it.
    await using again = await joinA(room.ws, "alice", alice.session.token);
    assertEquals(again.session.username, "alice");
    assertEquals(again.session.token, alice.session.token, "the same holding, the same token");
    await joinChannel(again, ROOM);
    again.send({ type: "broadcast", to: ROOM, message: "back", ref: "a1" });
    await again.take({ type: "ack", ref: "a1" });
    const heard = await bob.take({ type: "broadcast", message: "back" });
    assertEquals(heard.from, "alice");
    assertEquals(bob.received.filter((frame) => frame.message?.startsWith("yyy")), []);
  },
);

testEachRuntime(
  "errors: a frame of exactly MAX_FRAME_BYTES is accepted, one byte more closes with 1009",
  async (runtime) => {
    await using server = await startServer(runtime, ENV);
    await using alice = await joinA(server.ws, "alice");
    alice.send(paddedFrame(1024));
    await alice.take({ type: "ack", ref: "pad" });
    alice.send(paddedFrame(1025));
    assertEquals(await closeCode(alice), 1009);
  },
);

testEachRuntime("errors: the frame limit counts UTF-8 bytes, not UTF-16 units", async (runtime) => {
  await using server = await startServer(runtime, ENV);
  await using alice = await joinA(server.ws, "alice");
  // 1026 bytes but far fewer UTF-16 units: 2-byte "é" padding.
  const frame = paddedFrame(1026, "é");
  assert(frame.length < 1024, "fewer units than the byte limit");
  alice.send(frame);
  assertEquals(await closeCode(alice), 1009);
});

testEachRuntime("errors: a binary frame over MAX_FRAME_BYTES closes with 1009", async (runtime) => {
  await using server = await startServer(runtime, ENV);
  await using alice = await joinA(server.ws, "alice");
  alice.send(new Uint8Array(2000));
  assertEquals(await closeCode(alice), 1009);
  assertEquals(alice.pending({ type: "error" }), []);
});

// ---- Kind B before registering. ----------------------------------------------

testEachRuntime(
  "errors: a kind-B client sending junk before registering gets error frames and can still register",
  async (runtime) => {
    await using server = await startServer(runtime, ENV);
    await using carol = await connect(server.ws, "B");
    carol.send("nope");
    const junk = await carol.take({ type: "error" });
    assertEquals([junk.sender, junk.code, junk.ref], ["Server", "invalid_json", undefined]);
    assert(junk.text && junk.text.length > 0, "a human text");

    carol.send({ text: "who am I", ref: "b1" });
    const noSender = await carol.take({ type: "error" });
    assertEquals([noSender.sender, noSender.code, noSender.ref], ["Server", "invalid_frame", "b1"]);

    carol.send({ sender: "carol", text: "z".repeat(51), ref: "b2" });
    const tooLong = await carol.take({ type: "error" });
    assertEquals([tooLong.sender, tooLong.code, tooLong.ref], ["Server", "message_too_long", "b2"]);

    carol.send(new Uint8Array([1, 2, 3]));
    const binary = await carol.take({ type: "error" });
    assertEquals([binary.sender, binary.code], ["Server", "binary_unsupported"]);

    carol.send({ sender: "carol", text: "", ref: "reg" });
    await carol.take({ sender: "Server", text: "carol has joined the chat" });
    await carol.take({ type: "ack", ref: "reg" });
    const joins = carol.received.filter((frame) => frame.text?.endsWith("has joined the chat"));
    assertEquals(joins.length, 1, "none of the refused frames registered a name");

    carol.send({ sender: "carol", text: "hello", ref: "b3" });
    await carol.take({ type: "ack", ref: "b3" });
    const said = await carol.take({ sender: "carol" });
    assertEquals(said.text, "hello");
    assertEquals(carol.pending({ type: "error" }), []);
    await carol.close();
  },
);

// ---- Refused handshake usernames. ---------------------------------------------

testEachRuntime(
  "errors: refused handshake usernames get invalid_username, then close 4003",
  async (runtime) => {
    await using server = await startServer(runtime, ENV);
    for (
      const raw of ["Server", "system", "u".repeat(33), "a%20%20b", "SERVER", "%EF%BC%B3erver"]
    ) {
      await using client = await connect(`${server.ws}?username=${raw}`);
      const error = await client.take({ type: "error" });
      assertEquals(error.code, "invalid_username", `for ?username=${raw}`);
      assert(error.message && error.message.length > 0, "a human message");
      assertEquals(await closeCode(client), 4003, `close code for ?username=${raw}`);
      assertEquals(client.received.filter((frame) => frame.type === "sessionID"), []);
    }
    // The server is fine, and none of those names was claimed.
    await using alice = await joinA(server.ws, "alice");
    assertEquals(alice.session.username, "alice");
    alice.send({ type: "directMessage", to: "system", message: "hi", ref: "d1" });
    assertError(await alice.take({ type: "error" }), "invalid_username", "d1");
    alice.send({ type: "directMessage", to: "u".repeat(32), message: "hi", ref: "d2" });
    assertError(await alice.take({ type: "error" }), "user_offline", "d2");
  },
);
