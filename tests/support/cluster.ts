/**
 * Several real Natter processes sharing one private Redis, the way a
 * deployment behind a load balancer runs. Instances alternate runtimes,
 * Deno first, then Node: every cluster test is a mixed Deno and Node
 * cluster, proving the two share one wire protocol, one Redis layout and
 * one message order.
 *
 * @module
 */
import { type NatterProcess, startMain } from "./process.ts";
import { startRedis, type TestRedis } from "./redis.ts";
import { RUNTIMES } from "./runtimes.ts";

/** A running cluster. */
export interface TestCluster extends AsyncDisposable {
  redis: TestRedis;
  instances: NatterProcess[];
  /** The key and topic prefix the instances use. */
  prefix: string;
}

let clusters = 0;

/**
 * Starts Redis (with `redisArgs` on its command line) and `size` instances
 * with `env` (REDIS_URL and a unique REDIS_PREFIX added): instance `i` runs
 * on `RUNTIMES[i % 2]`, so instances 0 and 2 on Deno, 1 on Node.
 */
export async function startCluster(
  size: number,
  env: Record<string, string> = {},
  redisArgs: string[] = [],
): Promise<TestCluster> {
  const redis = await startRedis(redisArgs);
  const prefix = `test${++clusters}:`;
  const instances: NatterProcess[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const instance = await startMain({
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        LOG_LEVEL: "warn",
        ...env,
      }, RUNTIMES[i % RUNTIMES.length]);
      instances.push(instance);
      // As a load balancer would: send clients only once the instance is ready.
      await untilStatus(`${instance.http}/readyz`, 200);
    }
  } catch (error) {
    for (const instance of instances) await instance[Symbol.asyncDispose]();
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  return {
    redis,
    instances,
    prefix,
    async [Symbol.asyncDispose]() {
      for (const instance of instances) await instance[Symbol.asyncDispose]();
      await redis[Symbol.asyncDispose]();
    },
  };
}

/** Polls `url` until it answers `status` (instances have no event for readiness). */
export async function untilStatus(url: string, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === status) return;
    } catch {
      // Not listening: keep polling until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Kills every connection of `type` the cluster's instances hold on Redis
 * (`CLIENT KILL`, the test's own spared): `pubsub` for their subscribers,
 * `normal` for their command connections. Answers how many it killed.
 */
export async function killConnections(
  cluster: TestCluster,
  type: "pubsub" | "normal",
): Promise<number> {
  return Number(await cluster.redis.client.call("CLIENT", "KILL", "TYPE", type, "SKIPME", "yes"));
}
