/**
 * Distributed mode: three processes on one real Redis, Deno and Node mixed
 * (instances 0 and 2 run `main.ts`, instance 1 the Node build), behave as
 * one server, whichever instance a client lands on.
 */
import { connect, joinA, joinB, joinChannel, names, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { assert, assertEquals } from "../support/assert.ts";

const FAST_LISTS = { LIST_UPDATE_INTERVAL_MS: "100" };

Deno.test("cluster: broadcasts reach every member on every instance once, in one order [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const clients: TestClient[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      clients.push(await joinA(cluster.instances[i % 3].ws, `member${i}`));
    }
    for (const client of clients) await joinChannel(client, "general");
    const perPublisher = 30;
    const publishers = clients.slice(0, 3);
    for (let i = 0; i < perPublisher; i++) {
      for (const publisher of publishers) {
        publisher.send({ type: "broadcast", to: "general", message: `m${i}` });
      }
    }
    const total = perPublisher * publishers.length;
    const orders: string[][] = [];
    for (const client of clients) {
      orders.push((await client.takeMany(total, { type: "broadcast" })).map((f) => f.id!));
    }
    for (const order of orders) assertEquals(order, orders[0]);
    assertEquals([...orders[0]].sort(), orders[0]);
    assertEquals(new Set(orders[0]).size, total);
    // Exactly once: a last message arrives after all of them, with nothing in between.
    clients[5].send({ type: "broadcast", to: "general", message: "last" });
    for (const client of clients) {
      await client.take({ type: "broadcast", message: "last" });
      assertEquals(client.received.filter((f) => f.type === "broadcast").length, total + 1);
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("cluster: direct messages, sessionUpdate and typing cross instances [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const [one, two, three] = cluster.instances;
  await using a1 = await joinA(one.ws, "alice");
  await using a2 = await joinA(two.ws, "alice", a1.session.token);
  await using b1 = await joinA(two.ws, "bob");
  await using b2 = await joinA(three.ws, "bob", b1.session.token);
  a1.send({ type: "directMessage", to: "bob", message: "psst", ref: "d" });
  const ack = await a1.take({ type: "ack", ref: "d" });
  for (const client of [b1, b2]) {
    const frame = await client.take({ type: "directMessage" });
    assertEquals([frame.from, frame.to, frame.message, frame.id], ["alice", "bob", "psst", ack.id]);
  }
  assertEquals((await a2.take({ type: "sessionUpdate" })).id, ack.id);
  a1.send({ type: "typing", to: "bob" });
  for (const client of [b1, b2]) {
    assertEquals((await client.take({ type: "typing" })).from, "alice");
  }
  for (const client of [a1, b2]) await joinChannel(client, "dev");
  b2.send({ type: "typing", to: "dev" });
  assertEquals((await a1.take({ type: "typing", to: "dev" })).from, "bob");
  // Barrier: nothing of the above came back to the sending session.
  a1.send({ type: "broadcast", to: "dev", message: "barrier" });
  await a1.take({ type: "broadcast", message: "barrier" });
  assertEquals(a1.pending((f) => f.type === "directMessage" || f.type === "sessionUpdate"), []);
});

Deno.test("cluster: userList and channelList are cluster-wide [deno+node]", async () => {
  await using cluster = await startCluster(3, FAST_LISTS);
  const [one, two, three] = cluster.instances;
  await using watcher = await joinA(one.ws, "watcher");
  await using bob = await joinA(two.ws, "bob");
  await using carol = await joinA(three.ws, "carol");
  await watcher.take((f) =>
    f.type === "userList" && ["bob", "carol", "watcher"].every((n) => names(f).includes(n))
  );
  carol.send({ type: "createChannel", message: "from-three", ref: "c" });
  await carol.take({ type: "ack", ref: "c" });
  await watcher.take((f) => f.type === "channelList" && names(f).includes("from-three"));
  await bob.close();
  await watcher.take((f) => f.type === "userList" && !names(f).includes("bob"));
});

Deno.test("cluster: the lobby bridges kind-A and kind-B clients across instances [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const [one, two, three] = cluster.instances;
  await using alice = await joinA(three.ws, "alice");
  await joinChannel(alice, "lobby");
  await using bob = await joinB(one.ws, "Bob");
  await using carol = await joinB(two.ws, "Carol");
  await bob.take({ sender: "Server", text: "Carol has joined the chat" });
  await alice.take({ type: "broadcast", from: "Server", message: "Carol has joined the chat" });
  carol.send({ sender: "Carol", text: "hi from two" });
  await bob.take({ sender: "Carol", text: "hi from two" });
  await alice.take({ type: "broadcast", from: "Carol", message: "hi from two" });
  alice.send({ type: "broadcast", to: "lobby", message: "hi from three" });
  await bob.take({ sender: "alice", text: "hi from three" });
  await carol.take({ sender: "alice", text: "hi from three" });
  await carol.close();
  await bob.take({ sender: "Server", text: "Carol has left the chat" });
});

Deno.test("cluster: username claims are cluster-wide; a token works on any instance [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const [one, two, three] = cluster.instances;
  await using alice = await joinA(one.ws, "alice");
  await using impostor = await connect(`${two.ws}?username=ALICE`);
  assertEquals((await impostor.take({ type: "error" })).code, "username_taken");
  await using second = await joinA(three.ws, "alice", alice.session.token);
  assertEquals(second.session.username, "alice");
  await using byToken = await connect(`${two.ws}?token=${alice.session.token}`);
  assertEquals((await byToken.take({ type: "sessionID" })).username, "alice");
});

Deno.test("cluster: clients racing for one name on different instances: exactly one wins [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const racers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => connect(`${cluster.instances[i % 3].ws}?username=prize`)),
  );
  try {
    const outcomes = await Promise.all(
      racers.map((racer) => racer.take((f) => f.type === "sessionID" || f.type === "error")),
    );
    assertEquals(
      outcomes.filter((f) => f.type === "sessionID").length,
      1,
      JSON.stringify(outcomes),
    );
    assertEquals(
      outcomes.filter((f) => f.code === "username_taken").length,
      11,
      JSON.stringify(outcomes.map((f) => [f.code, f.message])),
    );
  } finally {
    await Promise.all(racers.map((racer) => racer.close()));
  }
});

Deno.test("cluster: one subscription per instance with local members, no patterns, every key prefixed [deno+node]", async () => {
  await using cluster = await startCluster(3);
  const [one, two] = cluster.instances;
  const redis = cluster.redis.client;
  const topic = `${cluster.prefix}channel:general`;
  const subscribers = async () => ((await redis.pubsub("NUMSUB", topic)) as [string, number])[1];
  await using a = await joinA(one.ws, "a");
  await using b = await joinA(one.ws, "b");
  await using c = await joinA(two.ws, "c");
  for (const client of [a, b, c]) await joinChannel(client, "general");
  assertEquals(await subscribers(), 2, "two instances have members, the third none");
  c.send({ type: "leaveChannel", to: "general", ref: "l" });
  await c.take({ type: "ack", ref: "l" });
  assertEquals(await subscribers(), 1);
  a.send({ type: "leaveChannel", to: "general", ref: "l" });
  await a.take({ type: "ack", ref: "l" });
  assertEquals(await subscribers(), 1, "b is still a member on the first instance");
  assertEquals(await redis.call("PUBSUB", "NUMPAT"), 0);
  const keys = await redis.keys("*");
  assert(keys.length > 0);
  assertEquals(keys.filter((key) => !key.startsWith(cluster.prefix)), []);
  const channels = (await redis.pubsub("CHANNELS", "*")) as string[];
  assertEquals(channels.filter((channel) => !channel.startsWith(cluster.prefix)), []);
});

Deno.test("cluster: a SIGKILLed instance's users go offline within the presence TTL and keep their names [deno+node]", async () => {
  await using cluster = await startCluster(2, { ...FAST_LISTS, PRESENCE_TTL_MS: "1500" });
  const [one, two] = cluster.instances;
  await using watcher = await joinA(one.ws, "watcher");
  await using doomed = await joinA(two.ws, "doomed");
  await watcher.take((f) => f.type === "userList" && names(f).includes("doomed"));
  two.child.kill("SIGKILL");
  await doomed.closed;
  // TTL plus one list interval, with a generous margin for a loaded machine.
  await watcher.take(
    (f) => f.type === "userList" && !names(f).includes("doomed"),
    1500 + 100 + 5000,
  );
  // Offline, but the name is held for the reconnect grace: a stranger is refused, the token rejoins.
  await using stranger = await connect(`${one.ws}?username=doomed`);
  assertEquals((await stranger.take({ type: "error" })).code, "username_taken");
  await using again = await joinA(one.ws, "doomed", doomed.session.token);
  assertEquals([again.session.username, again.session.token], ["doomed", doomed.session.token]);
});
