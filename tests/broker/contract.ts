/**
 * The broker contract suite: what every broker implementation must do, as
 * `src/broker/broker.ts` states it. A broker test file calls
 * `brokerContract` with a factory that deploys two instances sharing state
 * (two connections to one Redis, two views of one memory hub).
 *
 * @module
 */
import { MutedError } from "../../src/broker/broker.ts";
import type {
  Broker,
  Envelope,
  OpenSessionRequest,
  Published,
  StoredEnvelope,
  Topic,
} from "../../src/broker/broker.ts";
import { userKey } from "../../src/protocol/names.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { changesContract } from "./changes_contract.ts";
import { messagesContract } from "./messages_contract.ts";
import { readStateContract } from "./read_state_contract.ts";
import { presenceContract } from "./presence_contract.ts";
import { rolesContract } from "./roles_contract.ts";
import { eventQueueContract } from "./event_queue_contract.ts";

/** Two instances of one deployment, disposed of together. */
export interface Deployment extends AsyncDisposable {
  first: Broker;
  second: Broker;
}

/** Retention settings a test may ask a deployment for. */
export interface Retention {
  historyLimit: number;
  historyTtlMs: number;
  dedupWindowMs: number;
  reconnectGraceMs: number;
}

/** Builds a deployment with the given retention (defaults for the rest). */
export type Deploy = (retention?: Partial<Retention>) => Promise<Deployment>;

/** What a broker delivered to its instance. */
export interface Recorder {
  deliveries: { topic: Topic; envelope: Envelope }[];
  /** Waits until `count` deliveries have arrived. */
  until(count: number): Promise<void>;
}

/** Registers a handler on `broker` that records its deliveries. */
export function record(broker: Broker): Recorder {
  const deliveries: Recorder["deliveries"] = [];
  const waiters = new Set<() => void>();
  broker.onEvents({
    deliver(topic, envelope) {
      deliveries.push({ topic, envelope });
      for (const wake of waiters) wake();
    },
    revoked() {},
    expired() {},
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

/** Publishes a direct message from alice to bob on `broker`, to both inboxes, as the core does. */
export function aliceToBob(
  broker: Broker,
  text: string,
  senderSession: string,
  dedupKey?: string,
): Promise<Published> {
  return broker.bus.publish(["user:bob", "user:alice"], {
    kind: "direct",
    from: "alice",
    to: "bob",
    text,
    senderSession,
    ...(dedupKey === undefined ? {} : { dedupKey }),
  });
}

/**
 * Asserts that both users' inboxes hold exactly `stored`, read every way: a
 * page, a page of their conversation, and everything since the start.
 */
export async function assertConversationHistory(
  broker: Broker,
  users: [string, string],
  stored: StoredEnvelope[],
): Promise<void> {
  for (const user of users) {
    const topic = `user:${user}`;
    assertEquals(await broker.history.page(topic, { limit: 10 }), stored);
    assertEquals(await broker.history.page(topic, { limit: 10, between: users }), stored);
    assertEquals(await broker.history.since(topic, "0000000000000-000000"), {
      envelopes: stored,
      truncated: false,
    });
  }
}

/** A user's holding of their name as the core gives it: their key and a claim tag. */
export function holding(name: string): string {
  return `${name} tag`;
}

/** `from`'s message in the channel "room", as the core publishes it. */
export function sayInRoom(broker: Broker, from: string, text: string, mentions?: string[]) {
  return broker.bus.publish(["channel:room"], {
    kind: "channel",
    from,
    to: "room",
    text,
    author: holding(from),
    ...(mentions ? { mentions } : {}),
  });
}

/** A test of the broker `name`, on a fresh deployment (with `retention`, if given). */
export function contractTest(name: string, deploy: Deploy) {
  return (
    title: string,
    fn: (deployment: Deployment) => Promise<void>,
    retention?: Partial<Retention>,
  ) =>
    Deno.test(`${name} broker: ${title}`, async () => {
      await using deployment = await deploy(retention);
      await fn(deployment);
    });
}

/** Registers the contract tests for the broker `deploy` builds. */
export function brokerContract(name: string, deploy: Deploy): void {
  presenceContract(name, deploy);
  rolesContract(name, deploy);
  messagesContract(name, deploy);
  changesContract(name, deploy);
  readStateContract(name, deploy);
  eventQueueContract(name, deploy);
  const test = contractTest(name, deploy);

  /** Opens a kind-A session with placeholder fields, `request` on top. */
  const openUser = (broker: Broker, request: Partial<OpenSessionRequest>) =>
    broker.users.open({
      freshTokenHash: "-",
      sessionId: "-",
      kind: "A",
      maxSessions: 10,
      ...request,
    });

  const say = (broker: Broker, topic: string, text: string, dedupKey?: string) =>
    broker.bus.publish([topic], {
      kind: "channel",
      from: "alice",
      to: topic.slice("channel:".length),
      text,
      ...(dedupKey === undefined ? {} : { dedupKey }),
    });

  test("stores every message; paging backwards walks it all, oldest first, no gap or repeat", async ({ first, second }) => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await say(i % 2 ? first : second, "channel:h", `${i}`)).message.id);
    }
    const walked: string[] = [];
    let before: string | undefined;
    while (true) {
      const page = await first.history.page("channel:h", {
        limit: 10,
        ...(before ? { before } : {}),
      });
      if (page.length === 0) break;
      assert(page.length <= 10);
      walked.unshift(...page.map((envelope) => envelope.message.id));
      before = page[0].message.id;
    }
    assertEquals(walked, ids);
    const newest = await second.history.page("channel:h", { limit: 3 });
    assertEquals(newest.map((e) => e.message.text), ["22", "23", "24"]);
  });

  test("a user's inbox holds both sides of direct messages; pages can keep one conversation", async ({ first, second }) => {
    const dm = (broker: Broker, from: string, to: string, text: string) =>
      broker.bus.publish([`user:${to.toLowerCase()}`, `user:${from.toLowerCase()}`], {
        kind: "direct",
        from,
        to,
        text,
        senderSession: "S",
      });
    await dm(first, "Alice", "bob", "a1");
    await dm(second, "bob", "carol", "b1");
    await dm(first, "bob", "Alice", "b2");
    await dm(second, "carol", "bob", "c1");
    const withAlice = await first.history.page("user:bob", {
      limit: 10,
      between: ["bob", "alice"],
    });
    assertEquals(withAlice.map((e) => e.message.text), ["a1", "b2"]);
    const all = await second.history.page("user:bob", { limit: 10 });
    assertEquals(all.map((e) => e.message.text), ["a1", "b1", "b2", "c1"]);
    assertEquals((await first.history.page("user:carol", { limit: 10 })).length, 2);
  });

  test(
    "since gives every retained message after an id, and says when some were dropped",
    async ({ first, second }) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await say(first, "channel:s", `${i}`)).message.id);
      // The limit is 3: messages 0 and 1 are gone.
      const fromStart = await second.history.since("channel:s", ids[0]);
      assertEquals(fromStart.envelopes.map((e) => e.message.text), ["2", "3", "4"]);
      assertEquals(fromStart.truncated, true);
      const recent = await second.history.since("channel:s", ids[2]);
      assertEquals(recent.envelopes.map((e) => e.message.text), ["3", "4"]);
      assertEquals(recent.truncated, false);
      assertEquals(await first.history.since("channel:s", ids[4]), {
        envelopes: [],
        truncated: false,
      });
      assertEquals(await first.history.since("channel:never", ids[0]), {
        envelopes: [],
        truncated: false,
      });
    },
    { historyLimit: 3 },
  );

  test("a dedup key publishes once, on any instance; the repeat returns the first message", async ({ first, second }) => {
    const two = record(second);
    await second.bus.subscribe("channel:d");
    const original = await say(first, "channel:d", "once", "alice:r1");
    const repeat = await say(second, "channel:d", "once again", "alice:r1");
    assertEquals([original.duplicate, repeat.duplicate], [false, true]);
    assertEquals(repeat.message, original.message);
    const other = await say(second, "channel:d", "other", "alice:r2");
    await two.until(2);
    assertEquals(
      two.deliveries.map((d) => d.envelope.kind === "channel" && d.envelope.message.id),
      [
        original.message.id,
        other.message.id,
      ],
    );
    assertEquals((await first.history.page("channel:d", { limit: 10 })).length, 2);
  });

  test("a dedup key is forgotten after the window", async ({ first }) => {
    const original = await say(first, "channel:w", "x", "alice:w");
    const deadline = Date.now() + 10_000;
    let again = await say(first, "channel:w", "x", "alice:w");
    while (again.duplicate && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await say(first, "channel:w", "x", "alice:w");
    }
    assertEquals(again.duplicate, false);
    assert(again.message.id > original.message.id);
  }, { dedupWindowMs: 100 });

  test("delivers a publish once to each subscribed instance, stamped", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await first.bus.subscribe("channel:a");
    await second.bus.subscribe("channel:a");
    const { message: sent } = await second.bus.publish(["channel:a"], {
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
    const { message: marker } = await first.bus.publish(["channel:b"], {
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
    const { message: sent } = await first.bus.publish(["user:bob", "user:alice"], {
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

  test("a direct message's sending session is delivered live, never stored", async ({ first, second }) => {
    const one = record(first);
    const two = record(second);
    await first.bus.subscribe("user:alice");
    await second.bus.subscribe("user:bob");
    const dedupKey = "alice:tag:r1:f";
    const { message: sent } = await aliceToBob(first, "no copy for me", "S1", dedupKey);
    await one.until(1);
    await two.until(1);
    const live = { kind: "direct" as const, message: sent, senderSession: "S1" };
    assertEquals(one.deliveries, [{ topic: "user:alice", envelope: live }]);
    assertEquals(two.deliveries, [{ topic: "user:bob", envelope: live }]);
    for (const broker of [first, second]) {
      await assertConversationHistory(broker, ["alice", "bob"], [{
        kind: "direct",
        message: sent,
      }]);
    }
    assertEquals(await second.bus.recall(dedupKey), sent);
    const repeat = await aliceToBob(second, "no copy for me", "S2", dedupKey);
    assertEquals(repeat, { message: sent, duplicate: true });
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

  test("a subscription racing publishes gets every message after its first, with no hole", async ({ first, second }) => {
    const one = record(first);
    const topics = Array.from({ length: 30 }, (_, i) => `channel:race${i}`);
    const sent = new Map<string, string[]>(topics.map((topic) => [topic, []]));
    const publishing = Promise.all(topics.map(async (topic) => {
      for (let i = 0; i < 20; i++) {
        sent.get(topic)!.push((await say(second, topic, `${i}`)).message.id);
      }
    }));
    await Promise.all(topics.map((topic) => first.bus.subscribe(topic)));
    await publishing;
    // A last message per topic, published once everything is subscribed, marks the end.
    for (const topic of topics) {
      sent.get(topic)!.push((await say(second, topic, "last")).message.id);
    }
    await one.until(topics.length);
    const deadline = Date.now() + 10_000;
    const got = (topic: string) =>
      one.deliveries.filter((d) => d.topic === topic).map((d) =>
        d.envelope.kind === "channel" ? d.envelope.message.id : ""
      );
    while (topics.some((topic) => got(topic).at(-1) !== sent.get(topic)!.at(-1))) {
      if (Date.now() > deadline) throw new Error("the last messages did not all arrive");
      await one.until(one.deliveries.length + 1);
    }
    for (const topic of topics) {
      const ids = got(topic);
      const all = sent.get(topic)!;
      assertEquals(ids, all.slice(all.indexOf(ids[0])), `a hole in ${topic}`);
    }
  });

  test(
    "a new holder of a name starts with an empty inbox; the same holder keeps theirs",
    async ({ first, second }) => {
      const dm = (text: string) =>
        first.bus.publish(["user:carol", "user:dave"], {
          kind: "direct",
          from: "dave",
          to: "carol",
          text,
          senderSession: "S",
        });
      await openUser(first, { name: "carol", freshTokenHash: "holder-1", sessionId: "s1" });
      await dm("for the first carol");
      await first.users.close("carol", "s1");
      await openUser(second, { presentedTokenHash: "holder-1", sessionId: "s2" });
      assertEquals(
        (await second.history.page("user:carol", { limit: 10 })).length,
        1,
        "same holder",
      );
      await second.users.close("carol", "s2");
      const deadline = Date.now() + 10_000;
      while (await first.users.lookup("carol") !== undefined) {
        assert(Date.now() < deadline, "the grace of 200 ms never ended");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await openUser(second, { name: "Carol", freshTokenHash: "holder-2", sessionId: "s3" });
      assertEquals(await first.history.page("user:carol", { limit: 10 }), []);
      assertEquals((await first.history.since("user:carol", "0000000000000-000000")).envelopes, []);
      assertEquals(
        (await first.history.page("user:dave", { limit: 10 })).length,
        1,
        "the sender keeps theirs",
      );
    },
    { reconnectGraceMs: 200 },
  );

  test("history reads survive odd ids and texts", async ({ first }) => {
    await first.bus.publish(["user:erin", "user:fay"], {
      kind: "direct",
      from: "fay",
      to: "erin",
      text: "lone \ud800 surrogate",
      senderSession: "S",
    });
    const page = await first.history.page("user:erin", { limit: 10, between: ["erin", "fay"] });
    assertEquals(page.map((e) => e.message.text), ["lone \ud800 surrogate"]);
    assertEquals(
      await first.history.page("user:erin", { limit: 10, before: "0000000000000-000000" }),
      [],
    );
    const all = await first.history.since("user:erin", "0000000000000-000000");
    assertEquals([all.envelopes.length, all.truncated], [1, false]);
  });

  test("a since from before the deployment's data is truncated", async ({ first }) => {
    await say(first, "channel:e", "now");
    const ancient = await first.history.since("channel:e", "0000000001000-000000");
    assertEquals([ancient.truncated, ancient.envelopes.length], [true, 1]);
  });

  test("a dedup key can be recalled within the window", async ({ first, second }) => {
    const original = await say(first, "channel:r", "x", "alice:tag:r9:f");
    assertEquals(await second.bus.recall("alice:tag:r9:f"), original.message);
    assertEquals(await second.bus.recall("alice:tag:nothing"), undefined);
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

  test("signals carry memberships and invitations to a user's topic, unchanged", async ({ first, second }) => {
    const two = record(second);
    await second.bus.subscribe("user:pia");
    const signals = [
      { kind: "membership", channel: "room", member: true, exceptSession: "s1" },
      { kind: "membership", channel: "room", member: false, exceptSession: "", reason: "banned" },
      { kind: "invited", channel: "plans", from: "Olga" },
    ] as const;
    for (const signal of signals) await first.bus.signal("user:pia", signal);
    await two.until(signals.length);
    assertEquals(two.deliveries.map((delivery) => delivery.envelope), [...signals]);
  });

  test("claims a free name, refuses it to others, case-insensitively", async ({ first, second }) => {
    const claimed = await first.users.open({
      name: "Alice",
      freshTokenHash: "h1",
      sessionId: "s1",
      kind: "A",
      maxSessions: 10,
    });
    assertEquals(claimed, {
      status: "claimed",
      user: { name: "Alice", kind: "A" },
      tokenHash: "h1",
      firstSession: true,
    });
    assertEquals(
      await second.users.open({
        name: "alice",
        freshTokenHash: "h2",
        sessionId: "s2",
        kind: "A",
        maxSessions: 10,
      }),
      { status: "taken" },
    );
    assertEquals(
      await second.users.open({
        name: "ALICE",
        presentedTokenHash: "wrong",
        freshTokenHash: "h3",
        sessionId: "s3",
        kind: "A",
        maxSessions: 10,
      }),
      { status: "taken" },
    );
    assertEquals(
      await second.users.open({
        name: "alice",
        freshTokenHash: "h4",
        sessionId: "s4",
        kind: "B",
        maxSessions: 10,
      }),
      { status: "taken" },
    );
    assertEquals(await second.users.lookup("ALICE"), { name: "Alice", kind: "A", online: true });
  });

  test("the holder's token adds sessions, by name or alone", async ({ first, second }) => {
    await first.users.open({
      name: "bob",
      freshTokenHash: "tb",
      sessionId: "s1",
      kind: "A",
      maxSessions: 10,
    });
    assertEquals(
      await second.users.open({
        name: "Bob",
        presentedTokenHash: "tb",
        freshTokenHash: "x",
        sessionId: "s2",
        kind: "A",
        maxSessions: 10,
      }),
      { status: "joined", user: { name: "bob", kind: "A" }, tokenHash: "tb", firstSession: false },
    );
    assertEquals(
      await second.users.open({
        presentedTokenHash: "tb",
        freshTokenHash: "y",
        sessionId: "s3",
        kind: "A",
        maxSessions: 10,
      }),
      { status: "joined", user: { name: "bob", kind: "A" }, tokenHash: "tb", firstSession: false },
    );
    assertEquals(
      await second.users.open({
        presentedTokenHash: "nobody",
        freshTokenHash: "z",
        sessionId: "s4",
        kind: "A",
        maxSessions: 10,
      }),
      { status: "unknown_token" },
    );
  });

  test(
    "shared (SHARED_USERNAMES) joins a live kind-A user by name, without its token",
    async ({ first, second }) => {
      const open = (broker: Broker, request: Partial<OpenSessionRequest>) =>
        openUser(broker, { maxSessions: 2, ...request });
      await open(first, { name: "carol", freshTokenHash: "tc", sessionId: "c1" });
      assertEquals(
        await open(second, {
          name: "CAROL",
          presentedTokenHash: "wrong",
          sessionId: "c2",
          shared: true,
        }),
        {
          status: "joined",
          user: { name: "carol", kind: "A" },
          tokenHash: "tc",
          firstSession: false,
        },
        "another instance joins her by name, and learns her token's hash",
      );
      assertEquals(await open(second, { name: "carol", sessionId: "c3" }), { status: "taken" });
      assertEquals(
        await open(second, { name: "carol", sessionId: "c3", shared: true }),
        { status: "too_many_sessions" },
      );
      assertEquals(
        await open(second, { presentedTokenHash: "wrong", sessionId: "c4", shared: true }),
        { status: "unknown_token" },
        "without a name, only a matching token joins",
      );
      await open(first, { name: "dave", sessionId: "d1", kind: "B" });
      assertEquals(
        await open(second, { name: "dave", sessionId: "d2", shared: true }),
        { status: "taken" },
        "a kind-B (lobby) user is never shared",
      );
      await first.users.close("carol", "c1");
      await second.users.close("carol", "c2");
      assertEquals(
        await open(second, { name: "carol", freshTokenHash: "new", sessionId: "c5", shared: true }),
        {
          status: "claimed",
          user: { name: "carol", kind: "A" },
          tokenHash: "new",
          firstSession: true,
        },
        "a free name is claimed as usual",
      );
    },
    { reconnectGraceMs: 0 },
  );

  test(
    "without a grace, the claim ends with the user's last session, and only then",
    async ({ first, second }) => {
      await first.users.open({
        name: "carol",
        freshTokenHash: "tc",
        sessionId: "s1",
        kind: "A",
        maxSessions: 10,
      });
      await second.users.open({
        name: "carol",
        presentedTokenHash: "tc",
        freshTokenHash: "-",
        sessionId: "s2",
        kind: "A",
        maxSessions: 10,
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
          maxSessions: 10,
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
          maxSessions: 10,
        })).status,
        "claimed",
      );
    },
    { reconnectGraceMs: 0 },
  );

  test(
    "after the last session the name is held for the grace: offline, joinable only by its token",
    async ({ first, second }) => {
      await openUser(first, { name: "Hana", freshTokenHash: "th", sessionId: "h1" });
      await first.bus.publish(["user:hana", "user:ivan"], {
        kind: "direct",
        from: "ivan",
        to: "Hana",
        text: "read live",
        senderSession: "i1",
      });
      await first.users.close("hana", "h1");
      assertEquals(await second.users.online(), []);
      assertEquals(await second.users.lookup("HANA"), { name: "Hana", kind: "A", online: false });
      assertEquals(
        await openUser(second, { name: "hana", freshTokenHash: "other", sessionId: "x" }),
        {
          status: "taken",
        },
      );
      const away = await second.bus.publish(["user:hana", "user:ivan"], {
        kind: "direct",
        from: "ivan",
        to: "Hana",
        text: "while away",
        senderSession: "i1",
      });
      const back = await openUser(second, { presentedTokenHash: "th", sessionId: "h2" });
      assert(back.status === "joined" && back.firstSession, JSON.stringify(back));
      const { envelopes } = await second.history.since("user:hana", back.seen!);
      assertEquals(envelopes.map((envelope) => envelope.message.id), [away.message.id]);
      assertEquals(await first.users.online(), ["Hana"]);
      const again = await openUser(first, {
        name: "HANA",
        presentedTokenHash: "th",
        sessionId: "h3",
      });
      assertEquals([again.status, "firstSession" in again && again.firstSession], [
        "joined",
        false,
      ]);
    },
    { reconnectGraceMs: 60_000 },
  );

  test(
    "a lobby (kind-B) name, which has no token to come back with, is free at once",
    async ({ first, second }) => {
      await openUser(first, { name: "Lena", sessionId: "l1", kind: "B" });
      await first.users.close("lena", "l1");
      assertEquals(await second.users.lookup("lena"), undefined);
      const again = await openUser(second, { name: "lena", sessionId: "l2", kind: "B" });
      assertEquals(again.status, "claimed");
    },
    { reconnectGraceMs: 60_000 },
  );

  test(
    "when the grace ends the name is free, the token dead, and a new holder's inbox empty",
    async ({ first, second }) => {
      await openUser(first, { name: "ivo", freshTokenHash: "ti", sessionId: "i1" });
      await first.bus.publish(["user:ivo"], {
        kind: "direct",
        from: "x",
        to: "ivo",
        text: "old",
        senderSession: "x1",
      });
      await first.users.close("ivo", "i1");
      const deadline = Date.now() + 10_000;
      while (await second.users.lookup("ivo") !== undefined) {
        assert(Date.now() < deadline, "the grace of 300 ms never ended");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assertEquals(await openUser(second, { presentedTokenHash: "ti", sessionId: "i2" }), {
        status: "unknown_token",
      });
      const claimed = await openUser(second, {
        name: "ivo",
        freshTokenHash: "new",
        sessionId: "i3",
      });
      assertEquals([claimed.status, "seen" in claimed], ["claimed", false]);
      assertEquals((await second.history.since("user:ivo", "0000000000000-000000")).envelopes, []);
    },
    { reconnectGraceMs: 300 },
  );

  test(
    "a user's channels are shared by every instance and go with the inbox",
    async ({ first, second }) => {
      await openUser(first, { name: "Jana", freshTokenHash: "tj", sessionId: "j1" });
      assertEquals(await first.users.setMembership("jana", "general", true), true);
      assertEquals(await second.users.setMembership("JANA", "general", true), false, "no change");
      assertEquals(await second.users.setMembership("Jana", "équipe", true), true);
      assertEquals((await first.users.memberships("jana")).sort(), ["general", "équipe"]);
      assertEquals(await first.users.setMembership("Jana", "general", false), true);
      assertEquals(await second.users.setMembership("Jana", "general", false), false);
      assertEquals(await second.users.memberships("jana"), ["équipe"]);
      await first.users.close("jana", "j1");
      // A new holder of the name starts with none; a verified identity keeps its own.
      await openUser(second, { name: "jana", freshTokenHash: "other", sessionId: "j2" });
      assertEquals(await first.users.memberships("jana"), []);
      await openUser(first, {
        name: "kim",
        freshTokenHash: "jwt:kim",
        sessionId: "k1",
        identified: true,
      });
      await first.users.setMembership("kim", "team", true);
      await first.users.close("kim", "k1");
      const again = await openUser(second, {
        name: "kim",
        freshTokenHash: "jwt:kim",
        sessionId: "k2",
        identified: true,
      });
      assertEquals(again.status, "claimed");
      assertEquals(await second.users.memberships("kim"), ["team"]);
    },
    { reconnectGraceMs: 0 },
  );

  test("a user holds at most maxSessions sessions, counted across instances", async ({ first, second }) => {
    const open = (broker: Broker, sessionId: string) =>
      broker.users.open({
        name: "gina",
        presentedTokenHash: "tg",
        freshTokenHash: "tg",
        sessionId,
        kind: "A",
        maxSessions: 2,
      });
    assertEquals((await open(first, "s1")).status, "claimed");
    assertEquals((await open(second, "s2")).status, "joined");
    assertEquals(await open(first, "s3"), { status: "too_many_sessions" });
    await second.users.close("gina", "s2");
    assertEquals((await open(first, "s4")).status, "joined");
  });

  test("two instances racing for one name: exactly one wins", async ({ first, second }) => {
    const attempts = [];
    for (let i = 0; i < 20; i++) {
      const broker = i % 2 === 0 ? first : second;
      attempts.push(
        broker.users.open({
          name: "dave",
          freshTokenHash: `t${i}`,
          sessionId: `s${i}`,
          kind: "A",
          maxSessions: 10,
        }),
      );
    }
    const outcomes = await Promise.all(attempts);
    assertEquals(outcomes.filter((o) => o.status === "claimed").length, 1);
    assertEquals(outcomes.filter((o) => o.status === "taken").length, 19);
  });

  test("a private channel is registered with its owner, listed nowhere, and joined by invitation", async ({ first, second }) => {
    assertEquals(await first.channels.create("secret", { private: true, owner: "olga" }), true);
    assertEquals(await second.channels.create("secret"), false, "registered once, as first said");
    await second.channels.create("open", { private: false, owner: "olga" });
    assertEquals((await first.channels.list()).sort(), ["open"]);
    assertEquals(await second.channels.exists("secret"), true);
    assertEquals(await second.channels.access("secret", "olga"), {
      private: true,
      owner: "olga",
      invited: false,
      role: "owner",
    });
    assertEquals((await first.channels.access("secret", "pia"))?.invited, false);
    assertEquals(await second.channels.invitations("pia"), []);
    await first.channels.create("ärger", { private: true, owner: "olga" });
    for (const name of ["ärger", "secret"]) await first.channels.invite(name, "pia");
    assertEquals(await second.channels.access("secret", "pia"), {
      private: true,
      owner: "olga",
      invited: true,
    });
    assertEquals(
      await second.channels.invitations("pia"),
      ["secret", "ärger"],
      "every invitation pia holds, in code-point order",
    );
    await second.channels.remove("ärger");
    assertEquals(await first.channels.invitations("pia"), ["secret"], "gone with its channel");
    assertEquals(await first.channels.access("open", "pia"), {
      private: false,
      owner: "olga",
      invited: false,
    });
    assertEquals(await first.channels.access("nowhere", "pia"), undefined);
  });

  test("roles, bans and mutes are kept per channel and user; a muted author publishes nothing", async ({ first, second }) => {
    await first.channels.create("room", { private: false, owner: "olga" });
    await first.channels.setRole("room", "mo", "moderator");
    assertEquals((await second.channels.access("room", "mo"))?.role, "moderator");
    await second.channels.setRole("room", "mo", "member");
    assertEquals((await first.channels.access("room", "mo"))?.role, undefined);
    await second.users.setMembership("bo", "room", true);
    await first.channels.ban("room", "bo", { forever: true });
    assertEquals((await second.channels.access("room", "bo"))?.bannedUntil, Infinity);
    assertEquals(await second.users.memberships("bo"), [], "the ban ended the membership");
    await second.channels.ban("room", "bo", { lifted: true });
    assertEquals((await first.channels.access("room", "bo"))?.bannedUntil, undefined);
    await first.channels.ban("room", "brief", { until: Date.now() - 1 });
    assertEquals((await first.channels.access("room", "brief"))?.bannedUntil, undefined, "over");
    const until = Date.now() + 60_000;
    await first.channels.mute("room", "mia", { until });
    assertEquals((await second.channels.access("room", "mia"))?.mutedUntil, until);
    const draft = { kind: "channel" as const, from: "Mia", to: "room", text: "hi" };
    const refused = await second.bus.publish(["channel:room"], draft).catch((error) => error);
    assert(refused instanceof MutedError, String(refused));
    assertEquals(refused.until, until);
    assertEquals(await first.history.page("channel:room", { limit: 10 }), [], "nothing stored");
    await first.channels.mute("room", "mia", { lifted: true });
    assertEquals((await second.bus.publish(["channel:room"], draft)).duplicate, false);
  });

  test("a deleted channel takes its history, roles and measures with it, and its name is free", async ({ first, second }) => {
    await first.channels.create("gone", { private: true, owner: "olga" });
    await first.users.setMembership("olga", "gone", true);
    await second.users.setMembership("Pia", "gone", true);
    await first.channels.invite("gone", "pia");
    await first.channels.mute("gone", "pia", { forever: true });
    await first.bus.publish(["channel:gone"], {
      kind: "channel",
      from: "olga",
      to: "gone",
      text: "x",
    });
    assertEquals((await second.channels.remove("gone")).sort(), ["olga", "pia"]);
    for (const user of ["olga", "pia"]) {
      assertEquals(await first.users.memberships(user), [], `${user}'s membership ended with it`);
    }
    assertEquals(await first.channels.exists("gone"), false);
    assertEquals(await first.history.page("channel:gone", { limit: 10 }), []);
    assertEquals(await first.channels.create("gone"), true, "the name is free");
    assertEquals(await second.channels.access("gone", "pia"), { private: false, invited: false });
    assertEquals(await first.channels.list(), ["gone"]);
  });

  test("channels are registered once and listed everywhere", async ({ first, second }) => {
    assertEquals(await first.channels.create("general"), true);
    assertEquals(await second.channels.create("general"), false);
    await second.channels.create("random");
    assertEquals(await first.channels.exists("random"), true);
    assertEquals(await first.channels.exists("nope"), false);
    assertEquals((await first.channels.list()).sort(), ["general", "random"]);
  });

  test(
    "a name in any script is claimed, found in any case or NFD form, and released",
    async ({ first, second }) => {
      const open = (broker: Broker, name: string, sessionId: string, token = sessionId) =>
        broker.users.open({ name, freshTokenHash: token, sessionId, kind: "A", maxSessions: 10 });
      for (
        const [name, other] of [["José", "JOSE\u0301"], ["Straße", "STRASSE"], ["Ελένη", "ΕΛΈΝΗ"]]
      ) {
        assertEquals(await open(first, name, `${name}-1`), {
          status: "claimed",
          user: { name, kind: "A" },
          tokenHash: `${name}-1`,
          firstSession: true,
        });
        assertEquals(await open(second, other, `${name}-2`), { status: "taken" }, other);
        assertEquals(await second.users.lookup(other), { name, kind: "A", online: true }, other);
        assertEquals(await second.users.lookup(name.toLowerCase()), {
          name,
          kind: "A",
          online: true,
        });
      }
      assertEquals(await open(second, "李雷", "li-1"), {
        status: "claimed",
        user: { name: "李雷", kind: "A" },
        tokenHash: "li-1",
        firstSession: true,
      });
      assertEquals((await first.users.online()).sort(), ["José", "Straße", "Ελένη", "李雷"].sort());
      // Released under another form of the name: the claim is the key's.
      await second.users.close("jose\u0301", "José-1");
      assertEquals(await first.users.lookup("José"), undefined);
      assertEquals((await first.users.online()).sort(), ["Straße", "Ελένη", "李雷"].sort());
      assertEquals((await open(second, "JOSÉ", "José-3")).status, "claimed");
      assertEquals(await first.users.lookup("josé"), { name: "JOSÉ", kind: "A", online: true });
      // A different script is a different name, however alike it looks.
      assertEquals((await open(first, "Jоsé", "cyrillic-o")).status, "claimed");
    },
    { reconnectGraceMs: 0 },
  );

  test("channels in any script are registered, listed and keep their history", async ({ first, second }) => {
    const names = ["Général", "my channel", "équipe-été", "李雷的频道", "שלום"];
    for (const name of names) assertEquals(await first.channels.create(name), true, name);
    assertEquals(await second.channels.create("Général"), false);
    for (const name of names) assertEquals(await second.channels.exists(name), true, name);
    assertEquals((await second.channels.list()).sort(), [...names].sort());
    const heard = record(second);
    await second.bus.subscribe("channel:équipe-été");
    const { message } = await say(first, "channel:équipe-été", "Bonjour à tous");
    await heard.until(1);
    assertEquals(heard.deliveries[0].topic, "channel:équipe-été");
    assertEquals(heard.deliveries[0].envelope, { kind: "channel", message });
    assertEquals(message.to, "équipe-été");
    const page = await second.history.page("channel:équipe-été", { limit: 10 });
    assertEquals(page.map((envelope) => envelope.message), [message]);
    const since = await first.history.since("channel:équipe-été", "0000000000000-000000");
    assertEquals(since.envelopes.map((envelope) => envelope.message.text), ["Bonjour à tous"]);
  });

  test("direct messages between users named in any script are kept in both inboxes", async ({ first, second }) => {
    const [jose, zoe, li] = [userKey("José"), userKey("Zoë"), userKey("李雷")];
    const dm = (broker: Broker, from: string, to: string, text: string) =>
      broker.bus.publish([`user:${userKey(to)}`, `user:${userKey(from)}`], {
        kind: "direct",
        from,
        to,
        text,
        senderSession: "S",
      });
    const heard = record(second);
    await second.bus.subscribe(`user:${zoe}`);
    await dm(first, "José", "Zoë", "¡Hola!");
    await dm(second, "Zoë", "José", "Salut");
    await dm(first, "李雷", "Zoë", "你好");
    await heard.until(3);
    assertEquals(heard.deliveries.map(({ topic }) => topic), [
      `user:${zoe}`,
      `user:${zoe}`,
      `user:${zoe}`,
    ]);
    const conversation = await second.history.page(`user:${zoe}`, {
      limit: 10,
      between: [zoe, jose],
    });
    assertEquals(conversation.map((e) => [e.message.from, e.message.to, e.message.text]), [
      ["José", "Zoë", "¡Hola!"],
      ["Zoë", "José", "Salut"],
    ]);
    const fromLi = await first.history.page(`user:${li}`, { limit: 10, between: [li, zoe] });
    assertEquals(fromLi.map((e) => e.message.text), ["你好"]);
    assertEquals((await first.history.page(`user:${jose}`, { limit: 10 })).length, 2);
  });
}
