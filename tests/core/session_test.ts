/**
 * One session's pipes on a fake connection: what `receiveText` and
 * `receiveBinary` let through, the command queue, answers, and how a
 * session closes (once, settling `closed`, whatever closed it).
 */
import { RATE_ABUSE_STRIKES } from "../../src/core/limits.ts";
import { enqueue, receiveBinary, receiveText } from "../../src/core/intake.ts";
import {
  close,
  CommandRefused,
  disconnected,
  isolate,
  refuseAndClose,
  send,
} from "../../src/core/session.ts";
import { BrokerUnavailableError } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { fakeSession, framesOf, recordingLog, testSettings } from "../support/sessions.ts";

Deno.test("session: a text frame is decoded into a command for the caller to queue", () => {
  const session = fakeSession();
  const command = receiveText(session, JSON.stringify({ type: "joinChannel", to: "dev" }));
  assertEquals(command, { type: "joinChannel", channel: "dev" });
  assertEquals(session.connection.sent, []);
});

Deno.test("session: an undecodable frame is refused in the queue, after earlier commands", async () => {
  const session = fakeSession();
  let releaseFirst = () => {};
  const first = new Promise<void>((resolve) => releaseFirst = resolve);
  enqueue(session, () => first, "first");
  assertEquals(receiveText(session, "not json"), undefined);
  assertEquals(session.connection.sent, [], "the refusal waits for the command before it");
  releaseFirst();
  await session.queue;
  assertEquals(framesOf(session).map((frame) => frame.code), ["invalid_json"]);
});

Deno.test("session: a frame over MAX_FRAME_BYTES closes with 1009, counting UTF-8 bytes", () => {
  const settings = testSettings({ maxFrameBytes: 300 });
  const fits = fakeSession({ settings });
  assert(receiveText(fits, JSON.stringify({ type: "typing", to: "dev", pad: "x".repeat(250) })));
  const ascii = fakeSession({ settings });
  receiveText(ascii, "x".repeat(301));
  assertEquals(ascii.connection.closedWith, { code: 1009, reason: "frame too large" });
  const wide = fakeSession({ settings });
  receiveText(wide, "é".repeat(151));
  assertEquals(wide.connection.closedWith?.code, 1009, "151 two-byte characters are 302 bytes");
  const binary = fakeSession({ settings });
  receiveBinary(binary, 301);
  assertEquals(binary.connection.closedWith?.code, 1009);
});

Deno.test("session: a binary frame is refused with binary_unsupported", async () => {
  const session = fakeSession();
  receiveBinary(session, 8);
  await session.queue;
  assertEquals(framesOf(session).map((frame) => frame.code), ["binary_unsupported"]);
  assertEquals(session.state, "open");
});

Deno.test("session: frames over the rate are refused with their ref; a flood closes with 1008", () => {
  const session = fakeSession({
    settings: testSettings({ rateMessagesPerSecond: 1, rateBurst: 2 }),
  });
  const frame = (ref: string) => JSON.stringify({ type: "typing", to: "dev", ref });
  assert(receiveText(session, frame("1")));
  assert(receiveText(session, frame("2")));
  assertEquals(receiveText(session, frame("3")), undefined);
  const [refused] = framesOf(session);
  assertEquals([refused.code, refused.ref], ["rate_limited", "3"]);
  for (let i = 0; i < RATE_ABUSE_STRIKES; i++) receiveText(session, frame(`flood ${i}`));
  assertEquals(session.connection.closedWith, { code: 1008, reason: "rate limit abuse" });
  assertEquals(session.state, "closed");
});

Deno.test("session: a full command queue refuses at once with rate_limited", async () => {
  const session = fakeSession();
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  for (let i = 0; i < session.settings.maxQueuedFrames; i++) {
    enqueue(session, () => held, `q${i}`);
  }
  enqueue(session, () => Promise.resolve(), "over");
  assertEquals(framesOf(session).map((frame) => [frame.code, frame.ref]), [[
    "rate_limited",
    "over",
  ]]);
  release();
  await session.queue;
  assertEquals(session.pending, 0);
});

Deno.test("session: commands run one after another, in arrival order", async () => {
  const session = fakeSession();
  const order: string[] = [];
  let releaseSlow = () => {};
  const slow = new Promise<void>((resolve) => releaseSlow = resolve);
  enqueue(session, async () => {
    await slow;
    order.push("slow");
  });
  enqueue(session, () => {
    order.push("fast");
    return Promise.resolve();
  });
  releaseSlow();
  await session.queue;
  assertEquals(order, ["slow", "fast"]);
});

Deno.test("session: a failed command is answered by what failed it, with its ref", async () => {
  const log = recordingLog();
  const session = fakeSession({ settings: testSettings({ log }) });
  enqueue(session, () => Promise.reject(new CommandRefused("not_member", "Not in x")), "a");
  enqueue(session, () => Promise.reject(new BrokerUnavailableError("down")), "b");
  enqueue(session, () => Promise.reject(new TypeError("bug")), "c");
  await session.queue;
  assertEquals(framesOf(session).map((frame) => [frame.ref, frame.code, frame.message]), [
    ["a", "not_member", "Not in x"],
    ["b", "unavailable", "Broker unavailable: down"],
    ["c", "internal_error", "Internal error: the frame had no effect"],
  ]);
  assertEquals(log.lines, ["error command.failed"]);
  assertEquals(session.state, "open");
});

Deno.test("session: closing once settles closed; later closes and sends do nothing", async () => {
  const session = fakeSession();
  close(session, 1001, "server shutting down");
  close(session, 1011, "internal error");
  disconnected(session);
  send(session, { type: "typing", from: "bob", to: "dev" });
  await session.closed;
  assertEquals(session.connection.closedWith, { code: 1001, reason: "server shutting down" });
  assertEquals(session.connection.sent, []);
});

Deno.test("session: a peer gone settles closed without closing the socket again", async () => {
  const session = fakeSession();
  disconnected(session);
  await session.closed;
  assertEquals([session.state, session.connection.closedWith], ["closed", undefined]);
});

Deno.test("session: refuseAndClose sends the error, then closes with the code of the same name", () => {
  const session = fakeSession();
  refuseAndClose(session, "username_taken", "Taken", "r");
  assertEquals(framesOf(session).map((frame) => [frame.code, frame.ref]), [[
    "username_taken",
    "r",
  ]]);
  assertEquals(session.connection.closedWith, { code: 4002, reason: "username_taken" });
});

Deno.test("session: a fault isolated to one session closes it with 1011 and is logged", () => {
  const log = recordingLog();
  const session = fakeSession({ settings: testSettings({ log }) });
  isolate(session, () => {
    throw new Error("boom");
  });
  assertEquals(session.connection.closedWith, { code: 1011, reason: "internal error" });
  assertEquals(log.lines, ["error session.internal_fault"]);
});
