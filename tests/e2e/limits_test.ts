/**
 * Per-session and per-user limits, each with its stable code: the frame
 * rate (and closing a sustained flood), channels per session, channel
 * creation rate, and sessions per user (across instances on Redis).
 */
import { connect, joinA, joinChannel } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startCluster } from "../support/cluster.ts";
import { assertEquals } from "../support/assert.ts";
import { RATE_ABUSE_STRIKES } from "../../src/core/limits.ts";

testEachRuntime(
  "limits: frames over the rate get rate_limited with their ref; the session goes on",
  async (runtime) => {
    await using server = await startServer(runtime, {
      RATE_MESSAGES_PER_SECOND: "2",
      RATE_BURST: "5",
    });
    await using alice = await joinA(server.ws, "alice");
    for (let i = 0; i < 8; i++) alice.send({ type: "joinChannel", to: `c${i}`, ref: `r${i}` });
    const answers = await alice.takeMany(8, (f) => f.ref?.startsWith("r") ?? false);
    assertEquals(answers.filter((f) => f.type === "ack").map((f) => f.ref), [
      "r0",
      "r1",
      "r2",
      "r3",
      "r4",
    ]);
    assertEquals(
      answers.filter((f) => f.code === "rate_limited").map((f) => f.ref).sort(),
      ["r5", "r6", "r7"],
    );
    // Tokens come back at 2 a second: a frame a little later is accepted again.
    for (let attempt = 0;; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      alice.send({ type: "joinChannel", to: "later", ref: `later${attempt}` });
      if ((await alice.take({ ref: `later${attempt}` })).type === "ack") break;
    }
  },
);

testEachRuntime(
  "limits: a sustained flood far over the rate closes the session with 1008",
  async (runtime) => {
    await using server = await startServer(runtime, {
      RATE_MESSAGES_PER_SECOND: "1",
      RATE_BURST: "5",
    });
    await using flooder = await joinA(server.ws, "flooder");
    await using bystander = await joinA(server.ws, "bystander");
    // The burst passes, 100 refusals are tolerated, the next one closes. (A client still sending
    // when the close comes sees it as abnormal, without the code: Deno drops the close frame then.)
    for (let i = 0; i < 5 + RATE_ABUSE_STRIKES + 1; i++) {
      flooder.send({ type: "typing", to: "bystander" });
    }
    assertEquals((await flooder.closed).code, 1008);
    bystander.send({ type: "joinChannel", to: "calm", ref: "j" });
    await bystander.take({ type: "ack", ref: "j" });
  },
);

testEachRuntime(
  "limits: a session in MAX_CHANNELS_PER_SESSION channels gets too_many_channels",
  async (runtime) => {
    await using server = await startServer(runtime, { MAX_CHANNELS_PER_SESSION: "2" });
    await using alice = await joinA(server.ws, "alice");
    await joinChannel(alice, "one");
    await joinChannel(alice, "two");
    alice.send({ type: "joinChannel", to: "three", ref: "j3" });
    assertEquals((await alice.take({ ref: "j3" })).code, "too_many_channels");
    alice.send({ type: "broadcast", to: "four", message: "hi", ref: "b4" });
    assertEquals((await alice.take({ ref: "b4" })).code, "too_many_channels");
    alice.send({ type: "leaveChannel", to: "one", ref: "l" });
    await alice.take({ type: "ack", ref: "l" });
    await joinChannel(alice, "three");
  },
);

testEachRuntime(
  "limits: new channels are limited per minute; joining existing ones is not",
  async (runtime) => {
    await using server = await startServer(runtime, { CHANNEL_CREATIONS_PER_MINUTE: "2" });
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(alice, "new1");
    await joinChannel(alice, "new2");
    alice.send({ type: "createChannel", message: "new3", ref: "c3" });
    assertEquals((await alice.take({ ref: "c3" })).code, "rate_limited");
    await joinChannel(bob, "new3");
    await joinChannel(alice, "new3");
    await joinChannel(alice, "lobby");
  },
);

Deno.test("limits: a user holds at most MAX_SESSIONS_PER_USER sessions, counted across instances", async () => {
  await using cluster = await startCluster(2, { MAX_SESSIONS_PER_USER: "2" });
  const [one, two] = cluster.instances;
  await using first = await joinA(one.ws, "alice");
  await using second = await joinA(two.ws, "alice", first.session.token);
  await using third = await connect(`${two.ws}?username=alice&token=${first.session.token}`);
  assertEquals((await third.take({ type: "error" })).code, "too_many_sessions");
  assertEquals((await third.closed).code, 4006);
  assertEquals(second.session.username, "alice");
});
