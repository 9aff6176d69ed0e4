/**
 * The roster: local members per topic, and the broker subscriptions that
 * follow from them, with subscribes and unsubscribes that take their time,
 * so that a join racing a leave can be played out.
 */
import type { MessageBus } from "../../src/broker/broker.ts";
import { createRoster } from "../../src/core/roster.ts";
import { assertEquals } from "../support/assert.ts";

/** A bus whose (un)subscribes wait until released, recording what they did. */
function slowBus() {
  const calls: string[] = [];
  const subscribed = new Set<string>();
  const waiting: (() => void)[] = [];
  const step = (call: string, apply: () => void) => {
    calls.push(call);
    return new Promise<void>((resolve) =>
      waiting.push(() => {
        apply();
        resolve();
      })
    );
  };
  const bus: Pick<MessageBus, "subscribe" | "unsubscribe"> = {
    subscribe: (topic) => step(`subscribe ${topic}`, () => subscribed.add(topic)),
    unsubscribe: (topic) => step(`unsubscribe ${topic}`, () => subscribed.delete(topic)),
  };
  /** Completes the broker calls in flight, and those they start, until none is left. */
  async function settle(): Promise<void> {
    while (true) {
      // Microtasks first: the roster starts a call only after the one before it settled.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const next = waiting.shift();
      if (!next) return;
      next();
    }
  }
  /** Lets the calls the roster has queued reach the bus, without completing them. */
  const started = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { bus, calls, subscribed, settle, started };
}

Deno.test("roster: the first member subscribes, later ones do not", async () => {
  const { bus, calls, subscribed, settle } = slowBus();
  const roster = createRoster<string>(bus);
  const added = [roster.add("channel:a", "s1"), roster.add("channel:a", "s2")];
  assertEquals([...roster.members("channel:a")!], ["s1", "s2"], "members count at once");
  await settle();
  await Promise.all(added);
  assertEquals(calls, ["subscribe channel:a"]);
  assertEquals([...subscribed], ["channel:a"]);
});

Deno.test("roster: the last member leaving unsubscribes; an unknown member changes nothing", async () => {
  const { bus, calls, subscribed, settle } = slowBus();
  const roster = createRoster<string>(bus);
  roster.add("channel:a", "s1");
  roster.add("channel:a", "s2");
  await settle();
  await roster.remove("channel:a", "nobody");
  roster.remove("channel:a", "s1");
  assertEquals(calls, ["subscribe channel:a"]);
  const removed = roster.remove("channel:a", "s2");
  assertEquals(roster.members("channel:a"), undefined);
  await settle();
  await removed;
  assertEquals(calls, ["subscribe channel:a", "unsubscribe channel:a"]);
  assertEquals(subscribed.size, 0);
});

Deno.test("roster: a join while the leave's unsubscribe is in flight ends subscribed", async () => {
  const { bus, calls, subscribed, settle, started } = slowBus();
  const roster = createRoster<string>(bus);
  roster.add("channel:a", "s1");
  await settle();
  const left = roster.remove("channel:a", "s1");
  await started();
  const joined = roster.add("channel:a", "s2");
  await settle();
  await Promise.all([left, joined]);
  assertEquals(calls, ["subscribe channel:a", "unsubscribe channel:a", "subscribe channel:a"]);
  assertEquals([...subscribed], ["channel:a"]);
  assertEquals([...roster.members("channel:a")!], ["s2"]);
});

Deno.test("roster: a leave while the join's subscribe is in flight ends unsubscribed", async () => {
  const { bus, calls, subscribed, settle, started } = slowBus();
  const roster = createRoster<string>(bus);
  const joined = roster.add("channel:a", "s1");
  await started();
  const left = roster.remove("channel:a", "s1");
  await settle();
  await Promise.all([joined, left]);
  assertEquals(calls, ["subscribe channel:a", "unsubscribe channel:a"]);
  assertEquals(subscribed.size, 0);
  assertEquals(roster.members("channel:a"), undefined);
});

Deno.test("roster: a leave and a join before either reached the broker cost no broker call", async () => {
  const { bus, calls, subscribed, settle } = slowBus();
  const roster = createRoster<string>(bus);
  roster.add("channel:a", "s1");
  await settle();
  roster.remove("channel:a", "s1");
  roster.add("channel:a", "s2");
  await settle();
  assertEquals(calls, ["subscribe channel:a"]);
  assertEquals([...subscribed], ["channel:a"]);
});

Deno.test("roster: a failed subscribe rejects the join; the next join tries again", async () => {
  let failing = true;
  const calls: string[] = [];
  const roster = createRoster<string>({
    subscribe(topic) {
      calls.push(topic);
      return failing ? Promise.reject(new Error("down")) : Promise.resolve();
    },
    unsubscribe: () => Promise.resolve(),
  });
  let error: unknown;
  await roster.add("channel:a", "s1").catch((caught) => error = caught);
  assertEquals((error as Error).message, "down");
  roster.remove("channel:a", "s1");
  failing = false;
  await roster.add("channel:a", "s2");
  assertEquals(calls, ["channel:a", "channel:a"]);
});
