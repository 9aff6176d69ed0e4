/**
 * One session's publishes are pipelined: sent back to back without waiting,
 * broadcasts and direct messages are acked in the order of the frames,
 * reach their receivers in that order with rising ids, on the embedded
 * broker and across instances over Redis, on both runtimes. Commands that
 * are not publishes still wait for what came before them. A full queue
 * (MAX_QUEUED_FRAMES) refuses with `rate_limited`, and operators see it in
 * the log, without the message text.
 */
import { type Frame, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

const FRAMES = 200;

/** Whether `ids` rise strictly. */
function rising(ids: string[]): boolean {
  return ids.every((id, i) => i === 0 || id > ids[i - 1]);
}

/**
 * `alice` sends FRAMES frames back to back, broadcasts to "room" and direct
 * messages to `bob` in turn; `bob` joins "room" first.
 */
async function backToBack(
  alice: TestClient & { session: Frame },
  bob: TestClient & { session: Frame },
): Promise<void> {
  const from = alice.session.username!;
  const to = bob.session.username!;
  await joinChannel(bob, "room");
  const sent: { ref: string; type: string; text: string }[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const ref = `r${i}`;
    const text = `m${i}`;
    if (i % 2 === 0) alice.send({ type: "broadcast", to: "room", message: text, ref });
    else alice.send({ type: "directMessage", to, message: text, ref });
    sent.push({ ref, type: i % 2 === 0 ? "broadcast" : "directMessage", text });
  }
  const acks = await alice.takeMany(FRAMES, { type: "ack" }, 30_000);
  assertEquals(acks.map((ack) => ack.ref), sent.map((frame) => frame.ref), "acks in frame order");
  for (const type of ["broadcast", "directMessage"]) {
    const expected = sent.filter((frame) => frame.type === type);
    const ackIds = acks.filter((_, i) => sent[i].type === type).map((ack) => ack.id!);
    assertEquals(rising(ackIds), true, `${type} ids rise in frame order: ${ackIds.join(" ")}`);
    const got = await bob.takeMany(expected.length, { type, from }, 30_000);
    assertEquals(got.map((frame) => frame.message), expected.map((frame) => frame.text));
    assertEquals(got.map((frame) => frame.id), ackIds);
  }
}

testEachRuntime(
  "pipelining: back-to-back broadcasts and DMs are acked and delivered in frame order",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await backToBack(alice, bob);
  },
);

Deno.test("pipelining: over Redis, back-to-back publishes from either runtime keep frame order [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [deno, node] = cluster.instances;
  for (const [i, [from, to]] of [[deno, node], [node, deno]].entries()) {
    await using alice = await joinA(from.ws, `alice${i}`);
    await using bob = await joinA(to.ws, `bob${i}`);
    await backToBack(alice, bob);
  }
});

testEachRuntime(
  "pipelining: a leave between publishes takes effect between them",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "room");
    alice.send({ type: "broadcast", to: "room", message: "before", ref: "b1" });
    alice.send({ type: "leaveChannel", to: "room", ref: "l" });
    alice.send({ type: "typing", to: "room", ref: "t" });
    alice.send({ type: "leaveChannel", to: "room", ref: "l2" });
    // A broadcast joins its channel again.
    alice.send({ type: "broadcast", to: "room", message: "after", ref: "b2" });
    const answers = await alice.takeMany(5, (f) => f.ref !== undefined);
    assertEquals(answers.map((f) => [f.ref, f.type, f.code]), [
      ["b1", "ack", undefined],
      ["l", "ack", undefined],
      ["t", "error", "not_member"],
      ["l2", "error", "not_member"],
      ["b2", "ack", undefined],
    ]);
    const got = await bob.takeMany(2, { type: "broadcast", from: "alice" });
    assertEquals(got.map((f) => f.message), ["before", "after"]);
  },
);

Deno.test("pipelining: a full queue refuses with rate_limited, and the log says so without texts [deno+node]", async () => {
  await using cluster = await startCluster(2, { MAX_QUEUED_FRAMES: "1" });
  for (const [i, instance] of cluster.instances.entries()) {
    await using alice = await joinA(instance.ws, `alice${i}`);
    await joinChannel(alice, "room");
    // Redis holds every script while paused: the first publish stays in flight, the queue full.
    await cluster.redis.client.call("CLIENT", "PAUSE", "5000", "WRITE");
    try {
      alice.send({ type: "broadcast", to: "room", message: "held", ref: "held" });
      for (let i = 0; i < 3; i++) {
        alice.send({ type: "broadcast", to: "room", message: `SECRET-${i}`, ref: `over${i}` });
      }
      const refused = await alice.takeMany(3, { type: "error" });
      assertEquals(refused.map((f) => [f.ref, f.code]), [
        ["over0", "rate_limited"],
        ["over1", "rate_limited"],
        ["over2", "rate_limited"],
      ]);
    } finally {
      await cluster.redis.client.call("CLIENT", "UNPAUSE");
    }
    await alice.take({ type: "ack", ref: "held" });
    await instance.untilOutput(/WARN session.queue_full .*ref=over2/);
    const line = instance.output().split("\n").find((l) => l.includes("ref=over0"))!;
    assertMatch(line, /WARN session.queue_full session=\S+ user=alice\d queued=1/);
    assertEquals(instance.output().includes("SECRET"), false, "no message text is logged");
  }
});
