/**
 * Two instances over one Redis: half of one room's members on each
 * instance, the publisher on the first, the same rising rate as the
 * fan-out (see ladder.ts). Natter runs with `REDIS_URL`; the raw servers
 * publish through Redis pub/sub; Socket.IO uses `@socket.io/redis-adapter`.
 *
 * @module
 */
import { closeAll, connect, Meter, ramp } from "../load.ts";
import { startPinnedRedis, startServers } from "../servers.ts";
import { climb, LADDER_COLUMNS, SUSTAINED_P99_MS } from "./ladder.ts";
import type { Scenario } from "./scenario.ts";

const size = (quick: boolean) => ({ perInstance: quick ? 100 : 500, stepMs: quick ? 400 : 1000 });

export const TWO_INSTANCES: Scenario = {
  id: "redis",
  title: "Two instances over one Redis",
  method({ quick }) {
    const { perInstance } = size(quick);
    return `A private redis-server (\`--save "" --appendonly no\`) and two instances of each ` +
      `server on the server core; ${perInstance} + ${perInstance} members of one room, the ` +
      `publisher on the first instance. Rates and the sustained rule as in the fan-out ` +
      `(p99 over ${SUSTAINED_P99_MS} ms or a missing delivery ends the climb). Server CPU is ` +
      `both instances' (Redis not included).`;
  },
  columns: LADDER_COLUMNS,
  async run(kind, { quick }) {
    const { perInstance, stepMs } = size(quick);
    await using redis = await startPinnedRedis();
    await using servers = await startServers(kind, { count: 2, redisUrl: redis.url });
    const [first, second] = servers.origins;
    const meter = new Meter();
    const publisher = await connect(kind.dialect, first, "pub", "two-0", meter);
    const options = { perSecond: 1000, roomSize: 2 * perInstance, prefix: "two" };
    const [one, two] = await Promise.all([
      ramp(kind.dialect, first, meter, { ...options, count: perInstance - 1 }),
      // Further names on the second instance, the same room (two-0).
      ramp(kind.dialect, second, meter, {
        ...options,
        count: perInstance,
        firstIndex: perInstance,
      }),
    ]);
    const clients = [publisher, ...one.clients, ...two.clients];
    try {
      return await climb(kind.dialect, meter, publisher, {
        members: clients.length,
        stepMs,
        quick,
        serverPids: servers.pids,
      });
    } finally {
      await closeAll(clients);
    }
  },
};
