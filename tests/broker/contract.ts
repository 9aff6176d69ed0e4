/**
 * The broker contract suite: what every broker implementation must do, as
 * `src/broker/broker.ts` states it. A broker test file calls
 * `brokerContract` with a factory that deploys two instances sharing state
 * (two connections to one Redis, two views of one memory hub).
 *
 * @module
 */
import type { Broker, Envelope, Topic } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** Two instances of one deployment, disposed of together. */
export interface Deployment extends AsyncDisposable {
  first: Broker;
  second: Broker;
}

interface Recorder {
  deliveries: { topic: Topic; envelope: Envelope }[];
  /** Waits until `count` deliveries have arrived. */
  until(count: number): Promise<void>;
}

function record(broker: Broker): Recorder {
  const deliveries: Recorder["deliveries"] = [];
  const waiters = new Set<() => void>();
  broker.bus.onDelivery((topic, envelope) => {
    deliveries.push({ topic, envelope });
    for (const wake of waiters) wake();
  });
  return {
    deliveries,
    async until(count) {
      const deadline = Date.now() + 10_000;
      while (deliveries.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Expected ${count} deliveries, got ${deliveries.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, left);
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
  };
}

/** Registers the contract tests for the broker `deploy` builds. */
export function brokerContract(name: string, deploy: () => Promise<Deployment>): void {
  const test = (title: string, fn: (deployment: Deployment) => Promise<void>) =>
    Deno.test(`${name} broker: ${title}`, async () => {
      await using deployment = await deploy();
      await fn(deployment);
    });

  test("delivers a publish once to each subscribed instance, stamped", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await first.bus.subscribe("channel:a");
    await second.bus.subscribe("channel:a");
    const sent = await second.bus.publish(["channel:a"], {
      kind: "channel",
      from: "alice",
      to: "a",
      text: "hi",
    });
    assert(sent.id.length > 0 && Number.isInteger(sent.ts));
    await one.until(1);
    await two.until(1);
    const expected = { topic: "channel:a", envelope: { kind: "channel" as const, message: sent } };
    assertEquals(one.deliveries, [expected]);
    assertEquals(two.deliveries, [expected]);
  });

  test("never delivers to an instance that is not subscribed", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await second.bus.subscribe("channel:b");
    await first.bus.subscribe("channel:b");
    await first.bus.unsubscribe("channel:b");
    await first.bus.publish(["channel:other"], {
      kind: "channel",
      from: "a",
      to: "other",
      text: "x",
    });
    const marker = await first.bus.publish(["channel:b"], {
      kind: "channel",
      from: "a",
      to: "b",
      text: "y",
    });
    await two.until(1);
    assertEquals(two.deliveries.map((d) => d.topic), ["channel:b"]);
    // A marker the first instance does receive proves nothing else was on its way.
    await first.bus.subscribe("channel:marker");
    await first.bus.publish(["channel:marker"], { kind: "channel", from: "a", to: "m", text: "z" });
    await one.until(1);
    assertEquals(one.deliveries.map((d) => d.topic), ["channel:marker"]);
    assert(marker.id.length > 0);
  });

  test("a publish to two topics reaches each topic's subscribers with one id", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await first.bus.subscribe("user:bob");
    await second.bus.subscribe("user:alice");
    await second.bus.subscribe("user:bob");
    const sent = await first.bus.publish(["user:bob", "user:alice"], {
      kind: "direct",
      from: "alice",
      to: "bob",
      text: "psst",
      senderSession: "S1",
    });
    await one.until(1);
    await two.until(2);
    assertEquals(one.deliveries[0].envelope, {
      kind: "direct",
      message: sent,
      senderSession: "S1",
    });
    assertEquals(two.deliveries.map((d) => d.topic).sort(), ["user:alice", "user:bob"]);
    assert(
      two.deliveries.every((d) =>
        d.envelope.kind === "direct" && d.envelope.message.id === sent.id
      ),
    );
  });

  test("ids increase in delivery order and every instance sees one order", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await first.bus.subscribe("channel:order");
    await second.bus.subscribe("channel:order");
    const publishes = [];
    for (let i = 0; i < 50; i++) {
      const broker = i % 2 === 0 ? first : second;
      publishes.push(
        broker.bus.publish(["channel:order"], {
          kind: "channel",
          from: "x",
          to: "order",
          text: `${i}`,
        }),
      );
    }
    await Promise.all(publishes);
    await one.until(50);
    await two.until(50);
    const ids = (recorder: Recorder) =>
      recorder.deliveries.map((d) => d.envelope.kind === "channel" ? d.envelope.message.id : "");
    assertEquals(ids(one), ids(two));
    const sorted = [...ids(one)].sort();
    assertEquals(ids(one), sorted);
    assertEquals(new Set(ids(one)).size, 50);
  });

  test("signals carry typing without an id", async ({ first, second }) => {
    const two = record(second);
    await second.bus.subscribe("channel:t");
    await first.bus.signal("channel:t", { kind: "typing", from: "alice", to: "t" });
    await two.until(1);
    assertEquals(two.deliveries, [{
      topic: "channel:t",
      envelope: { kind: "typing", from: "alice", to: "t" },
    }]);
  });

  test("claims a free name, refuses it to others, case-insensitively", async ({ first, second }) => {
    const claimed = await first.users.open({
      name: "Alice",
      freshTokenHash: "h1",
      sessionId: "s1",
      kind: "A",
    });
    assertEquals(claimed, { status: "claimed", user: { name: "Alice", kind: "A" } });
    assertEquals(
      await second.users.open({ name: "alice", freshTokenHash: "h2", sessionId: "s2", kind: "A" }),
      { status: "taken" },
    );
    assertEquals(
      await second.users.open({
        name: "ALICE",
        presentedTokenHash: "wrong",
        freshTokenHash: "h3",
        sessionId: "s3",
        kind: "A",
      }),
      { status: "taken" },
    );
    assertEquals(
      await second.users.open({ name: "alice", freshTokenHash: "h4", sessionId: "s4", kind: "B" }),
      { status: "taken" },
    );
    assertEquals(await second.users.lookup("ALICE"), { name: "Alice", kind: "A" });
  });

  test("the holder's token adds sessions, by name or alone", async ({ first, second }) => {
    await first.users.open({ name: "bob", freshTokenHash: "tb", sessionId: "s1", kind: "A" });
    assertEquals(
      await second.users.open({
        name: "Bob",
        presentedTokenHash: "tb",
        freshTokenHash: "x",
        sessionId: "s2",
        kind: "A",
      }),
      { status: "joined", user: { name: "bob", kind: "A" } },
    );
    assertEquals(
      await second.users.open({
        presentedTokenHash: "tb",
        freshTokenHash: "y",
        sessionId: "s3",
        kind: "A",
      }),
      { status: "joined", user: { name: "bob", kind: "A" } },
    );
    assertEquals(
      await second.users.open({
        presentedTokenHash: "nobody",
        freshTokenHash: "z",
        sessionId: "s4",
        kind: "A",
      }),
      { status: "unknown_token" },
    );
  });

  test("the claim ends with the user's last session, and only then", async ({ first, second }) => {
    await first.users.open({ name: "carol", freshTokenHash: "tc", sessionId: "s1", kind: "A" });
    await second.users.open({
      name: "carol",
      presentedTokenHash: "tc",
      freshTokenHash: "-",
      sessionId: "s2",
      kind: "A",
    });
    await first.users.close("carol", "s1");
    await first.users.close("carol", "s1");
    assertEquals(await second.users.online(), ["carol"]);
    await second.users.close("CAROL", "s2");
    assertEquals(await first.users.online(), []);
    assertEquals(await first.users.lookup("carol"), undefined);
    assertEquals(
      await second.users.open({
        presentedTokenHash: "tc",
        freshTokenHash: "-",
        sessionId: "s5",
        kind: "A",
      }),
      { status: "unknown_token" },
      "the old token must die with the claim",
    );
    assertEquals(
      (await second.users.open({
        name: "carol",
        freshTokenHash: "new",
        sessionId: "s3",
        kind: "A",
      })).status,
      "claimed",
    );
  });

  test("two instances racing for one name: exactly one wins", async ({ first, second }) => {
    const attempts = [];
    for (let i = 0; i < 20; i++) {
      const broker = i % 2 === 0 ? first : second;
      attempts.push(
        broker.users.open({ name: "dave", freshTokenHash: `t${i}`, sessionId: `s${i}`, kind: "A" }),
      );
    }
    const outcomes = await Promise.all(attempts);
    assertEquals(outcomes.filter((o) => o.status === "claimed").length, 1);
    assertEquals(outcomes.filter((o) => o.status === "taken").length, 19);
  });

  test("channels are registered once and listed everywhere", async ({ first, second }) => {
    assertEquals(await first.channels.create("general"), true);
    assertEquals(await second.channels.create("general"), false);
    await second.channels.create("random");
    assertEquals(await first.channels.exists("random"), true);
    assertEquals(await first.channels.exists("nope"), false);
    assertEquals((await first.channels.list()).sort(), ["general", "random"]);
  });
}
