import { createRedisBroker } from "../../src/broker/redis.ts";
import type { Broker } from "../../src/broker/broker.ts";
import type { Logger } from "../../src/log.ts";
import { startRedis } from "../support/redis.ts";
import { brokerContract } from "./contract.ts";

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let deployments = 0;

/** Waits until `broker` reports ready (both connections up). */
async function ready(broker: Broker): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!broker.isReady()) {
    if (Date.now() > deadline) throw new Error("Redis broker not ready within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

brokerContract("redis", async (retention) => {
  const redis = await startRedis();
  // Each deployment gets its own prefix, as several deployments would on one Redis.
  const prefix = `contract-${++deployments}:`;
  const options = {
    url: redis.url,
    prefix,
    presenceTtlMs: 15_000,
    historyLimit: 1000,
    historyTtlMs: 7 * 24 * 3600 * 1000,
    dedupWindowMs: 120_000,
    ...retention,
    log: silent,
  };
  const first = createRedisBroker(options);
  const second = createRedisBroker(options);
  await Promise.all([ready(first), ready(second)]);
  return {
    first,
    second,
    async [Symbol.asyncDispose]() {
      await first.close();
      await second.close();
      await redis[Symbol.asyncDispose]();
    },
  };
});
