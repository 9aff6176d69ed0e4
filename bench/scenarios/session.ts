/**
 * One session publishing fast: 1,000 messages/s for 10 s on an open-loop
 * schedule, into a room of its own. Every publish should be acked, in
 * order; refusals are counted.
 *
 * @module
 */
import { closeAll, connect, Meter, publishOpenLoop, until } from "../load.ts";
import { startServers } from "../servers.ts";
import type { Scenario } from "./scenario.ts";

const RATE = 1000;
/** Natter's default rate limit (20/s, burst 40) would refuse most of it: raised for this run. */
const NATTER_RATE_ENV = { RATE_MESSAGES_PER_SECOND: `${RATE}`, RATE_BURST: `${RATE}` };
const size = (quick: boolean) => ({ seconds: quick ? 2 : 10 });

export const SESSION: Scenario = {
  id: "session",
  title: "One session publishing 1,000 messages/s",
  method({ quick }) {
    return `One client publishes ${RATE} messages/s for ${size(quick).seconds} s (open loop) ` +
      `into a room of its own, each with a ref; acks are waited for up to 10 s after. Natter ` +
      `runs with ${Object.entries(NATTER_RATE_ENV).map(([k, v]) => `${k}=${v}`).join(" ")} ` +
      `(its defaults are 20/s, burst 40).`;
  },
  columns: [
    { key: "sent", label: "sent", digits: 0 },
    { key: "acked", label: "acked", digits: 0 },
    { key: "outOfOrder", label: "acks out of order", digits: 0 },
    { key: "refused", label: "refused", digits: 0 },
  ],
  async run(kind, { quick }) {
    await using servers = await startServers(kind, { natterEnv: NATTER_RATE_ENV });
    const meter = new Meter();
    let acked = 0;
    let refused = 0;
    let outOfOrder = 0;
    let highest = 0;
    meter.onAck = (ref, wasRefused) => {
      const seq = Number(ref);
      if (wasRefused) return void refused++;
      acked++;
      if (seq < highest) outOfOrder++;
      highest = Math.max(highest, seq);
    };
    const publisher = await connect(kind.dialect, servers.origins[0], "solo", "solo-0", meter);
    try {
      const sent = await publishOpenLoop(kind.dialect, meter, [publisher], {
        perSecond: RATE,
        durationMs: size(quick).seconds * 1000,
        firstSeq: 1,
      }) - 1;
      await until(() => acked + refused >= sent, 10_000);
      return { sent, acked, outOfOrder, refused };
    } finally {
      await closeAll([publisher]);
    }
  },
};
