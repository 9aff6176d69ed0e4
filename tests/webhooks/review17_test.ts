/**
 * Review of issue 17, unit level: the event queue's lease promise ("while
 * the lease lasts no other instance gets them", `event_queue.ts`) against
 * `expedite`, which a new holder of a name triggers at any moment.
 */
import { createMemoryEventQueue } from "../../src/broker/memory_event_queue.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("review17: expedite of an event claimed and being sent gives it to no second instance", async () => {
  const queue = createMemoryEventQueue();
  // Bob's offline, due: instance 1 claims it, its check passed (the name is free), it is sending.
  await queue.add({ id: "offline:bob", body: "{}", check: "offline:bob" }, 0);
  const [sending] = await queue.claim(10, 60_000);
  assertEquals(sending.id, "offline:bob");
  // Meanwhile someone claims the name "bob" on instance 2: the old holding's offline is expedited.
  await queue.expedite("offline:bob");
  // Instance 2 must not get the event while instance 1's lease lasts: it would send it a second time.
  assertEquals((await queue.claim(10, 60_000)).map(({ id }) => id), []);
});
