/**
 * Churn: a steady population while clients keep arriving and leaving; a
 * probe room of 10 measures broadcast latency meanwhile, and the server's
 * CPU is read over the churn.
 *
 * @module
 */
import { type Client, closeAll, Meter, publishOpenLoop, ramp, until } from "../load.ts";
import { cpuMeter, percentile } from "../measure.ts";
import { startServers } from "../servers.ts";
import type { Scenario } from "./scenario.ts";

const ROOM_SIZE = 10;
/** Connects and disconnects per second. */
const CHURN_PER_SECOND = 100;
/** Probe broadcasts per second, into a room of ROOM_SIZE. */
const PROBE_RATE = 20;
const size = (quick: boolean) => ({ clients: quick ? 500 : 5000, seconds: quick ? 2 : 6 });

export const CHURN: Scenario = {
  id: "churn",
  title: "Churn: connects and disconnects under a steady population",
  method({ quick }) {
    const { clients, seconds } = size(quick);
    return `${clients} clients in rooms of ${ROOM_SIZE} (connected at 1,000/s); then for ` +
      `${seconds} s, ${CHURN_PER_SECOND} new clients connect (into rooms of ${ROOM_SIZE}) and ` +
      `${CHURN_PER_SECOND} of the oldest disconnect every second, while one member of a ` +
      `separate room of ${ROOM_SIZE} broadcasts ${PROBE_RATE} messages/s (open loop). Latency ` +
      `of those broadcasts at the other members; server CPU over the churn.`;
  },
  columns: [
    { key: "p50", label: "p50 (ms)", digits: 1 },
    { key: "p99", label: "p99 (ms)", digits: 1 },
    { key: "serverCpu", label: "server CPU (%)", digits: 0 },
    { key: "errors", label: "connect errors", digits: 0 },
    { key: "generatorCpu", label: "load generator CPU (%)", digits: 0 },
  ],
  async run(kind, { quick }) {
    const { clients: count, seconds } = size(quick);
    await using servers = await startServers(kind);
    const [origin] = servers.origins;
    const meter = new Meter();
    const population: Client[] = [];
    let errors = 0;
    const probe = await ramp(kind.dialect, origin, meter, {
      count: ROOM_SIZE,
      perSecond: 1000,
      roomSize: ROOM_SIZE,
      prefix: "probe",
    });
    const base = await ramp(kind.dialect, origin, meter, {
      count,
      perSecond: 1000,
      roomSize: ROOM_SIZE,
      prefix: "base",
    });
    population.push(...base.clients);
    try {
      const server = await cpuMeter(servers.pids);
      const generator = await cpuMeter([Deno.pid]);
      const churn = (async () => {
        const arrivals = [];
        for (let second = 0; second < seconds; second++) {
          const started = performance.now();
          arrivals.push(
            ramp(kind.dialect, origin, meter, {
              count: CHURN_PER_SECOND,
              perSecond: CHURN_PER_SECOND,
              roomSize: ROOM_SIZE,
              prefix: `churn${second}x`,
            }).then((arrived) => {
              errors += arrived.failed;
              population.push(...arrived.clients);
            }),
          );
          for (const leaving of population.splice(0, CHURN_PER_SECOND)) leaving.close();
          await until(() => performance.now() - started >= 1000, 1000);
        }
        await Promise.all(arrivals);
      })();
      meter.recording = true;
      const sent = await publishOpenLoop(kind.dialect, meter, [probe.clients[0]], {
        perSecond: PROBE_RATE,
        durationMs: seconds * 1000,
        firstSeq: 1,
      }) - 1;
      await until(() => meter.deliveries >= sent * ROOM_SIZE, 3_000);
      await churn;
      const [serverCpu, generatorCpu] = [await server.stop(), await generator.stop()];
      const latencies = meter.takeLatencies();
      return {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        serverCpu: serverCpu.percent,
        errors: errors + meter.unexpectedCloses,
        generatorCpu: generatorCpu.percent,
      };
    } finally {
      await closeAll([...probe.clients, ...population]);
    }
  },
};
