/**
 * A client that stops reading while its channel is flooded: the server
 * drops it once SLOW_CONSUMER_BYTES wait for it, its memory stays bounded,
 * and the other members' delivery goes on. Memory is compared with a
 * control run of the same flood and no stalled client, since the flood
 * itself leaves garbage in the server's heap.
 */
import { joinA, joinChannel, names } from "../support/client.ts";
import { rssMiB, startMain } from "../support/process.ts";
import { type Runtime, testEachRuntime } from "../support/runtimes.ts";
import { rawConnect } from "../support/raw.ts";
import { assertLessOrEqual } from "../support/assert.ts";

const MESSAGES = 1000;
const TEXT = "x".repeat(60_000);

/** Floods a channel with 60 MB while alice reads; returns how much the server's memory grew. */
async function flood(runtime: Runtime, withStalledMember: boolean): Promise<number> {
  await using natter = await startMain({
    LIST_UPDATE_INTERVAL_MS: "100",
    MAX_MESSAGE_CHARS: "60000",
  }, runtime);
  await using alice = await joinA(natter.ws, "alice");
  await joinChannel(alice, "flood");
  using stalled = await rawConnect(natter.port, "/ws?username=stall");
  if (withStalledMember) {
    await stalled.sendText(JSON.stringify({ type: "joinChannel", to: "flood" }));
    await stalled.sendText(JSON.stringify({ type: "broadcast", to: "flood", message: "joined" }));
    await alice.take({ type: "broadcast", from: "stall", message: "joined" });
  }
  await alice.take((f) => f.type === "userList" && names(f).includes("stall"));
  const baseline = await rssMiB(natter.child.pid);
  await using publisher = await joinA(natter.ws, "pub");
  publisher.discard({ type: "broadcast" });
  for (let i = 0; i < MESSAGES; i++) {
    publisher.send({ type: "broadcast", to: "flood", message: TEXT, ref: `${i}` });
    if (i % 16 === 15) await publisher.take({ type: "ack", ref: `${i}` });
  }
  // Alice reads everything: the stalled member never holds delivery back.
  await alice.takeMany(MESSAGES, { type: "broadcast", from: "pub" }, 60_000);
  if (withStalledMember) {
    await alice.take((f) => f.type === "userList" && !names(f).includes("stall"));
  }
  return await rssMiB(natter.child.pid) - baseline;
}

testEachRuntime(
  "slow consumer: a client that stops reading is dropped; memory stays bounded, others go on",
  async (runtime) => {
    const control = await flood(runtime, false);
    const stalled = await flood(runtime, true);
    // Without the limit the server keeps the whole flood (about 60 MiB) for the stalled client.
    assertLessOrEqual(
      stalled - control,
      25,
      `memory grew ${stalled.toFixed(0)} MiB with a stalled member, ${
        control.toFixed(0)
      } MiB without`,
    );
  },
);
