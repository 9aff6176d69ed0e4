/**
 * The broker contract's part on the event queue (webhook events waiting to
 * be sent), user bars and the instance census: an event is claimed by one
 * instance at a time, comes back when its lease ends, and a claim replaced
 * since does nothing. `contract.ts` runs it for each broker.
 *
 * @module
 */
import type { Broker, ClaimedEvent } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { contractTest, type Deploy } from "./contract.ts";

/** Claims until `broker` gets at least one event (a lease or a delay must end first). */
async function claimSoon(broker: Broker, leaseMs = 60_000): Promise<ClaimedEvent[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const claimed = await broker.events.claim(10, leaseMs);
    if (claimed.length > 0) return claimed;
    assert(Date.now() < deadline, "no event became due within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Registers the event queue tests for the broker called `name`. */
export function eventQueueContract(name: string, deploy: Deploy): void {
  const test = contractTest(name, deploy);

  test("a queued event is claimed by one instance, and leaves the queue when done", async ({ first, second }) => {
    await first.events.add({ id: "e1", body: '{"n":1}' }, 0);
    await first.events.add({ id: "e2", body: '{"n":2}', check: "offline:bob" }, 0);
    assertEquals(await second.events.size(), 2);
    const claimed = await second.events.claim(10, 60_000);
    assertEquals(claimed.map(({ id, body, check, attempts }) => ({ id, body, check, attempts })), [
      { id: "e1", body: '{"n":1}', check: undefined, attempts: 0 },
      { id: "e2", body: '{"n":2}', check: "offline:bob", attempts: 0 },
    ]);
    assertEquals(await first.events.claim(10, 60_000), [], "a leased event is nobody else's");
    for (const event of claimed) await second.events.done(event.id, event.claim);
    assertEquals(await first.events.size(), 0);
  });

  test("an event is due only after its delay, oldest due first, at most the limit", async ({ first }) => {
    await first.events.add({ id: "later", body: "{}" }, 60_000);
    await first.events.add({ id: "b", body: "{}" }, 0);
    // "a" is due a millisecond after "b" by every clock: order by due time, not by id.
    const queued = Date.now();
    while (Date.now() < queued + 2) await Promise.resolve();
    await first.events.add({ id: "a", body: "{}" }, 0);
    const [one] = await first.events.claim(1, 60_000);
    assertEquals(one.id, "b");
    assertEquals((await first.events.claim(10, 60_000)).map(({ id }) => id), ["a"]);
    assertEquals(await first.events.size(), 3);
  });

  test("expedite makes a waiting event due now and drops its check", async ({ first, second }) => {
    await first.events.add({ id: "offline:bob", body: "{}", check: "offline:bob" }, 60_000);
    assertEquals(await second.events.expedite("offline:bob"), true);
    assertEquals(await second.events.expedite("offline:nobody"), false);
    const [event] = await second.events.claim(10, 60_000);
    assertEquals([event.id, event.check], ["offline:bob", undefined]);
  });

  test("expedite leaves a claimed event to its claimer; a dismissed check it made before is undone", async ({ first, second }) => {
    await first.events.add({ id: "offline:bob", body: "{}", check: "offline:bob" }, 0);
    const [sending] = await first.events.claim(10, 60_000);
    assertEquals(await second.events.expedite("offline:bob"), true);
    assertEquals(await second.events.claim(10, 60_000), [], "a leased event is nobody else's");
    // The claimer's check (made before the expedite) said "back online": the event goes all the same.
    await first.events.dismiss(sending.id, sending.claim);
    const [again] = await second.events.claim(10, 60_000);
    assertEquals([again.id, again.check], ["offline:bob", undefined]);
    // Not expedited, a dismissed event leaves the queue unsent.
    await first.events.add({ id: "offline:eve", body: "{}", check: "offline:eve" }, 0);
    const [checked] = await first.events.claim(10, 60_000);
    await first.events.dismiss(checked.id, checked.claim);
    await second.events.done(again.id, again.claim);
    assertEquals(await second.events.size(), 0);
  });

  test("a lease that ends gives the event to another instance; the old claim is void", async ({ first, second }) => {
    await first.events.add({ id: "e", body: "{}" }, 0);
    const [stale] = await first.events.claim(10, 200);
    const [fresh] = await claimSoon(second);
    assertEquals(fresh.id, "e");
    await first.events.done(stale.id, stale.claim);
    await first.events.retry(stale.id, stale.claim, 0, true);
    assertEquals(await second.events.size(), 1, "a void claim neither removes nor retries");
    assertEquals(await first.events.claim(10, 60_000), []);
    await second.events.done(fresh.id, fresh.claim);
    assertEquals(await second.events.size(), 0);
  });

  test("retry makes an event due again later, counting failed attempts only", async ({ first, second }) => {
    await first.events.add({ id: "e", body: "{}" }, 0);
    const [claimed] = await first.events.claim(10, 60_000);
    await first.events.retry(claimed.id, claimed.claim, 0, true);
    const [again] = await second.events.claim(10, 60_000);
    assertEquals(again.attempts, 1);
    await second.events.retry(again.id, again.claim, 0, false);
    const [third] = await first.events.claim(10, 60_000);
    assertEquals(third.attempts, 1, "a retry that is no failure counts nothing");
    await first.events.retry(third.id, third.claim, 60_000, true);
    assertEquals(await second.events.claim(10, 60_000), [], "not due before its delay");
  });

  test("queuing an id again replaces the event and voids its claim", async ({ first, second }) => {
    await first.events.add({ id: "offline:bob", body: '{"v":1}' }, 0);
    const [old] = await first.events.claim(10, 60_000);
    await second.events.add({ id: "offline:bob", body: '{"v":2}' }, 0);
    await first.events.done(old.id, old.claim);
    const [replacement] = await second.events.claim(10, 60_000);
    assertEquals([replacement.body, replacement.attempts], ['{"v":2}', 0]);
  });

  test("a bar keeps a name from sessions until it ends or is lifted, whatever the case", async ({ first, second }) => {
    assertEquals(await second.users.barredUntil("mallory"), undefined);
    await first.users.bar("Mallory", { forever: true });
    assertEquals(await second.users.barredUntil("mallory"), Infinity);
    await first.users.bar("mallory", { lifted: true });
    assertEquals(await second.users.barredUntil("MALLORY"), undefined);
    const until = Date.now() + 60_000;
    await first.users.bar("eve", { until });
    assertEquals(await second.users.barredUntil("eve"), until);
    await first.users.bar("eve", { until: Date.now() - 1 });
    assertEquals(await second.users.barredUntil("eve"), undefined, "a bar in the past is none");
  });

  test("the census counts the instances of the deployment", async ({ first, second }) => {
    await second.instances();
    assertEquals(await first.instances(), 2);
  });
}
