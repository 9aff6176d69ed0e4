/**
 * History, resume and idempotent publish over real WebSockets: what a client
 * needs to come back and get exactly what it missed.
 */
import { connect, type Frame, joinA, joinChannel, type TestClient } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";

async function say(client: TestClient, channel: string, text: string): Promise<string> {
  client.send({ type: "broadcast", to: channel, message: text, ref: `say-${text}` });
  return (await client.take({ type: "ack", ref: `say-${text}` })).id!;
}

testEachRuntime(
  "history: a channel's messages come back as the broadcast frames delivered, oldest first",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "general");
    for (const text of ["one", "two", "three"]) await say(alice, "general", text);
    const live = await bob.takeMany(3, { type: "broadcast" });
    bob.send({ type: "history", to: "general", ref: "h" });
    const answer = await bob.take({ type: "history" }) as Frame & { messages: unknown[] };
    assertEquals([answer.ref, answer.to], ["h", "general"]);
    assertEquals(answer.messages, live);
  },
);

testEachRuntime(
  "history: paging backwards with before walks the whole history without gaps or repeats",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push(await say(alice, "paged", `m${i}`));
    const walked: string[] = [];
    let before: string | undefined;
    for (let page = 0;; page++) {
      alice.send({
        type: "history",
        to: "paged",
        limit: 5,
        ref: `p${page}`,
        ...(before ? { before } : {}),
      });
      const { messages } = await alice.take({ ref: `p${page}` }) as Frame & { messages: Frame[] };
      if (messages.length === 0) break;
      assert(messages.length <= 5);
      walked.unshift(...messages.map((m) => m.id!));
      before = messages[0].id;
    }
    assertEquals(walked, ids);
  },
);

testEachRuntime(
  "history: with a user gives both sides of that conversation only",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await using carol = await joinA(server.ws, "carol");
    alice.send({ type: "directMessage", to: "bob", message: "hi bob", ref: "1" });
    await alice.take({ ref: "1" });
    bob.send({ type: "directMessage", to: "alice", message: "hi alice", ref: "2" });
    await bob.take({ ref: "2" });
    carol.send({ type: "directMessage", to: "bob", message: "not alice's business", ref: "3" });
    await carol.take({ ref: "3" });
    bob.send({ type: "history", with: "ALICE", ref: "h" });
    const { messages } = await bob.take({ type: "history" }) as Frame & { messages: Frame[] };
    assertEquals(
      messages.map((m) => [m.type, m.from, m.to, m.message]),
      [["directMessage", "alice", "bob", "hi bob"], ["sessionUpdate", "bob", "alice", "hi alice"]],
    );
    alice.send({ type: "history", with: "carol", ref: "h2" });
    assertEquals((await alice.take({ ref: "h2" }) as Frame & { messages: Frame[] }).messages, []);
  },
);

testEachRuntime(
  "history: a request needs exactly one of to and with, and a valid before",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    for (
      const [ref, frame] of [
        ["none", {}],
        ["both", { to: "general", with: "bob" }],
        ["before", { to: "general", before: "yesterday" }],
        ["limit", { to: "general", limit: 101 }],
      ] as const
    ) {
      alice.send({ type: "history", ref, ...frame });
      assertEquals((await alice.take({ ref })).code, "invalid_frame", ref);
    }
  },
);

testEachRuntime(
  "resume: joinChannel with since replays what was missed, marked, then goes live, no gap or repeat",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    const seen = await say(alice, "news", "seen before leaving");
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push(await say(alice, "news", `missed ${i}`));
    await using bob = await joinA(server.ws, "bob");
    // Publishing goes on while bob resumes: nothing may fall between replay and live.
    const publishing = (async () => {
      for (let i = 0; i < 20; i++) await say(alice, "news", `live ${i}`);
    })();
    await joinChannel(bob, "news", seen);
    await publishing;
    const frames = await bob.takeMany(25, { type: "broadcast" });
    const texts = frames.map((f) => f.message);
    assertEquals(texts, [
      ...missed.map((_, i) => `missed ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `live ${i}`),
    ]);
    const ids = frames.map((f) => f.id!);
    assertEquals([...ids].sort(), ids);
    assert(frames.slice(0, 5).every((f) => (f as { replay?: boolean }).replay === true));
    assertEquals(bob.pending({ type: "error" }), []);
  },
);

testEachRuntime(
  "resume: a since older than what is kept says history_truncated and replays what is left",
  async (runtime) => {
    await using server = await startServer(runtime, { HISTORY_LIMIT: "3" });
    await using alice = await joinA(server.ws, "alice");
    const first = await say(alice, "short", "m0");
    for (let i = 1; i < 6; i++) await say(alice, "short", `m${i}`);
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "short", first);
    const warning = bob.received.find((f) => f.type === "error")!;
    assertEquals(warning.code, "history_truncated");
    const replayed = bob.pending({ type: "broadcast" }).map((f) => f.message);
    assertEquals(replayed, ["m3", "m4", "m5"]);
  },
);

testEachRuntime(
  "resume: connecting with since replays the user's direct messages and sessionUpdates",
  async (runtime) => {
    await using server = await startServer(runtime);
    const a1 = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    const token = a1.session.token!;
    // Keep the claim with a second session while the first is away.
    await using keeper = await joinA(server.ws, "alice", token);
    bob.send({ type: "directMessage", to: "alice", message: "before", ref: "0" });
    const seen = (await bob.take({ ref: "0" })).id!;
    await a1.take({ type: "directMessage", message: "before" });
    await a1.close();
    bob.send({ type: "directMessage", to: "alice", message: "while away", ref: "1" });
    await bob.take({ ref: "1" });
    keeper.send({ type: "directMessage", to: "bob", message: "from my other tab", ref: "2" });
    await keeper.take({ ref: "2" });
    await using back = await connect(`${server.ws}?username=alice&token=${token}&since=${seen}`);
    await back.take({ type: "sessionID" });
    const replayed = await back.takeMany(
      2,
      (f) => f.type === "directMessage" || f.type === "sessionUpdate",
    );
    assertEquals(
      replayed.map((f) => [f.type, f.message, (f as { replay?: boolean }).replay]),
      [["directMessage", "while away", true], ["sessionUpdate", "from my other tab", true]],
    );
  },
);

testEachRuntime(
  "dedup: a message re-sent with the same ref is not published again; the ack has the first id",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "general");
    alice.send({ type: "broadcast", to: "general", message: "once", ref: "r1" });
    const first = await alice.take({ type: "ack", ref: "r1" });
    alice.send({ type: "broadcast", to: "general", message: "once", ref: "r1" });
    const second = await alice.take({ type: "ack", ref: "r1" });
    assertEquals([second.id, (second as { duplicate?: boolean }).duplicate], [first.id, true]);
    alice.send({ type: "directMessage", to: "bob", message: "psst", ref: "d1" });
    const dm = await alice.take({ type: "ack", ref: "d1" });
    alice.send({ type: "directMessage", to: "bob", message: "psst", ref: "d1" });
    assertEquals((await alice.take({ type: "ack", ref: "d1" })).id, dm.id);
    await say(alice, "general", "barrier");
    await bob.take({ type: "broadcast", message: "barrier" });
    assertEquals(bob.received.filter((f) => f.message === "once").length, 1);
    assertEquals(bob.received.filter((f) => f.message === "psst").length, 1);
    // The same ref from another user is another message.
    bob.send({ type: "broadcast", to: "general", message: "mine", ref: "r1" });
    assertEquals((await bob.take({ type: "ack", ref: "r1" })).id !== first.id, true);
  },
);

testEachRuntime(
  "history: whoever takes a freed name never reads the previous holder's direct messages",
  async (runtime) => {
    await using server = await startServer(runtime, { RECONNECT_GRACE_MS: "0" });
    const alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    bob.send({ type: "directMessage", to: "alice", message: "my PIN is 1234", ref: "1" });
    await alice.take({ type: "directMessage" });
    await alice.close();
    await using watcher = await connect(`${server.ws}?username=watcher`);
    await watcher.take((f) => f.type === "userList" && !JSON.parse(f.message!).includes("alice"));
    await using mallory = await connect(`${server.ws}?username=alice&since=0000000000000-000000`);
    await mallory.take({ type: "channelList" });
    mallory.send({ type: "history", with: "bob", ref: "h" });
    const { messages } = await mallory.take({ type: "history" }) as Frame & { messages: Frame[] };
    assertEquals(messages, []);
    assertEquals(
      mallory.pending((f) => f.type === "directMessage" || f.type === "sessionUpdate"),
      [],
    );
  },
);

testEachRuntime(
  "dedup: a ref reused for another message (another tab's counter) publishes it",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using tab1 = await joinA(server.ws, "alice");
    await using tab2 = await joinA(server.ws, "alice", tab1.session.token);
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "general");
    tab1.send({ type: "broadcast", to: "general", message: "from tab one", ref: "1" });
    const one = await tab1.take({ type: "ack", ref: "1" });
    tab2.send({ type: "broadcast", to: "general", message: "from tab two", ref: "1" });
    const two = await tab2.take({ type: "ack", ref: "1" });
    assert(one.id !== two.id && (two as { duplicate?: boolean }).duplicate === undefined);
    await bob.take({ message: "from tab one" });
    await bob.take({ message: "from tab two" });
  },
);

testEachRuntime(
  "dedup: retrying a stored direct message after the recipient left gets the original ack",
  async (runtime) => {
    await using server = await startServer(runtime, { RECONNECT_GRACE_MS: "0" });
    await using alice = await joinA(server.ws, "alice");
    const bob = await joinA(server.ws, "bob");
    alice.send({ type: "directMessage", to: "bob", message: "bye", ref: "d" });
    const first = await alice.take({ type: "ack", ref: "d" });
    await bob.close();
    // Bob is gone once a new message to him is refused.
    for (let probe = 0;; probe++) {
      alice.send({ type: "directMessage", to: "bob", message: `probe ${probe}`, ref: `p${probe}` });
      if ((await alice.take({ ref: `p${probe}` })).code === "user_offline") break;
    }
    alice.send({ type: "directMessage", to: "bob", message: "bye", ref: "d" });
    const retry = await alice.take({ ref: "d" });
    assertEquals([retry.type, retry.id, (retry as { duplicate?: boolean }).duplicate], [
      "ack",
      first.id,
      true,
    ]);
  },
);
