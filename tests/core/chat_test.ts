/**
 * The chat core without a network: sessions on recording connections, over
 * the in-memory broker. Covers what the wire cannot provoke on demand:
 * teardown twice, a client leaving mid-claim, a full command queue, and a
 * broker that fails.
 */
import { type Broker, type BrokerEvents, BrokerUnavailableError } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { type Chat, type ChatOptions, createChat } from "../../src/core/chat.ts";
import type { Connection, ConnectionEvents } from "../../src/core/connection.ts";
import type { Logger } from "../../src/log.ts";
import type { Frame } from "../support/client.ts";
import { assertEquals } from "../support/assert.ts";
import { eventually, microtasksDrained } from "../support/sessions.ts";

interface Recorded extends Connection {
  frames: Frame[];
  closedWith?: { code: number; reason: string };
  /** Resolves when the core closes the connection. */
  closing: Promise<{ code: number; reason: string }>;
  events: ConnectionEvents;
  /** Waits until a frame matching `match` has been sent (all keys equal). */
  until(match: Partial<Frame>): Promise<Frame>;
}

function open(
  chat: Chat,
  query: Record<string, string> | "B",
  options: { brokenSend?: boolean } = {},
): Recorded {
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let closed: (how: { code: number; reason: string }) => void = () => {};
  const connection: Recorded = {
    frames,
    closing: new Promise((resolve) => closed = resolve),
    bufferedAmount: 0,
    events: undefined as unknown as ConnectionEvents,
    send(text) {
      if (options.brokenSend) throw new Error("broken edge");
      frames.push(JSON.parse(text));
      for (const wake of waiters) wake();
    },
    close(code, reason) {
      connection.closedWith = { code, reason };
      closed({ code, reason });
    },
    until(match) {
      const found = () =>
        frames.find((f) =>
          Object.entries(match).every(([k, v]) => (f as Record<string, unknown>)[k] === v)
        );
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No frame ${JSON.stringify(match)} in ${JSON.stringify(frames)}`));
        }, 5000);
        function check() {
          const frame = found();
          if (!frame) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(frame);
        }
        waiters.add(check);
        check();
      });
    },
  };
  connection.events = chat.accept(
    connection,
    query === "B" ? { kind: "B" } : { kind: "A", ...query },
  );
  return connection;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The command queue's bound in these tests. */
const MAX_QUEUED_FRAMES = 64;

/** Options for a core with generous limits and a silent log. */
function chatOptions(broker: Broker, listUpdateIntervalMs = 1000): ChatOptions {
  return {
    broker,
    log: silent,
    lobbyChannel: "lobby",
    nameScriptRestriction: "moderately-restrictive",
    listUpdateIntervalMs,
    listMaxNames: 200,
    listBytesPerSecond: 1_000_000,
    presenceEventsMaxMembers: 1000,
    maxMessageChars: 100,
    maxDataBytes: 4096,
    maxFrameBytes: 4096,
    slowConsumerBytes: 1_048_576,
    rateMessagesPerSecond: 1_000_000,
    rateBurst: 1_000_000,
    maxQueuedFrames: MAX_QUEUED_FRAMES,
    maxChannelsPerSession: 100,
    maxSessionsPerUser: 10,
    channelCreationsPerMinute: 1_000_000,
    messageChangesPerMinute: 1_000_000,
    editWindowSeconds: 86_400,
    maxReactionsPerMessage: 20,
    readReceiptsMaxMembers: 50,
    allowAnonymousLobby: false,
    sharedUsernames: false,
  };
}

async function withChat(
  broker: Broker,
  fn: (chat: Chat) => Promise<void>,
  listUpdateIntervalMs = 1000,
): Promise<void> {
  const chat = createChat(chatOptions(broker, listUpdateIntervalMs));
  await chat.start();
  try {
    await fn(chat);
  } finally {
    await chat.shutdown();
    await broker.close();
  }
}

Deno.test("core: a close reported twice tears the session down once", async () => {
  const broker = createMemoryBroker();
  await withChat(broker, async (chat) => {
    const alice = open(chat, "B");
    alice.events.text(JSON.stringify({ sender: "Alice", text: "" }));
    await alice.until({ text: "Alice has joined the chat" });
    const bob = open(chat, "B");
    bob.events.text(JSON.stringify({ sender: "Bob", text: "" }));
    await alice.until({ text: "Bob has joined the chat" });
    bob.events.closed();
    bob.events.closed();
    await alice.until({ text: "Bob has left the chat" });
    alice.events.text(JSON.stringify({ sender: "Alice", text: "barrier" }));
    await alice.until({ text: "barrier" });
    assertEquals(alice.frames.filter((f) => f.text === "Bob has left the chat").length, 1);
    assertEquals(await broker.users.online(), ["Alice"]);
    assertEquals(chat.sessionCount(), 1);
  });
});

Deno.test("core: a client gone before its claim completes leaves no claim behind", async () => {
  const broker = createMemoryBroker();
  await withChat(broker, async (chat) => {
    const ghost = open(chat, { username: "ghost" });
    ghost.events.closed();
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    assertEquals(await broker.users.online(), ["alice"]);
    assertEquals(ghost.frames, []);
  });
});

/** The memory broker with publishes held until `release` is called. */
function gated(inner: Broker): { broker: Broker; release(): void } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const bus = {
    ...inner.bus,
    publish: async (...args: Parameters<Broker["bus"]["publish"]>) => {
      await gate;
      return inner.bus.publish(...args);
    },
  };
  return { broker: { ...inner, bus }, release: () => release() };
}

Deno.test("core: frames beyond the command queue are refused with rate_limited", async () => {
  const { broker, release } = gated(createMemoryBroker());
  await withChat(broker, async (chat) => {
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    await microtasksDrained();
    const total = MAX_QUEUED_FRAMES + 6;
    for (let i = 0; i < total; i++) {
      alice.events.text(
        JSON.stringify({ type: "broadcast", to: "x", message: `${i}`, ref: `r${i}` }),
      );
    }
    const limited = alice.frames.filter((f) => f.code === "rate_limited").map((f) => f.ref);
    assertEquals(limited, ["r64", "r65", "r66", "r67", "r68", "r69"]);
    release();
    await alice.until({ type: "ack", ref: `r${MAX_QUEUED_FRAMES - 1}` });
    assertEquals(alice.frames.filter((f) => f.type === "ack").length, MAX_QUEUED_FRAMES);
  });
});

/** `inner`, with the result of its first publish held back until `release`; it is stamped at once. */
function holdingFirstPublish(inner: Broker) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const calls: string[] = [];
  const bus = {
    ...inner.bus,
    publish: (...args: Parameters<Broker["bus"]["publish"]>) => {
      const published = inner.bus.publish(...args);
      calls.push(args[1].text);
      return calls.length === 1 ? gate.then(() => published) : published;
    },
  };
  return { broker: { ...inner, bus }, calls, release: () => release() };
}

Deno.test("core: a session's next publish starts before its first resolves; answers keep frame order", async () => {
  const { broker, calls, release } = holdingFirstPublish(createMemoryBroker());
  await withChat(broker, async (chat) => {
    const bob = open(chat, { username: "bob" });
    await bob.until({ type: "channelList" });
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    await microtasksDrained();
    const frames = [
      { type: "broadcast", to: "x", message: "one", ref: "1" },
      { type: "directMessage", to: "bob", message: "two", ref: "2" },
      { type: "broadcast", to: "x", message: "three", ref: "3" },
      { type: "joinChannel", to: "y", ref: "4" },
      { type: "broadcast", to: "y", message: "five", ref: "5" },
    ];
    for (const frame of frames) alice.events.text(JSON.stringify(frame));
    // The publishes after the held one reach the broker; the join waits for them all to finish.
    await eventually(() => calls.length >= 3, "the publishes behind the held one");
    await microtasksDrained();
    assertEquals(calls, ["one", "two", "three"]);
    assertEquals(alice.frames.filter((f) => f.ref !== undefined), []);
    release();
    await alice.until({ type: "ack", ref: "5" });
    const answers = alice.frames.filter((f) => f.ref !== undefined);
    assertEquals(answers.map((f) => [f.type, f.ref]), frames.map((f) => ["ack", f.ref]));
    assertEquals(calls, ["one", "two", "three", "five"]);
    const ids = answers.filter((f) => f.id !== undefined).map((f) => f.id!);
    assertEquals([...ids].sort(), ids, "ids in frame order");
  });
});

Deno.test("core: a broker that cannot publish gets unavailable, never a silent drop", async () => {
  const inner = createMemoryBroker();
  const failing: Broker = {
    ...inner,
    bus: {
      ...inner.bus,
      publish: () => Promise.reject(new BrokerUnavailableError("connection refused")),
    },
  };
  await withChat(failing, async (chat) => {
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    alice.events.text(JSON.stringify({ type: "broadcast", to: "x", message: "hi", ref: "b1" }));
    const error = await alice.until({ type: "error", ref: "b1" });
    assertEquals(error.code, "unavailable");
    alice.events.text(JSON.stringify({ type: "joinChannel", to: "y", ref: "j1" }));
    await alice.until({ type: "ack", ref: "j1" });
  });
});

Deno.test("core: an unexpected fault answers internal_error and the session goes on", async () => {
  const inner = createMemoryBroker();
  let broken = false;
  const faulty: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      create: (name) => broken ? Promise.reject(new TypeError("bug")) : inner.channels.create(name),
    },
  };
  await withChat(faulty, async (chat) => {
    broken = true;
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    alice.events.text(JSON.stringify({ type: "joinChannel", to: "x", ref: "j1" }));
    assertEquals((await alice.until({ type: "error", ref: "j1" })).code, "internal_error");
    broken = false;
    alice.events.text(JSON.stringify({ type: "joinChannel", to: "x", ref: "j2" }));
    await alice.until({ type: "ack", ref: "j2" });
  });
});

Deno.test("core: shutdown closes every session with 1012 and releases its claim", async () => {
  const broker = createMemoryBroker();
  let alice: Recorded | undefined;
  await withChat(broker, async (chat) => {
    alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
  });
  assertEquals(alice?.closedWith?.code, 1012);
});

Deno.test("core: a connection accepted once shutdown began is closed with 1012, no session", async () => {
  const broker = createMemoryBroker();
  const chat = createChat(chatOptions(broker));
  await chat.start();
  await chat.shutdown();
  const late = open(chat, { username: "late" });
  assertEquals((await late.closing).code, 1012);
  assertEquals([late.frames, chat.sessionCount()], [[], 0]);
  await broker.close();
});

Deno.test("core: shutdown waits for a claim in flight and releases it before resolving", async () => {
  const inner = createMemoryBroker();
  let claimStarted = () => {};
  const started = new Promise<void>((resolve) => claimStarted = resolve);
  let releaseClaim = () => {};
  const held = new Promise<void>((resolve) => releaseClaim = resolve);
  const broker: Broker = {
    ...inner,
    users: {
      ...inner.users,
      open: async (...args) => {
        claimStarted();
        await held;
        return inner.users.open(...args);
      },
    },
  };
  const chat = createChat(chatOptions(broker));
  await chat.start();
  open(chat, { username: "alice" });
  await started;
  const stopped = chat.shutdown();
  releaseClaim();
  await stopped;
  assertEquals(await inner.users.online(), [], "the late claim was released before shutdown ended");
  await broker.close();
});

Deno.test("core: a connection that throws is closed with 1011; the process and others go on", async () => {
  const broker = createMemoryBroker();
  await withChat(broker, async (chat) => {
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    const broken = open(chat, { username: "broken" }, { brokenSend: true });
    broken.events.text(JSON.stringify({ type: "joinChannel", to: "x" }));
    assertEquals((await broken.closing).code, 1011);
    alice.events.text(
      JSON.stringify({ type: "directMessage", to: "broken", message: "hi", ref: "d" }),
    );
    // Broken is offline but holds the name for the reconnect grace: the message waits for it.
    assertEquals((await alice.until({ ref: "d" })).type, "ack");
    alice.events.text(
      JSON.stringify({ type: "broadcast", to: "x", message: "still here", ref: "b" }),
    );
    await alice.until({ type: "ack", ref: "b" });
  });
});

/** A gate that holds calls until opened. */
function gate(): { wait(): Promise<void>; open(): void; close(): void } {
  let opened = Promise.resolve();
  let release = () => {};
  return {
    wait: () => opened,
    open: () => release(),
    close() {
      opened = new Promise((resolve) => release = resolve);
    },
  };
}

Deno.test("core: sessionID is the first frame even when subscribing is slow", async () => {
  const inner = createMemoryBroker();
  const subscribing = gate();
  const slow: Broker = {
    ...inner,
    bus: {
      ...inner.bus,
      subscribe: async (topic) => {
        await subscribing.wait();
        return inner.bus.subscribe(topic);
      },
    },
  };
  await withChat(slow, async (chat) => {
    subscribing.close();
    const alice = open(chat, { username: "alice" });
    // A list update arrives while the subscription is still pending...
    await alice.until({ type: "userList" });
    subscribing.open();
    await alice.until({ type: "channelList" });
    // ...but never before sessionID.
    assertEquals(alice.frames[0].type, "sessionID");
  }, 20);
});

Deno.test("core: a kind-B client gone during registration is never announced", async () => {
  const inner = createMemoryBroker();
  const creating = gate();
  const slow: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      // What a join asks the registry: held, the lobby join is in flight.
      access: async (name, user) => {
        await creating.wait();
        return inner.channels.access(name, user);
      },
    },
  };
  await withChat(slow, async (chat) => {
    const watcher = open(chat, "B");
    watcher.events.text(JSON.stringify({ sender: "Watcher", text: "" }));
    await watcher.until({ text: "Watcher has joined the chat" });
    creating.close();
    const ghost = open(chat, "B");
    ghost.events.text(JSON.stringify({ sender: "Ghost", text: "first words" }));
    await microtasksDrained();
    ghost.events.closed();
    creating.open();
    watcher.events.text(JSON.stringify({ sender: "Watcher", text: "barrier" }));
    await watcher.until({ text: "barrier" });
    assertEquals(
      watcher.frames.filter((f) => f.text?.includes("Ghost") || f.sender === "Ghost"),
      [],
    );
    assertEquals(await inner.users.online(), ["Watcher"]);
  });
});

Deno.test("core: a live copy arriving after its replay is not sent twice", async () => {
  const inner = createMemoryBroker();
  const delivering = gate();
  let events: BrokerEvents = { deliver() {}, revoked() {}, expired() {} };
  // Deliveries wait at the gate, as a Redis subscriber connection may lag the command connection.
  inner.onEvents({
    deliver(topic, envelope) {
      delivering.wait().then(() => events.deliver(topic, envelope));
    },
    revoked: (sessionId) => events.revoked(sessionId),
    expired: (names) => events.expired(names),
  });
  const lagging: Broker = { ...inner, onEvents: (handler) => events = handler };
  await withChat(lagging, async (chat) => {
    const alice = open(chat, { username: "alice" });
    await alice.until({ type: "channelList" });
    alice.events.text(JSON.stringify({ type: "joinChannel", to: "news", ref: "j" }));
    await alice.until({ type: "ack", ref: "j" });
    delivering.close();
    alice.events.text(
      JSON.stringify({ type: "broadcast", to: "news", message: "first", ref: "b1" }),
    );
    const first = await alice.until({ type: "ack", ref: "b1" });
    const bob = open(chat, { username: "bob" });
    await bob.until({ type: "channelList" });
    alice.events.text(
      JSON.stringify({ type: "broadcast", to: "news", message: "second", ref: "b2" }),
    );
    await alice.until({ type: "ack", ref: "b2" });
    bob.events.text(JSON.stringify({ type: "joinChannel", to: "news", since: first.id, ref: "r" }));
    await bob.until({ type: "ack", ref: "r" });
    delivering.open();
    alice.events.text(
      JSON.stringify({ type: "broadcast", to: "news", message: "third", ref: "b3" }),
    );
    await bob.until({ message: "third" });
    assertEquals(bob.frames.filter((f) => f.type === "broadcast").map((f) => f.message), [
      "second",
      "third",
    ]);
  });
});

Deno.test("core: a resume whose history read fails leaves no half-joined channel", async () => {
  const inner = createMemoryBroker();
  let failing = true;
  const flaky: Broker = {
    ...inner,
    history: {
      ...inner.history,
      since: (topic, after) =>
        failing
          ? Promise.reject(new BrokerUnavailableError("down"))
          : inner.history.since(topic, after),
    },
  };
  await withChat(flaky, async (chat) => {
    const alice = open(chat, { username: "alice" });
    const bob = open(chat, { username: "bob" });
    await alice.until({ type: "channelList" });
    await bob.until({ type: "channelList" });
    bob.events.text(
      JSON.stringify({ type: "joinChannel", to: "news", since: "0000000000000-000000", ref: "r1" }),
    );
    assertEquals((await bob.until({ ref: "r1" })).code, "unavailable");
    alice.events.text(
      JSON.stringify({ type: "broadcast", to: "news", message: "missed", ref: "b" }),
    );
    await alice.until({ type: "ack", ref: "b" });
    failing = false;
    bob.events.text(
      JSON.stringify({ type: "joinChannel", to: "news", since: "0000000000000-000000", ref: "r2" }),
    );
    await bob.until({ type: "ack", ref: "r2" });
    const got = bob.frames.filter((f) => f.type === "broadcast");
    assertEquals(got.map((f) => [f.message, (f as { replay?: boolean }).replay]), [[
      "missed",
      true,
    ]]);
  });
});
