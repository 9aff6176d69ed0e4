/**
 * Fan-out: one room of 1,000 members on one instance (embedded broker for
 * Natter), one of them publishing at a rising rate (see ladder.ts).
 *
 * @module
 */
import { closeAll, connect, Meter, ramp } from "../load.ts";
import { startServers } from "../servers.ts";
import { climb, ladder, LADDER_COLUMNS, REFERENCE_RATE, SUSTAINED_P99_MS } from "./ladder.ts";
import type { Scenario } from "./scenario.ts";

const size = (quick: boolean) => ({ members: quick ? 200 : 1000, stepMs: quick ? 400 : 1000 });

export const FAN_OUT: Scenario = {
  id: "fanout",
  title: "Fan-out: 1 room, one publisher, rising rate",
  method({ quick }) {
    const { members, stepMs } = size(quick);
    return `${members} members of one room (the publisher among them), one instance. The ` +
      `publisher sends on an open-loop schedule for ${stepMs} ms per step at ` +
      `${ladder(quick).map((rate) => `${Math.round(rate / 1000)}k`).join(", ")} deliveries/s ` +
      `(after an unmeasured warm-up step), stopping at the first step from ` +
      `${REFERENCE_RATE / 1000}k on that is not sustained (a delivery missing 2 s after the ` +
      `step, or p99 over ${SUSTAINED_P99_MS} ms); max sustained is the highest step sustained. Latency runs from each message's scheduled send time to its ` +
      `arrival at each member. CPU per delivery: server CPU time (all threads) during the ` +
      `${REFERENCE_RATE / 1000}k step divided by its deliveries.`;
  },
  columns: LADDER_COLUMNS,
  async run(kind, { quick }) {
    const { members, stepMs } = size(quick);
    await using servers = await startServers(kind);
    const [origin] = servers.origins;
    const meter = new Meter();
    const publisher = await connect(kind.dialect, origin, "pub", "fan-0", meter);
    const { clients } = await ramp(kind.dialect, origin, meter, {
      count: members - 1,
      perSecond: 1000,
      roomSize: members,
      prefix: "fan",
    });
    try {
      return await climb(kind.dialect, meter, publisher, {
        members: clients.length + 1,
        stepMs,
        quick,
        serverPids: servers.pids,
      });
    } finally {
      await closeAll([publisher, ...clients]);
    }
  },
};
