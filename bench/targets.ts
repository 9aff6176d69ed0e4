/**
 * The targets of issue 13 (point 6), checked against the medians of one
 * run and printed plainly: met or MISSED, with the ratio or value. They are
 * benchmark figures, never tests.
 *
 * @module
 */
import type { ServerKind } from "./servers.ts";

/** The median of figure `key` of `scenario` on `server` (NaN when not measured). */
export type Median = (scenario: string, server: ServerKind["id"], key: string) => number;

/** A checked target. */
export interface Verdict {
  text: string;
  met: boolean;
}

type Pair = { natter: ServerKind["id"]; raw: ServerKind["id"]; runtime: string };

const PAIRS: Pair[] = [
  { natter: "natter-deno", raw: "raw-deno", runtime: "Deno" },
  { natter: "natter-node", raw: "raw-node", runtime: "Node" },
];
const LABEL: Record<ServerKind["id"], string> = {
  "natter-deno": "Natter on Deno",
  "natter-node": "Natter on Node",
  "raw-deno": "raw Deno",
  "raw-node": "raw Node",
  socketio: "Socket.IO 4",
  "natter-deno-baseline": "Natter on Deno at the baseline",
};

const fmt = (n: number, digits = 2) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";

/** A ratio target: `what, Natter / raw: 1.23× (target ≤ 1.1×)`. */
function ratio(
  median: Median,
  what: string,
  scenario: string,
  key: string,
  pair: Pair,
  bound: number,
  atLeast = false,
): Verdict {
  const value = median(scenario, pair.natter, key) / median(scenario, pair.raw, key);
  const met = atLeast ? value >= bound : value <= bound;
  return {
    text: `${what}, ${LABEL[pair.natter]} / ${LABEL[pair.raw]}: ${fmt(value)}× ` +
      `(target ${atLeast ? "≥" : "≤"} ${bound}×)`,
    met: Number.isFinite(value) && met,
  };
}

/** An absolute target: `what, Natter on Deno: 12.3 unit (target < 25 unit)`. */
function absolute(
  median: Median,
  what: string,
  scenario: string,
  key: string,
  server: ServerKind["id"],
  bound: number,
  unit: string,
): Verdict {
  const value = median(scenario, server, key);
  return {
    text: `${what}, ${LABEL[server]}: ${fmt(value, 1)} ${unit} (target < ${fmt(bound)} ${unit})`,
    met: Number.isFinite(value) && value < bound,
  };
}

/** Every target, checked. */
export function checkTargets(median: Median): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const pair of PAIRS) {
    const m = (scenario: string, key: string) => median(scenario, pair.natter, key);
    const [clients, connected, errors, drops] = [
      "clients",
      "connected",
      "errors",
      "slowConsumerDrops",
    ]
      .map((key) => m("idle", key));
    verdicts.push({
      text: `idle, ${LABEL[pair.natter]}: ${fmt(connected, 0)} of ${fmt(clients, 0)} connected, ` +
        `${fmt(errors, 0)} errors, ${fmt(drops, 0)} slow-consumer drops (target: all, 0, 0)`,
      met: connected === clients && errors === 0 && drops === 0,
    });
    verdicts.push(ratio(median, "idle connect time", "idle", "connectSeconds", pair, 1.2));
    verdicts.push(
      ratio(
        median,
        "idle memory per connection",
        "idle",
        "kibPerConnection",
        pair,
        pair.runtime === "Deno" ? 1.3 : 2,
      ),
    );
    verdicts.push(
      absolute(
        median,
        "idle presence bytes per client",
        "idle",
        "presenceBytesPerClient",
        pair.natter,
        65536,
        "B",
      ),
    );
    verdicts.push(
      absolute(
        median,
        "connect storm presence traffic",
        "storm",
        "presenceMiB",
        pair.natter,
        50,
        "MiB",
      ),
    );
    verdicts.push(
      absolute(
        median,
        "connect storm server peak memory",
        "storm",
        "peakMiB",
        pair.natter,
        300,
        "MiB",
      ),
    );
    verdicts.push(
      absolute(median, "churn p99 in a room of 10", "churn", "p99", pair.natter, 25, "ms"),
    );
    verdicts.push(absolute(median, "churn server CPU", "churn", "serverCpu", pair.natter, 60, "%"));
    verdicts.push(ratio(median, "fan-out CPU per delivery", "fanout", "cpuAt75k", pair, 1.1));
    verdicts.push(
      ratio(median, "fan-out p99 at 75k deliveries/s", "fanout", "p99At75k", pair, 1.3),
    );
    if (pair.runtime === "Node") {
      verdicts.push(
        ratio(median, "fan-out max sustained rate", "fanout", "maxSustained", pair, 0.9, true),
      );
    }
    verdicts.push(
      ratio(median, "two instances max sustained rate", "redis", "maxSustained", pair, 0.9, true),
    );
    verdicts.push(
      ratio(median, "two instances p99 at 75k deliveries/s", "redis", "p99At75k", pair, 1.3),
    );
    const [sent, acked, outOfOrder, refused] = ["sent", "acked", "outOfOrder", "refused"]
      .map((key) => m("session", key));
    verdicts.push({
      text: `one session at 1,000 messages/s, ${LABEL[pair.natter]}: ${fmt(acked, 0)} of ` +
        `${fmt(sent, 0)} acked, ${fmt(outOfOrder, 0)} out of order, ${fmt(refused, 0)} refused ` +
        `(target: all acked, in order)`,
      met: acked === sent && outOfOrder === 0 && refused === 0,
    });
  }
  return verdicts;
}
