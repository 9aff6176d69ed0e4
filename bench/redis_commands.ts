/**
 * Counts the Redis commands Natter issues per operation, read from Redis's
 * own `INFO commandstats` (commands run inside scripts included): a kind-A
 * connect, a channel broadcast, a direct message, a disconnect. Two
 * instances share a private redis-server; list updates and heartbeats are
 * slowed down so that they do not blur the counts.
 *
 * Usage: deno task bench:redis
 *
 * @module
 */
import { joinA, type TestClient } from "../tests/support/client.ts";
import { startCluster } from "../tests/support/cluster.ts";

await using cluster = await startCluster(2, {
  LIST_UPDATE_INTERVAL_MS: "60000",
  PRESENCE_TTL_MS: "3600000",
});
const redis = cluster.redis.client;
const [one, two] = cluster.instances;

async function commandstats(): Promise<Map<string, number>> {
  const info = await redis.info("commandstats");
  const counts = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set(match[1], Number(match[2]));
  }
  return counts;
}

/** Runs `operation` and reports the commands Redis counted meanwhile (minus the probe's own). */
async function measure(name: string, operation: () => Promise<void>): Promise<void> {
  await redis.config("RESETSTAT");
  await operation();
  const counts = await commandstats();
  // The probe's own commands: resetting and reading the stats, polling for completion.
  for (const own of ["config|resetstat", "info", "exists"]) counts.delete(own);
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const detail = [...counts].sort(([, a], [, b]) => b - a).map(([cmd, n]) => `${cmd}×${n}`).join(
    " ",
  );
  console.log(`${name.padEnd(46)} ${String(total).padStart(3)} commands: ${detail}`);
}

await using alice = await joinA(one.ws, "alice");
await using bob = await joinA(two.ws, "bob");
for (const client of [alice, bob]) {
  client.send({ type: "joinChannel", to: "general", ref: "j" });
  await client.take({ type: "ack", ref: "j" });
}
let carol: TestClient | undefined;
await measure("connect (kind A, new name, handshake done)", async () => {
  carol = await joinA(one.ws, "carol");
});
await measure("joinChannel (first local member)", async () => {
  carol!.send({ type: "joinChannel", to: "news", ref: "j" });
  await carol!.take({ type: "ack", ref: "j" });
});
await measure("broadcast (members on 2 instances)", async () => {
  alice.send({ type: "broadcast", to: "general", message: "hi", ref: "b" });
  await alice.take({ type: "ack", ref: "b" });
  await bob.take({ type: "broadcast", message: "hi" });
});
await measure("directMessage (other instance)", async () => {
  alice.send({ type: "directMessage", to: "bob", message: "psst", ref: "d" });
  await alice.take({ type: "ack", ref: "d" });
  await bob.take({ type: "directMessage" });
});
await measure("disconnect (last session of a user, 1 channel)", async () => {
  await carol!.close();
  // The sessions key disappears with the last session (the claim stays for the reconnect
  // grace): then the disconnect's work is done.
  while ((await redis.call("EXISTS", `${cluster.prefix}sessions:carol`)) === 1) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
});
