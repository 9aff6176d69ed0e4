/**
 * A rolling deploy, proven with real processes and a real redis-server with
 * AOF: three instances (Deno, Node, Deno) are restarted one after another
 * with SIGTERM while six users exchange channel messages and direct
 * messages. Each user reconnects with its token and `since` to an instance
 * that is up, rejoins its channel with `since`, and re-sends what was not
 * acknowledged with the same `ref`. Every acknowledged message, direct
 * messages sent while their recipient was between instances included,
 * reaches every recipient exactly once and in order.
 */
import { connect, type Frame, type TestClient } from "../support/client.ts";
import { startCluster, untilStatus } from "../support/cluster.ts";
import { type NatterProcess, startMain } from "../support/process.ts";
import { RUNTIMES } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";

const ROOM = "deploy";
const USERS = 6;

/** One user: its connection of the moment, what it sent, and what it got. */
interface User {
  name: string;
  token: string;
  client: TestClient;
  /** Sent and not yet acknowledged, by ref: re-sent after a reconnect. */
  unacked: Map<string, Record<string, unknown>>;
  /** Every frame received, over all connections. */
  got: Frame[];
  /** How many connections it had (one per instance it was moved from, plus one). */
  connections: number;
}

Deno.test("rolling restart: three instances SIGTERMed in turn; every acked message reaches everyone once, in order [deno+node]", async () => {
  await using cluster = await startCluster(3, { LIST_UPDATE_INTERVAL_MS: "500" }, [
    "--appendonly",
    "yes",
  ]);
  const instances: NatterProcess[] = [...cluster.instances];
  const up = new Set(instances);
  const channelAcks = new Set<string>();
  const dmAcks = new Map<string, Set<string>>();
  const users: User[] = [];

  /** The id of the newest frame of `kind` the user got (where a resume starts). */
  const lastId = (user: User, match: (f: Frame) => boolean) =>
    user.got.filter(match).map((f) => f.id!).sort().at(-1);

  function track(user: User, client: TestClient): void {
    user.client = client;
    // What arrived before this listener (the replay may come with the handshake) counts too.
    user.got.push(...client.received);
    client.socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      user.got.push(frame);
      if (frame.type !== "ack" || !frame.ref) return;
      const sent = user.unacked.get(frame.ref);
      user.unacked.delete(frame.ref);
      if (sent?.type === "broadcast") channelAcks.add(frame.id);
      if (sent?.type === "directMessage") dmAcks.get(sent.to as string)!.add(frame.id);
    });
  }

  /** Connects `user` to a live instance; `resume` gives the since of its inbox and channel. */
  async function connectUser(user: User, instance: NatterProcess, resume: boolean): Promise<void> {
    const sinceDm = lastId(user, (f) => f.type === "directMessage");
    const sinceRoom = lastId(user, (f) => f.type === "broadcast");
    const query = resume
      ? `token=${user.token}${sinceDm ? `&since=${sinceDm}` : "&since=0000000000000-000000"}`
      : `username=${user.name}`;
    const client = await connect(`${instance.ws}?${query}`);
    user.connections++;
    const welcome = await client.take({ type: "sessionID" });
    user.token = welcome.token!;
    await client.take({ type: "memberships" });
    track(user, client);
    const ref = `join-${user.connections}`;
    client.send({
      type: "joinChannel",
      to: ROOM,
      ref,
      ...(sinceRoom ? { since: sinceRoom } : {}),
    });
    await client.take({ type: "ack", ref });
    for (const [resent, frame] of user.unacked) client.send({ ...frame, ref: resent });
  }

  const firstUp = () => [...up][0];
  for (let i = 0; i < USERS; i++) {
    const name = `user${i}`;
    dmAcks.set(name, new Set());
    const user: User = {
      name,
      token: "",
      client: undefined as unknown as TestClient,
      unacked: new Map(),
      got: [],
      connections: 0,
    };
    users.push(user);
    await connectUser(user, instances[i % instances.length], false);
  }

  // Traffic: every 30 ms each user broadcasts, and every third tick sends a direct message to
  // the next user, whichever instance either is on (or between).
  let tick = 0;
  const traffic = setInterval(() => {
    tick++;
    for (const [i, user] of users.entries()) {
      if (user.client.socket.readyState !== WebSocket.OPEN) continue;
      const frames: Record<string, unknown>[] = [
        { type: "broadcast", to: ROOM, message: `${user.name} ${tick}` },
      ];
      if (tick % 3 === 0) {
        const to = users[(i + 1) % USERS].name;
        frames.push({ type: "directMessage", to, message: `${user.name}→${to} ${tick}` });
      }
      for (const [n, frame] of frames.entries()) {
        const ref = `${user.name}-${tick}-${n}`;
        user.unacked.set(ref, frame);
        user.client.send({ ...frame, ref });
      }
    }
  }, 30);

  try {
    for (let k = 0; k < instances.length; k++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stopping = instances[k];
      up.delete(stopping);
      const moved = users.filter((user) => user.client.socket.url.startsWith(stopping.ws));
      stopping.child.kill("SIGTERM");
      // 1012, or a reset when the process ended with the client's last frames unread.
      for (const user of moved) assert([1012, 1006, 0].includes((await user.client.closed).code));
      await stopping.status;
      // Between instances for a moment, as behind a load balancer, then back on another one.
      for (const user of moved) await connectUser(user, firstUp(), true);
      const restarted = await startMain({
        REDIS_URL: cluster.redis.url,
        REDIS_PREFIX: cluster.prefix,
        LOG_LEVEL: "warn",
      }, RUNTIMES[k % RUNTIMES.length]);
      await untilStatus(`${restarted.http}/readyz`, 200);
      instances[k] = restarted;
      up.add(restarted);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    clearInterval(traffic);
  }

  // Everything sent is answered: acknowledged (or refused, which the test never provokes).
  const deadline = Date.now() + 30_000;
  while (users.some((user) => user.unacked.size > 0)) {
    assert(Date.now() < deadline, "some messages were never acknowledged");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  /** What each user still lacks, for the failure message. */
  const missing = () =>
    JSON.stringify(
      users.map((user) => {
        const ids = new Set(user.got.map((f) => f.id));
        return {
          user: user.name,
          connections: user.connections,
          room: [...channelAcks].filter((id) => !ids.has(id)),
          dms: [...dmAcks.get(user.name)!].filter((id) => !ids.has(id)),
        };
      }).filter((lack) => lack.room.length + lack.dms.length > 0),
    );
  // Every acknowledged message reaches every recipient: the room everyone, a DM its recipient.
  const complete = () =>
    users.every((user) => {
      const ids = new Set(user.got.map((f) => f.id));
      return [...channelAcks].every((id) => ids.has(id)) &&
        [...dmAcks.get(user.name)!].every((id) => ids.has(id));
    });
  while (!complete()) {
    assert(Date.now() < deadline, `acknowledged messages never arrived: ${missing()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const user of users) {
    for (const type of ["broadcast", "directMessage"]) {
      const ids = user.got.filter((f) => f.type === type).map((f) => f.id!);
      assertEquals(new Set(ids).size, ids.length, `${user.name}: a ${type} arrived twice`);
      assertEquals([...ids].sort(), ids, `${user.name}: ${type}s out of order`);
    }
  }
  const moves = users.reduce((sum, user) => sum + user.connections - 1, 0);
  assert(moves >= USERS, `every user moved at least once (${moves} moves)`);
  assert(channelAcks.size > 200 && [...dmAcks.values()].every((ids) => ids.size > 10));
  for (const user of users) await user.client.close();
  for (const instance of instances) {
    if (!cluster.instances.includes(instance)) await instance[Symbol.asyncDispose]();
  }
});
