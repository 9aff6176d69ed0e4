/**
 * userList and channelList are coalesced: a burst of connections costs each
 * client at most one list of each kind per interval, never one per event.
 */
import { connect, names, type TestClient } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertLessOrEqual } from "../support/assert.ts";

const INTERVAL_MS = 250;
const CLIENTS = 200;

testEachRuntime(
  "lists: a burst of connections is coalesced to one list per client per interval",
  async (runtime) => {
    await using server = await startServer(runtime, {
      LIST_UPDATE_INTERVAL_MS: `${INTERVAL_MS}`,
      MAX_CONNECTIONS_PER_IP: `${CLIENTS + 10}`,
    });
    const clients: TestClient[] = [];
    try {
      const started = performance.now();
      const everyone = Array.from({ length: CLIENTS }, (_, i) => `user${i}`);
      for (let i = 0; i < CLIENTS; i += 20) {
        const batch = everyone.slice(i, i + 20).map((name) =>
          connect(`${server.ws}?username=${name}`)
        );
        clients.push(...await Promise.all(batch));
      }
      // Everyone ends up seeing everyone: the updates carry the current list.
      for (const client of clients) {
        await client.take((f) => f.type === "userList" && names(f).length === CLIENTS);
      }
      const elapsedMs = performance.now() - started;
      const ticks = Math.ceil(elapsedMs / INTERVAL_MS) + 1;
      let listFrames = 0;
      for (const client of clients) {
        const lists = client.received
          .map((frame, i) => ({ frame, at: client.arrivals[i] }))
          .filter(({ frame }) => frame.type === "userList");
        listFrames += lists.length;
        assertLessOrEqual(
          lists.length,
          ticks + 1,
          "one handshake list plus at most one per interval",
        );
        // After the handshake list, updates come at least an interval apart (half, for timer jitter).
        for (let i = 2; i < lists.length; i++) {
          const gap = lists[i].at - lists[i - 1].at;
          assert(gap >= INTERVAL_MS / 2, `two userList updates ${gap.toFixed(0)} ms apart`);
        }
      }
      // Without coalescing a burst costs CLIENTS² / 2 = 20,000 lists; with it, about CLIENTS per tick.
      assertLessOrEqual(listFrames, CLIENTS * (ticks + 1));
      assertEquals(new Set(clients.map((c) => c.received[0].username)).size, CLIENTS);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
);

testEachRuntime("lists: an unchanged list is not sent again", async (runtime) => {
  await using server = await startServer(runtime, { LIST_UPDATE_INTERVAL_MS: "50" });
  await using alice = await connect(`${server.ws}?username=alice`);
  await using bob = await connect(`${server.ws}?username=bob`);
  await alice.take((f) => f.type === "userList" && names(f).includes("bob"));
  const userLists = () => alice.received.filter((f) => f.type === "userList").length;
  const before = userLists();
  // The tick that carries the new channel list must not resend the unchanged user list.
  bob.send({ type: "createChannel", message: "later", ref: "c" });
  await bob.take({ type: "ack", ref: "c" });
  await alice.take((f) => f.type === "channelList" && names(f).includes("later"));
  assertEquals(userLists(), before);
});
