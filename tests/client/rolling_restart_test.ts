/**
 * A rolling restart as an orchestrator does it, with clients on the SDK:
 * three instances on one Redis, each SIGTERMed in turn (it drains, closes
 * its sessions with 1012 and exits 0) and started again on its port while
 * four users keep chatting. Every acknowledged message reaches every user
 * exactly once, in the room's order.
 */
import type { NatterClient } from "../../src/client/mod.ts";
import { startCluster, untilStatus } from "../support/cluster.ts";
import { startMain } from "../support/process.ts";
import { DURABLE_REDIS } from "../support/redis.ts";
import { RUNTIMES } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { clientPool, collect, until } from "./support.ts";

Deno.test("client SDK: a rolling restart of three instances under steady chat loses no acked message and shows none twice [deno+node]", async () => {
  await using cluster = await startCluster(3, { LOG_LEVEL: "warn" }, DURABLE_REDIS);
  const instances = [...cluster.instances];
  const urls = instances.map((instance) => instance.ws);
  await using clients = clientPool();
  const names = ["alice", "bob", "carol", "dave"];
  const users: NatterClient[] = names.map((username, i) =>
    // Each starts on another instance, and moves on to the next when its own restarts.
    clients.connect({ url: [...urls.slice(i % 3), ...urls.slice(0, i % 3)], username })
  );
  await Promise.all(users.map((user) => user.ready()));
  for (const user of users) await user.join("room");
  const received = users.map((user) => collect(user, "message"));

  const acked = new Set<string>();
  let talking = true;
  const chatting = users.map(async (user, u) => {
    for (let i = 0; talking; i++) {
      acked.add(await user.broadcast("room", `${names[u]} ${i}`));
    }
  });
  const ackedSoon = async (more: number) => {
    const target = acked.size + more;
    await until(() => acked.size >= target);
  };

  await ackedSoon(20);
  for (let i = 0; i < instances.length; i++) {
    const old = instances[i];
    old.child.kill("SIGTERM");
    assertEquals((await old.status).code, 0, `instance ${i} exits 0`);
    instances[i] = await startMain({
      REDIS_URL: cluster.redis.url,
      REDIS_PREFIX: cluster.prefix,
      LOG_LEVEL: "warn",
      PORT: String(old.port),
    }, RUNTIMES[i % RUNTIMES.length]);
    cluster.instances.push(instances[i]);
    await untilStatus(`${instances[i].http}/readyz`, 200);
    await ackedSoon(20);
  }
  talking = false;
  await Promise.all(chatting);

  for (const [u, messages] of received.entries()) {
    const ids = () => new Set(messages.map((message) => message.id));
    await until(() => [...acked].every((id) => ids().has(id)));
    const order = messages.map((message) => message.id);
    assertEquals(new Set(order).size, order.length, `${names[u]} saw a message twice`);
    assertEquals([...order].sort(), order, `${names[u]} saw messages out of order`);
    assert(order.length >= acked.size, `${names[u]} has every acked message`);
  }
});
