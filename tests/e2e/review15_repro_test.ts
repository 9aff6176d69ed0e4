/** Review of issue 15: a message no moderator can delete on Redis (e2e, Deno instance). */
import { ask, joinA, joinChannel } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("review-15 e2e: the owner deletes a message whose data holds a lone surrogate", async () => {
  await using cluster = await startCluster(1);
  const [deno] = cluster.instances;
  await using owner = await joinA(deno.ws, "owner");
  await using spammer = await joinA(deno.ws, "spammer");
  await joinChannel(owner, "club");
  await joinChannel(spammer, "club");
  const said = await ask(spammer, {
    type: "broadcast",
    to: "club",
    message: "buy now",
    data: { x: "\ud800" },
  }, "s");
  assertEquals(said.type, "ack");
  const removed = await ask(owner, { type: "deleteMessage", to: "club", id: said.id }, "d");
  assertEquals([removed.type, removed.code, removed.message], ["ack", undefined, undefined]);
});
