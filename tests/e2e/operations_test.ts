/**
 * Natter as an operator sees it: JSON log lines by default when stdout is
 * not a terminal, each with a stable event name, covering connects and
 * closes (with their code) and the shutdown, and never a message text, a
 * token or a JWT; a quiet startup in Redis mode; and a graceful shutdown:
 * `/readyz` and upgrades answer 503 at once, commands in flight are answered,
 * sessions close with 1012, and the process exits 0.
 */
import { ask, connect, joinA, joinChannel } from "../support/client.ts";
import { startCluster, untilStatus } from "../support/cluster.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startMain } from "../support/process.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals } from "../support/assert.ts";

const SECRET = "SECRET-c0ffee";

testEachRuntime(
  "operations: JSON log lines by default, an event for each connect, close and shutdown, and no text, token or JWT",
  async (runtime) => {
    // An empty LOG_FORMAT is unset: the default for an output that is not a terminal.
    await using natter = await startMain({
      AUTH_MODE: "jwt",
      JWT_SECRET,
      LOG_LEVEL: "debug",
      LOG_FORMAT: "",
    }, runtime);
    const jwt = await token("alice");
    const alice = await connect(`${natter.ws}?token=${jwt}`);
    const welcome = await alice.take({ type: "sessionID" });
    await joinChannel(alice, "room");
    await ask(alice, { type: "broadcast", to: "room", message: `${SECRET} one` }, "1");
    const said = await ask(alice, { type: "broadcast", to: "room", message: "two" }, "2");
    await ask(alice, { type: "editMessage", to: "room", id: said.id, message: `${SECRET} 2` }, "3");
    await ask(alice, { type: "directMessage", to: "bob", message: `${SECRET} dm` }, "4");
    alice.send(`{"type":"broadcast","to":"room","message":"${SECRET} broken`);
    await alice.take({ type: "error", code: "invalid_json" });
    await ask(alice, { type: "refresh", token: jwt }, "5");
    alice.socket.close(1000, "bye");
    await alice.closed;
    await natter.untilOutput(/"event":"session\.closed"/);
    natter.child.kill("SIGTERM");
    assertEquals((await natter.status).code, 0);

    const output = natter.output();
    for (const secret of [SECRET, jwt, welcome.token].filter(Boolean) as string[]) {
      assertEquals(output.includes(secret), false, `logged: ${secret.slice(0, 20)}…`);
    }
    const lines = output.trim().split("\n").map((line) => JSON.parse(line));
    for (const line of lines) {
      assert(typeof line.time === "string" && typeof line.level === "string", JSON.stringify(line));
      assert(/^[a-z_]+\.[a-z_]+$/.test(line.event), `event name: ${line.event}`);
    }
    const events = lines.map((line) => line.event);
    for (
      const event of [
        "server.listening",
        "session.opened",
        "frame.refused",
        "session.closed",
        "shutdown.started",
        "shutdown.finished",
      ]
    ) {
      assert(events.includes(event), `no ${event} in ${events.join(", ")}`);
    }
    const closed = lines.find((line) => line.event === "session.closed");
    assertEquals([closed.user, closed.kind, closed.code], ["alice", "A", 1000]);
  },
);

Deno.test("operations: an instance starting with Redis logs no warning [deno+node]", async () => {
  await using cluster = await startCluster(2, { LOG_LEVEL: "info" });
  for (const instance of cluster.instances) {
    await instance.untilOutput(/redis\.connected .*connection=subscriber/);
    const warnings = instance.output().split("\n").filter((line) => / (WARN|ERROR) /.test(line));
    assertEquals(warnings, [], "a healthy startup is quiet");
  }
});

testEachRuntime(
  "operations: on SIGTERM /readyz and upgrades answer 503 at once, publishes in flight are acked, sessions close with 1012, and the process exits 0",
  async (runtime) => {
    await using cluster = await startCluster(0);
    await using natter = await startMain({
      REDIS_URL: cluster.redis.url,
      REDIS_PREFIX: `${cluster.prefix}${runtime}:`,
      MAX_QUEUED_FRAMES: "5",
    }, runtime);
    await untilStatus(`${natter.http}/readyz`, 200);
    await using alice = await joinA(natter.ws, "alice");
    await joinChannel(alice, "room");
    // Redis holds every write for a while: the publishes below stay in flight.
    await cluster.redis.client.call("CLIENT", "PAUSE", "1500", "WRITE");
    for (let i = 0; i < 5; i++) {
      alice.send({ type: "broadcast", to: "room", message: `m${i}`, ref: `m${i}` });
    }
    // A full queue is refused at once: the server has read the five, and they are in flight.
    alice.send({ type: "broadcast", to: "room", message: "one too many", ref: "over" });
    assertEquals((await alice.take({ ref: "over" })).code, "rate_limited");
    natter.child.kill("SIGTERM");
    await untilStatus(`${natter.http}/readyz`, 503);
    const upgrade = await fetch(`${natter.http}/ws?username=late`, {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    await upgrade.body?.cancel();
    assertEquals(upgrade.status, 503);
    const acks = await alice.takeMany(5, { type: "ack" }, 20_000);
    assertEquals(acks.map((ack) => ack.ref), ["m0", "m1", "m2", "m3", "m4"]);
    const closed = await alice.closed;
    assertEquals([closed.code, closed.reason], [1012, "server restarting: reconnect"]);
    assertEquals((await natter.status).code, 0);
  },
);

Deno.test("operations: a publish stuck on Redis past the drain does not keep sessions from 1012 [deno]", async () => {
  await using cluster = await startCluster(0);
  await using natter = await startMain({
    REDIS_URL: cluster.redis.url,
    REDIS_PREFIX: `${cluster.prefix}stuck:`,
    SHUTDOWN_TIMEOUT_MS: "1500",
    MAX_QUEUED_FRAMES: "1",
  });
  await untilStatus(`${natter.http}/readyz`, 200);
  await using alice = await joinA(natter.ws, "alice");
  await using bob = await joinA(natter.ws, "bob");
  await joinChannel(alice, "room");
  // Redis holds writes far longer than the shutdown may take.
  await cluster.redis.client.call("CLIENT", "PAUSE", "8000", "WRITE");
  try {
    alice.send({ type: "broadcast", to: "room", message: "stuck", ref: "stuck" });
    alice.send({ type: "broadcast", to: "room", message: "over", ref: "over" });
    assertEquals(
      (await alice.take({ ref: "over" })).code,
      "rate_limited",
      "the first is in flight",
    );
    natter.child.kill("SIGTERM");
    const [closedAlice, closedBob] = await Promise.all([alice.closed, bob.closed]);
    assertEquals([closedAlice.code, closedBob.code], [1012, 1012]);
    assertEquals((await natter.status).code, 0);
  } finally {
    await cluster.redis.client.call("CLIENT", "UNPAUSE");
  }
});

Deno.test("operations: a Redis password, in the URL's user part or its query, never reaches a log line [deno]", async () => {
  await using cluster = await startCluster(0);
  const secret = "hunter2-SECRET-pw";
  const [scheme, rest] = cluster.redis.url.split("//");
  for (const url of [`${cluster.redis.url}/?password=${secret}`, `${scheme}//:${secret}@${rest}`]) {
    await using natter = await startMain({
      REDIS_URL: url,
      REDIS_PREFIX: `${cluster.prefix}pw:`,
      LOG_FORMAT: "json",
    });
    await natter.untilOutput(/redis\.(connected|unreachable)/);
    assertEquals(natter.output().includes(secret), false, natter.output());
  }
});

for (
  const [name, env, runtime] of [
    ["the Node bin", {}, "node"],
    ["Deno with EDGE=ws", { EDGE: "ws" }, "deno"],
    ["Deno's own edge", {}, "deno"],
  ] as const
) {
  Deno.test(`operations: on ${name}, a client still sending during SIGTERM gets 1012`, async () => {
    await using natter = await startMain(env, runtime);
    await using alice = await joinA(natter.ws, "alice");
    await joinChannel(alice, "room");
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending && alice.socket.readyState === WebSocket.OPEN; i++) {
        alice.send({ type: "typing", to: "room", ref: `t${i}` });
        // A turn of the event loop after each frame, as a client that sends as it goes: the
        // socket reads and writes meanwhile. (A burst written after the client's stack has
        // answered the server's close arrives unread at a server that is exiting, whose reset
        // then loses the close for the client.)
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })();
    await alice.seen({ type: "ack", ref: "t200" });
    natter.child.kill("SIGTERM");
    const closed = await alice.closed;
    sending = false;
    await sender;
    assertEquals(closed.code, 1012);
    assertEquals((await natter.status).code, 0);
  });
}
