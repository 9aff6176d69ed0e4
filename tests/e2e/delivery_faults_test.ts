/**
 * No lost messages, proven under faults with real processes and a real
 * Redis: a client away during a burst, a publisher's instance SIGKILLed
 * mid-stream, an instance's subscriber connection killed while messages
 * flow, and Redis (append-only, fsync always) restarted during a run.
 */
import { type Frame, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { killConnections, startCluster, untilStatus } from "../support/cluster.ts";
import { DURABLE_REDIS } from "../support/redis.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** The channel messages a client got, in order, without local-only ones (never acknowledged). */
function stored(client: TestClient, channel: string): Frame[] {
  return client.received.filter((f) =>
    f.type === "broadcast" && f.to === channel && !(f as { local?: boolean }).local
  );
}

function assertOnceInOrder(frames: Frame[], what: string): void {
  const ids = frames.map((f) => f.id!);
  assertEquals(new Set(ids).size, ids.length, `${what}: a message arrived twice`);
  assertEquals([...ids].sort(), ids, `${what}: out of order`);
}

/**
 * Sends broadcasts keeping at most `window` unanswered, as a well-behaved
 * client does (the server refuses more than 64 in flight per session).
 * Stops early, without throwing, if the socket closes.
 */
async function sendWindowed(
  client: TestClient,
  channel: string,
  items: { text: string; ref: string }[],
  window = 32,
): Promise<void> {
  let answered = 0;
  for (let i = 0; i < items.length; i++) {
    if (i - answered >= window) {
      try {
        await client.take((f) => f.ref === items[answered].ref && f.type === "ack");
      } catch {
        return;
      }
      answered++;
    }
    client.send({ type: "broadcast", to: channel, message: items[i].text, ref: items[i].ref });
  }
}

/** Sends `final` from `publisher` and waits until every member has it: everything before is in. */
async function drain(publisher: TestClient, members: TestClient[], channel: string): Promise<void> {
  publisher.send({ type: "broadcast", to: channel, message: "final", ref: "final" });
  await publisher.take({ type: "ack", ref: "final" });
  for (const member of members) await member.take({ type: "broadcast", message: "final" }, 20_000);
}

Deno.test("faults: a client away while 200 messages are published resumes with since: all 200, in order, once [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  const bob = await joinA(two.ws, "bob");
  await joinChannel(bob, "burst");
  alice.send({ type: "broadcast", to: "burst", message: "before", ref: "before" });
  const lastSeen = (await bob.take({ type: "broadcast", message: "before" })).id!;
  const token = bob.session.token!;
  await bob.close();
  const burst = Array.from({ length: 200 }, (_, i) => ({ text: `m${i}`, ref: `${i}` }));
  await sendWindowed(alice, "burst", burst);
  await alice.seen({ type: "ack", ref: "199" });
  // Back on the other instance, as after a network switch, while alice goes on publishing.
  await using carol = await joinA(two.ws, "carol");
  const more = Array.from({ length: 100 }, (_, i) => ({ text: `live${i}`, ref: `live${i}` }));
  const publishing = sendWindowed(carol, "burst", more, 8);
  // Resuming (since): bob's channels are listed, not joined live, so the replay comes first.
  await using back = await joinA(one.ws, "bob", token, lastSeen);
  assertEquals((await back.take({ type: "memberships" })).live, false);
  await joinChannel(back, "burst", lastSeen);
  await publishing;
  await carol.seen({ type: "ack", ref: "live99" });
  await drain(alice, [back], "burst");
  const got = stored(back, "burst").filter((f) => f.message !== "final");
  assertOnceInOrder(got, "bob");
  const texts = got.map((f) => f.message!);
  assertEquals(texts.slice(0, 200), Array.from({ length: 200 }, (_, i) => `m${i}`));
  assertEquals(texts.slice(200).sort(), more.map((item) => item.text).sort());
});

Deno.test("faults: a publisher's instance SIGKILLed mid-stream; retries and resume leave every member with each message once [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const [one, two, three] = cluster.instances;
  await using m2 = await joinA(two.ws, "m2");
  await using m3 = await joinA(three.ws, "m3");
  const publisher = await joinA(one.ws, "pub");
  for (const client of [m2, m3, publisher]) await joinChannel(client, "crash");
  const total = 150;
  const items = Array.from({ length: total }, (_, i) => ({ text: `m${i}`, ref: `r${i}` }));
  const sending = sendWindowed(publisher, "crash", items);
  await publisher.seen({ type: "ack", ref: "r20" });
  one.child.kill("SIGKILL");
  await publisher.closed;
  await sending;
  const acked = new Map(
    publisher.received.filter((f) => f.type === "ack").map((f) => [f.ref!, f.id!]),
  );
  const seenLive = publisher.received.filter((f) => f.type === "broadcast");
  const lastSeen = seenLive.at(-1)?.id;
  assert(acked.size >= 20 && acked.size < total, `${acked.size} acks before the crash`);
  // Others go on talking while the publisher is away: only its resume can bring these.
  for (let i = 0; i < 10; i++) {
    m2.send({ type: "broadcast", to: "crash", message: `meanwhile${i}`, ref: `w${i}` });
    await m2.take({ type: "ack", ref: `w${i}` });
  }

  // The client comes back on another instance, resumes, and retries every unacknowledged frame.
  await using again = await joinA(two.ws, "pub", publisher.session.token);
  await joinChannel(again, "crash", lastSeen);
  const unacknowledged = items.filter((item) => !acked.has(item.ref));
  await sendWindowed(again, "crash", unacknowledged);
  await again.seen({ type: "ack", ref: unacknowledged.at(-1)!.ref });
  const retried = again.received.filter((f) => f.type === "ack" && f.ref!.startsWith("r"));
  assertEquals(retried.length, unacknowledged.length, "every retry is acknowledged");
  await drain(again, [m2, m3, again], "crash");
  const expected = [
    ...Array.from({ length: total }, (_, i) => `m${i}`),
    ...Array.from({ length: 10 }, (_, i) => `meanwhile${i}`),
  ].sort();
  for (const [name, member] of [["m2", m2], ["m3", m3]] as const) {
    const frames = stored(member, "crash").filter((f) => f.message !== "final");
    assertOnceInOrder(frames, name);
    assertEquals(frames.map((f) => f.message).sort(), expected, `${name} has every message once`);
  }
  assertEquals(stored(m2, "crash").map((f) => f.id), stored(m3, "crash").map((f) => f.id));
  // The publisher's own view, before and after the crash, is the same set, each once.
  const own = [...seenLive, ...stored(again, "crash")].filter((f) => f.message !== "final");
  assertOnceInOrder(own, "publisher");
  assertEquals(own.map((f) => f.message).sort(), expected);
});

Deno.test("faults: an instance's subscriber connection killed while messages flow: its clients miss nothing [deno+node]", async () => {
  await using cluster = await startCluster(2);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  await using carol = await joinA(one.ws, "carol");
  for (const client of [alice, bob, carol]) await joinChannel(client, "flow");
  const total = 300;
  const publishing = (async () => {
    for (let i = 0; i < total; i++) {
      alice.send({ type: "broadcast", to: "flow", message: `m${i}`, ref: `${i}` });
      await alice.take({ type: "ack", ref: `${i}` });
    }
  })();
  await bob.take({ type: "broadcast", message: "m50" });
  assertEquals(await killConnections(cluster, "pubsub"), 2);
  await publishing;
  await drain(alice, [bob, carol], "flow");
  for (const [name, member] of [["bob", bob], ["carol", carol]] as const) {
    const frames = stored(member, "flow");
    assertOnceInOrder(frames, name);
    assertEquals(frames.length, total + 1, `${name} got every message`);
  }
});

Deno.test("faults: Redis (append-only, fsync always) restarted mid-run: every acked message reaches every member once [deno+node]", async () => {
  await using cluster = await startCluster(2, {}, DURABLE_REDIS);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using near = await joinA(one.ws, "near");
  await using far = await joinA(two.ws, "far");
  const away = await joinA(two.ws, "away");
  for (const client of [alice, near, far, away]) await joinChannel(client, "durable");
  const acked: string[] = [];
  let refused = 0;
  let stop = false;
  const publishing = (async () => {
    for (let i = 0; !stop; i++) {
      alice.send({ type: "broadcast", to: "durable", message: `m${i}`, ref: `${i}` });
      const answer = await alice.take((f) => f.ref === `${i}`, 20_000);
      if (answer.type === "ack") acked.push(answer.id!);
      else {
        assertEquals(answer.code, "unavailable");
        refused++;
      }
    }
  })();
  await far.take({ type: "broadcast", message: "m30" });
  // One member is offline through the whole restart and comes back with since.
  const awaySince = (await away.take({ type: "broadcast", message: "m10" })).id!;
  const awayToken = away.session.token!;
  await away.close();
  await cluster.redis.stop(true);
  await untilStatus(`${one.http}/readyz`, 503);
  await cluster.redis.start();
  for (const instance of [one, two]) await untilStatus(`${instance.http}/readyz`, 200);
  const resumedAt = acked.length;
  while (acked.length < resumedAt + 30) await far.take({ type: "broadcast" }, 20_000);
  stop = true;
  await publishing;
  await drain(alice, [near, far], "durable");
  assert(refused > 0, "publishes while Redis was down were refused");
  for (const [name, member] of [["near", near], ["far", far]] as const) {
    const frames = stored(member, "durable");
    assertOnceInOrder(frames, name);
    const got = new Set(frames.map((f) => f.id));
    const missing = acked.filter((id) => !got.has(id));
    assertEquals(missing, [], `${name} is missing acknowledged messages`);
  }
  // The member who was away resumes: every acknowledged message after its since, from history.
  await using back = await joinA(one.ws, "away", awayToken);
  await joinChannel(back, "durable", awaySince);
  const resumed = stored(back, "durable");
  assertOnceInOrder(resumed, "away");
  const resumedIds = new Set(resumed.map((f) => f.id));
  assertEquals(
    acked.filter((id) => id > awaySince && !resumedIds.has(id)),
    [],
    "lost across the restart",
  );
  // And the history that survived the crash holds every acknowledged message.
  const kept = new Set<string>();
  let before: string | undefined;
  for (let page = 0;; page++) {
    back.send({
      type: "history",
      to: "durable",
      limit: 100,
      ref: `h${page}`,
      ...(before ? { before } : {}),
    });
    const { messages } = await back.take({ ref: `h${page}` }) as Frame & { messages: Frame[] };
    if (messages.length === 0) break;
    for (const message of messages) kept.add(message.id!);
    before = messages[0].id;
  }
  assertEquals(acked.filter((id) => !kept.has(id)), [], "acknowledged but not in the history");
});
