/**
 * Edits, deletions, reactions and read positions under the faults the
 * message tests survive, with real processes and a real Redis: the acting
 * client's instance SIGKILLed mid-stream (retries with the same `ref` store
 * each change once), an instance's subscriber connection killed while
 * changes flow (backfilled, none lost or doubled), and Redis (append-only,
 * fsync always) restarted (state, counts and read positions kept).
 */
import { ask, type Frame, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { killConnections, startCluster, untilStatus } from "../support/cluster.ts";
import { DURABLE_REDIS } from "../support/redis.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** Rates high enough for a test that sends as fast as acks come back. */
const FAST = {
  RATE_MESSAGES_PER_SECOND: "1000",
  RATE_BURST: "1000",
  MESSAGE_CHANGES_PER_MINUTE: "10000",
};

/** Sends `frames` (each with its `ref`) keeping at most `window` unanswered; stops if the socket closes. */
async function sendWindowed(
  client: TestClient,
  frames: Record<string, unknown>[],
  window = 16,
): Promise<void> {
  let answered = 0;
  for (let i = 0; i < frames.length; i++) {
    if (i - answered >= window) {
      try {
        await client.take((f) => f.ref === frames[answered].ref);
      } catch {
        return;
      }
      answered++;
    }
    client.send(frames[i]);
  }
}

/** Frames of `type` a client got, without replays of what it already had. */
function received(client: TestClient, type: string): Frame[] {
  return client.received.filter((f) => f.type === type);
}

function assertOnceInOrder(frames: Frame[], what: string): void {
  const ids = frames.map((f) => f.id!);
  assertEquals(new Set(ids).size, ids.length, `${what}: a change arrived twice`);
  assertEquals([...ids].sort(), ids, `${what}: out of order`);
}

/** Posts `count` messages from `client` to `channel` and answers their ids. */
async function post(client: TestClient, channel: string, count: number): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      (await ask(client, { type: "broadcast", to: channel, message: `m${i}` }, `p${i}`)).id!,
    );
  }
  return ids;
}

Deno.test("change faults: the editing client's instance SIGKILLed; retried refs store each edit once, and a read position outlives its instance [deno+node]", async () => {
  await using cluster = await startCluster(3, FAST);
  const [one, two, three] = cluster.instances;
  const alice = await joinA(one.ws, "alice");
  const bob = await joinA(two.ws, "bob");
  for (const client of [alice, bob]) await joinChannel(client, "crash");
  const ids = await post(alice, "crash", 40);
  const edits = ids.map((id, i) => ({
    type: "editMessage",
    to: "crash",
    id,
    message: `edited ${i}`,
    ref: `c${i}`,
  }));
  const sending = sendWindowed(alice, edits);
  await alice.seen({ type: "ack", ref: "c10" });
  one.child.kill("SIGKILL");
  await alice.closed;
  await sending;
  const acked = new Set(
    received(alice, "ack").filter((f) => f.ref!.startsWith("c")).map((f) => f.ref),
  );
  assert(acked.size >= 10 && acked.size < 40, `${acked.size} edits acked before the crash`);
  await using again = await joinA(two.ws, "alice", alice.session.token);
  await joinChannel(again, "crash");
  // Every edit whose ack was lost is sent again: stored ones are duplicates, not new edits.
  await sendWindowed(again, edits.filter((frame) => !acked.has(frame.ref)));
  await again.seen({ ref: "c39" }, 20_000);
  await bob.take((f) => f.type === "messageEdited" && f.target === ids[39], 20_000);
  const seen = received(bob, "messageEdited");
  assertOnceInOrder(seen, "bob");
  assertEquals(
    seen.map((f) => [f.target, f.message]),
    ids.map((id, i) => [id, `edited ${i}`]),
    "each edit once",
  );
  const { messages } = await ask(again, { type: "history", to: "crash" }, "h") as Frame & {
    messages: Frame[];
  };
  assertEquals(messages.map((m) => m.message), ids.map((_, i) => `edited ${i}`));

  await ask(bob, { type: "markRead", to: "crash", id: ids[19] }, "read");
  two.child.kill("SIGKILL");
  await bob.closed;
  await using bobBack = await joinA(three.ws, "bob", bob.session.token);
  const state = await bobBack.take({ type: "readState" });
  assertEquals(state.channels, [{ name: "crash", read: ids[19], unread: 20, mentions: 0 }]);
});

Deno.test("change faults: an instance's subscriber connection killed while edits flow: every edit arrives once, in order [deno+node]", async () => {
  await using cluster = await startCluster(2, FAST);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  for (const client of [alice, bob]) await joinChannel(client, "flow");
  const [id] = await post(alice, "flow", 1);
  const total = 150;
  const acked: string[] = [];
  const editing = (async () => {
    for (let i = 0; i < total; i++) {
      const ack = await ask(
        alice,
        { type: "editMessage", to: "flow", id, message: `v${i}` },
        `e${i}`,
      );
      acked.push(ack.id!);
    }
  })();
  await bob.take({ type: "messageEdited", message: "v20" });
  assertEquals(await killConnections(cluster, "pubsub"), 2);
  await editing;
  // By id, not by text: an edit backfilled from history carries the message's text as it is now.
  await bob.take({ type: "messageEdited", id: acked.at(-1) }, 20_000);
  const edits = received(bob, "messageEdited");
  assertOnceInOrder(edits, "bob");
  assertEquals(edits.map((edit) => edit.id), acked);
  assertEquals(edits.at(-1)?.message, `v${total - 1}`);
});

Deno.test("change faults: Redis (append-only, fsync always) restarted: edits, deletions, reactions and read positions survive; changes during the outage are refused [deno+node]", async () => {
  await using cluster = await startCluster(2, FAST, DURABLE_REDIS);
  const [one, two] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using bob = await joinA(two.ws, "bob");
  for (const client of [alice, bob]) await joinChannel(client, "durable");
  const ids = await post(alice, "durable", 5);
  await ask(alice, { type: "editMessage", to: "durable", id: ids[0], message: "edited" }, "e");
  await ask(alice, { type: "deleteMessage", to: "durable", id: ids[1] }, "d");
  await ask(bob, { type: "react", to: "durable", id: ids[2], emoji: "🎉" }, "r");
  await ask(bob, { type: "markRead", to: "durable", id: ids[2] }, "m");
  const dm = await ask(alice, { type: "directMessage", to: "bob", message: "typo" }, "dm");

  await cluster.redis.stop(true);
  await untilStatus(`${one.http}/readyz`, 503);
  const refused = await ask(
    alice,
    { type: "editMessage", with: "bob", id: dm.id, message: "x" },
    "o",
  );
  assertEquals(refused.code, "unavailable");
  await cluster.redis.start();
  for (const instance of [one, two]) await untilStatus(`${instance.http}/readyz`, 200);

  const fixed = await ask(
    alice,
    { type: "editMessage", with: "bob", id: dm.id, message: "fixed" },
    "f",
  );
  assertEquals(fixed.type, "ack");
  assertEquals((await bob.take({ type: "messageEdited", id: fixed.id }, 20_000)).message, "fixed");
  await using bobAgain = await joinA(one.ws, "bob", bob.session.token);
  const state = await bobAgain.take({ type: "readState" });
  assertEquals(state.channels, [{ name: "durable", read: ids[2], unread: 2, mentions: 0 }]);
  const { messages } = await ask(bobAgain, { type: "history", to: "durable" }, "h") as Frame & {
    messages: Frame[];
  };
  assertEquals(
    messages.map((m) => [m.message, m.edited !== undefined, m.deleted, m.reactions]),
    [
      ["edited", true, undefined, undefined],
      ["", false, true, undefined],
      ["m2", false, undefined, [{ emoji: "🎉", count: 1, mine: true }]],
      ["m3", false, undefined, undefined],
      ["m4", false, undefined, undefined],
    ],
  );
  const conversation = await ask(bobAgain, { type: "history", with: "alice" }, "c") as Frame & {
    messages: Frame[];
  };
  assertEquals(conversation.messages.map((m) => m.message), ["fixed"]);
  await alice.close();
  await bob.close();
});
