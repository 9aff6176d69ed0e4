/**
 * The rising-rate fan-out both the single-instance and the two-instance
 * scenarios run: members of one room (already connected), one publisher on
 * an open-loop schedule, the rate raised step by step until a step at or
 * above the reference rate is not sustained. Each step gets its p99 (from the scheduled send time) and the
 * servers' CPU time per delivery.
 *
 * @module
 */
import { type Client, type Meter, publishOpenLoop, until } from "../load.ts";
import { cpuMeter, percentile } from "../measure.ts";
import type { Dialect } from "../wire.ts";
import type { Column, Figures } from "./scenario.ts";

/** The rate every ladder passes through (deliveries/s), where p99 and CPU are compared. */
export const REFERENCE_RATE = 75_000;
/** The rate of the unmeasured warm-up step (deliveries/s). */
const WARM_UP_RATE = 25_000;
/** A step is sustained when every delivery arrived and its p99 stayed under this. */
export const SUSTAINED_P99_MS = 100;

/** The table columns of a climb's figures. */
export const LADDER_COLUMNS: readonly Column[] = [
  { key: "maxSustained", label: "max sustained deliveries/s", digits: 0 },
  { key: "p99At75k", label: "p99 at 75k/s (ms)", digits: 1 },
  { key: "cpuAt75k", label: "server CPU per delivery at 75k/s (µs)", digits: 2 },
  { key: "generatorCpuAt75k", label: "load generator CPU at 75k/s (%)", digits: 0 },
];

/** Deliveries/s of each step: REFERENCE_RATE × factor^k, from a little below it upwards. */
export function ladder(quick: boolean): number[] {
  const factor = quick ? 1.3 : 1.1;
  const below = quick ? 1 : 3;
  return Array.from(
    { length: quick ? 5 : 17 },
    (_, k) => Math.round(REFERENCE_RATE * factor ** (k - below)),
  );
}

/**
 * Runs the ladder: `members` clients receive (the publisher among them).
 * Figures: `maxSustained`, `p99At75k`, `cpuAt75k` (µs per delivery),
 * `generatorCpuAt75k` (%), and `p99:RATE` for each step run (the curve).
 */
export async function climb(
  dialect: Dialect,
  meter: Meter,
  publisher: Client,
  options: { members: number; stepMs: number; quick: boolean; serverPids: number[] },
): Promise<Figures> {
  const { members, stepMs, quick, serverPids } = options;
  const figures: Figures = { maxSustained: 0 };
  // A warm-up step, not measured: the first messages find cold JIT and empty pools.
  const beforeWarmUp = meter.deliveries;
  let seq = await publishOpenLoop(dialect, meter, [publisher], {
    perSecond: WARM_UP_RATE / members,
    durationMs: stepMs,
    firstSeq: 1,
  });
  const warmedUp = beforeWarmUp + (seq - 1) * members;
  await until(() => meter.deliveries >= warmedUp, 5_000);
  for (const rate of ladder(quick)) {
    const stepDeliveries = Math.round((rate / members) * stepMs / 1000) * members;
    const expected = meter.deliveries + stepDeliveries;
    meter.takeLatencies();
    meter.recording = true;
    const server = await cpuMeter(serverPids);
    const generator = await cpuMeter([Deno.pid]);
    seq = await publishOpenLoop(dialect, meter, [publisher], {
      perSecond: rate / members,
      durationMs: stepMs,
      firstSeq: seq,
    });
    const complete = await until(() => meter.deliveries >= expected, 2_000 + stepMs);
    const serverCpu = await server.stop();
    const generatorCpu = await generator.stop();
    meter.recording = false;
    const p99 = percentile(meter.takeLatencies(), 99);
    figures[`p99:${rate}`] = p99;
    if (rate === REFERENCE_RATE) {
      figures.p99At75k = p99;
      figures.cpuAt75k = serverCpu.micros / stepDeliveries;
      figures.generatorCpuAt75k = generatorCpu.percent;
    }
    if (complete && p99 <= SUSTAINED_P99_MS) figures.maxSustained = rate;
    // Past the reference rate, the first step not sustained ends the climb; below it, the
    // climb goes on, so that every server has figures at the reference rate.
    else if (rate >= REFERENCE_RATE) break;
  }
  return figures;
}
