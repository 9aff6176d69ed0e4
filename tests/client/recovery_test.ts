/**
 * The SDK's zero-loss promise against real faults: a server restarted with
 * Redis (AOF) in the middle of a conversation, a client moved to another
 * instance when its own is SIGKILLed, and a network drop that loses an ack.
 * Each checks the exact sequence the application received: every message
 * sent, once, in order.
 *
 * @module
 */
import { DURABLE_REDIS } from "../support/redis.ts";
import { connect, type NatterClient } from "../../src/client/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { startCluster, untilStatus } from "../support/cluster.ts";
import { startMain } from "../support/process.ts";
import { collect, until } from "./support.ts";
import { startProxy } from "./proxy.ts";

const texts = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `m${from + i}`);

/** Sends `sent` to `channel` one after another, each awaited (the SDK re-sends across faults). */
async function publish(client: NatterClient, channel: string, sent: string[]): Promise<void> {
  for (const text of sent) await client.broadcast(channel, text);
}

Deno.test("client SDK: a server restarted with Redis (AOF) mid-conversation: the exact sequence arrives [deno]", async () => {
  await using cluster = await startCluster(1, {}, DURABLE_REDIS);
  let url = cluster.instances[0].ws;
  const clients: NatterClient[] = [];
  try {
    const alice = connect({ url: () => url, username: "alice" });
    const bob = connect({ url: () => url, username: "bob" });
    clients.push(alice, bob);
    await Promise.all([alice.ready(), bob.ready()]);
    await bob.join("room");
    const got = collect(bob, "message");
    await publish(alice, "room", texts(0, 20));
    const rest = publish(alice, "room", texts(20, 60));
    await until(() => got.length >= 25);
    const old = cluster.instances[0];
    old.child.kill("SIGTERM");
    await old.status;
    await cluster.redis.stop();
    await cluster.redis.start();
    const restarted = await startMain({
      REDIS_URL: cluster.redis.url,
      REDIS_PREFIX: cluster.prefix,
    });
    cluster.instances[0] = restarted;
    await untilStatus(`${restarted.http}/readyz`, 200);
    url = restarted.ws;
    await rest;
    await until(() => got.length >= 60);
    await alice.broadcast("room", "end");
    await until(() => got.at(-1)?.message === "end");
    assertEquals(got.map((m) => m.message), [...texts(0, 60), "end"]);
  } finally {
    for (const client of clients) await client.close();
  }
});

Deno.test("client SDK: a client moved to another instance when its own is SIGKILLed: the exact sequence arrives [deno+node]", async () => {
  await using cluster = await startCluster(2, {}, DURABLE_REDIS);
  const [first, second] = cluster.instances;
  const clients: NatterClient[] = [];
  try {
    const bob = connect({ url: [first.ws, second.ws], username: "bob" });
    const alice = connect({ url: [second.ws, first.ws], username: "alice" });
    clients.push(alice, bob);
    await Promise.all([alice.ready(), bob.ready()]);
    await bob.join("room");
    const got = collect(bob, "message");
    const dms = collect(bob, "directMessage");
    await publish(alice, "room", texts(0, 10));
    const rest = publish(alice, "room", texts(10, 50));
    const directs = (async () => {
      for (const text of texts(0, 30)) await alice.directMessage("bob", text);
    })();
    await until(() => got.length >= 15);
    first.child.kill("SIGKILL");
    await first.status;
    await Promise.all([rest, directs]);
    await until(() => got.length >= 50 && dms.length >= 30);
    await alice.broadcast("room", "end");
    await until(() => got.at(-1)?.message === "end");
    assertEquals(got.map((m) => m.message), [...texts(0, 50), "end"]);
    assertEquals(dms.map((m) => m.message), texts(0, 30));
  } finally {
    for (const client of clients) await client.close();
  }
});

Deno.test("client SDK: a network drop loses an ack: the re-sent frame is a duplicate and shows once [deno]", async () => {
  await using cluster = await startCluster(1, {}, DURABLE_REDIS);
  const instance = cluster.instances[0];
  await using proxy = startProxy(instance.port);
  const clients: NatterClient[] = [];
  try {
    const alice = connect({ url: proxy.ws, username: "alice" });
    const bob = connect({ url: instance.ws, username: "bob" });
    clients.push(alice, bob);
    await Promise.all([alice.ready(), bob.ready()]);
    await bob.join("room");
    await alice.join("room");
    const bobGot = collect(bob, "message");
    const aliceGot = collect(alice, "message");
    const acks = collect(alice, "ack");
    await alice.broadcast("room", "before");
    proxy.hold();
    const sent = alice.broadcast("room", "lost ack");
    await until(() => bobGot.length === 2);
    proxy.cut();
    const id = await sent;
    assertEquals(id, bobGot[1].id);
    assertEquals(acks.at(-1)?.duplicate, true);
    await alice.broadcast("room", "after");
    await until(() => bobGot.length === 3 && aliceGot.length === 3);
    assertEquals(bobGot.map((m) => m.message), ["before", "lost ack", "after"]);
    assertEquals(aliceGot.map((m) => m.message), ["before", "lost ack", "after"]);
  } finally {
    for (const client of clients) await client.close();
  }
});

Deno.test("client SDK: a watched member list is read again on the new instance and stays live [deno+node]", async () => {
  await using cluster = await startCluster(2, {}, DURABLE_REDIS);
  const [first, second] = cluster.instances;
  const clients: NatterClient[] = [];
  try {
    const alice = connect({ url: second.ws, username: "alice" });
    const bob = connect({ url: [first.ws, second.ws], username: "bob" });
    clients.push(alice, bob);
    await Promise.all([alice.ready(), bob.ready()]);
    await alice.join("room");
    await bob.join("room");
    await bob.members("room");
    assertEquals(bob.memberList("room").map((m) => m.name).sort(), ["alice", "bob"]);
    const reread = collect(bob, "members");
    first.child.kill("SIGKILL");
    await first.status;
    await until(() => reread.some((event) => event.channel === "room"));
    // A change after the move reaches the list through the new instance.
    await alice.status("away", "after the move");
    await until(() =>
      bob.memberList("room").some((m) => m.name === "alice" && m.status === "away")
    );
    assertEquals(bob.state, "open");
  } finally {
    for (const client of clients) await client.close();
  }
});
