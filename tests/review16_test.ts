/**
 * Review repros for issue 16 (logs, shutdown, metrics). Each test states the
 * behaviour the issue asks for; a failure is a finding.
 */
import { joinA, joinChannel } from "./support/client.ts";
import { startCluster, untilStatus } from "./support/cluster.ts";
import { startMain } from "./support/process.ts";
import { assertEquals } from "./support/assert.ts";
import { createLogger } from "../src/log.ts";

Deno.test("review16: Redis holding writes past SHUTDOWN_TIMEOUT_MS still closes sessions with 1012", async () => {
  await using cluster = await startCluster(0);
  await using natter = await startMain({
    REDIS_URL: cluster.redis.url,
    REDIS_PREFIX: `${cluster.prefix}hang:`,
    SHUTDOWN_TIMEOUT_MS: "1500",
  });
  await untilStatus(`${natter.http}/readyz`, 200);
  await using alice = await joinA(natter.ws, "alice");
  await using bob = await joinA(natter.ws, "bob");
  await joinChannel(alice, "room");
  await cluster.redis.client.call("CLIENT", "PAUSE", "6000", "WRITE");
  try {
    alice.send({ type: "broadcast", to: "room", message: "stuck", ref: "s" });
    await new Promise((r) => setTimeout(r, 200));
    const began = performance.now();
    natter.child.kill("SIGTERM");
    const [a, b] = await Promise.all([alice.closed, bob.closed]);
    const status = await natter.status;
    const ms = performance.now() - began;
    console.log({ alice: a, bob: b, exit: status.code, ms: Math.round(ms) });
    console.log(natter.output().split("\n").filter((l) => /shutdown/.test(l)).join("\n"));
    assertEquals([b.code, a.code], [1012, 1012], "bob never published, yet does not get 1012");
  } finally {
    await cluster.redis.client.call("CLIENT", "UNPAUSE").catch(() => {});
  }
});

Deno.test("review16: a password given as ?password= in REDIS_URL reaches the log", async () => {
  await using cluster = await startCluster(0);
  const secret = "hunter2-SECRET-pw";
  await using natter = await startMain({
    REDIS_URL: `${cluster.redis.url}/?password=${secret}`,
    REDIS_PREFIX: `${cluster.prefix}pw:`,
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
  });
  await natter.untilOutput(/redis\.connected/);
  const leaked = natter.output().split("\n").filter((line) => line.includes(secret));
  console.log(leaked.join("\n"));
  assertEquals(leaked, []);
});

Deno.test("review16: a JSON log line with a BigInt or a cycle does not throw", () => {
  const lines: string[] = [];
  const log = createLogger("debug", "json", {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const thrown: string[] = [];
  for (const value of [10n, cyclic]) {
    try {
      log.warn("x.y", { error: value });
    } catch (error) {
      thrown.push(String(error));
    }
  }
  console.log(thrown);
  assertEquals(thrown, []);
});

for (
  const [name, env, runtime] of [
    ["node bin", {}, "node"],
    ["deno EDGE=ws", { EDGE: "ws" }, "deno"],
    ["deno edge", {}, "deno"],
  ] as const
) {
  Deno.test(`review16: ${name}, a client still sending during SIGTERM sees 1012`, async () => {
    await using natter = await startMain(env, runtime);
    await using alice = await joinA(natter.ws, "alice");
    await joinChannel(alice, "room");
    let sending = true;
    (async () => {
      let i = 0;
      while (sending) {
        for (let k = 0; k < 20; k++) {
          try {
            alice.send({ type: "typing", to: "room", ref: `t${i++}` });
          } catch { /* closed */ }
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    natter.child.kill("SIGTERM");
    const closed = await alice.closed;
    sending = false;
    console.log(closed, (await natter.status).code);
    assertEquals(closed.code, 1012);
  });
}
