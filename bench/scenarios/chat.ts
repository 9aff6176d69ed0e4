/**
 * Chat: many clients in rooms of 10, every one of them publishing, on an
 * open-loop schedule spread evenly over the clients.
 *
 * @module
 */
import { closeAll, Meter, publishOpenLoop, ramp, until } from "../load.ts";
import { cpuMeter, percentile } from "../measure.ts";
import { startServers } from "../servers.ts";
import type { Scenario } from "./scenario.ts";

const ROOM_SIZE = 10;
/** Each client publishes once per this many ms. */
const PUBLISH_EVERY_MS = 2_000;
const size = (quick: boolean) => ({
  clients: quick ? 500 : 5000,
  durationMs: quick ? 1500 : 5000,
});

export const CHAT: Scenario = {
  id: "chat",
  title: "Chat: rooms of 10, everyone publishing",
  method({ quick }) {
    const { clients, durationMs } = size(quick);
    return `${clients} clients (connected at 1,000/s) in rooms of ${ROOM_SIZE}; each publishes ` +
      `once every ${PUBLISH_EVERY_MS / 1000} s (${clients / (PUBLISH_EVERY_MS / 1000)} ` +
      `messages/s, ${clients * ROOM_SIZE / (PUBLISH_EVERY_MS / 1000)} deliveries/s offered) ` +
      `for ${durationMs / 1000} s; latency from the scheduled send time, server CPU over the run.`;
  },
  columns: [
    { key: "deliveriesPerSecond", label: "deliveries/s", digits: 0 },
    { key: "delivered", label: "delivered (%)", digits: 2 },
    { key: "p50", label: "p50 (ms)", digits: 1 },
    { key: "p99", label: "p99 (ms)", digits: 1 },
    { key: "serverCpu", label: "server CPU (%)", digits: 0 },
    { key: "generatorCpu", label: "load generator CPU (%)", digits: 0 },
  ],
  async run(kind, { quick }) {
    const { clients: count, durationMs } = size(quick);
    await using servers = await startServers(kind);
    const meter = new Meter();
    const { clients } = await ramp(kind.dialect, servers.origins[0], meter, {
      count,
      perSecond: 1000,
      roomSize: ROOM_SIZE,
      prefix: "chat",
    });
    try {
      const server = await cpuMeter(servers.pids);
      const generator = await cpuMeter([Deno.pid]);
      const started = performance.now();
      meter.recording = true;
      const before = meter.deliveries;
      const sent = await publishOpenLoop(kind.dialect, meter, clients, {
        perSecond: clients.length / (PUBLISH_EVERY_MS / 1000),
        durationMs,
        firstSeq: 1,
      }) - 1;
      const expected = sent * ROOM_SIZE;
      await until(() => meter.deliveries - before >= expected, 3_000);
      const elapsed = performance.now() - started;
      const [serverCpu, generatorCpu] = [await server.stop(), await generator.stop()];
      const latencies = meter.takeLatencies();
      return {
        deliveriesPerSecond: (meter.deliveries - before) / (elapsed / 1000),
        delivered: 100 * (meter.deliveries - before) / expected,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        serverCpu: serverCpu.percent,
        generatorCpu: generatorCpu.percent,
      };
    } finally {
      await closeAll(clients);
    }
  },
};
