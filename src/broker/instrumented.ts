/**
 * A broker that measures what the core asks of it for `/metrics`: the
 * latency of each publish, and each read of the history. It wraps either
 * broker, so neither has to know about metrics for these.
 *
 * @module
 */
import type { Metrics } from "../metrics/metrics.ts";
import type { Broker } from "./broker.ts";

/** `broker`, with its publishes timed and its history reads counted in `metrics`. */
export function instrumentBroker(broker: Broker, metrics: Metrics): Broker {
  const { bus, history } = broker;
  return {
    // Both brokers are object literals of closures: their parts work from a copy.
    ...broker,
    bus: {
      ...bus,
      async publish(topics, draft) {
        const start = performance.now();
        try {
          return await bus.publish(topics, draft);
        } finally {
          metrics.publishLatency.observe(performance.now() - start);
        }
      },
    },
    history: {
      page(topic, query) {
        metrics.historyReads.page++;
        return history.page(topic, query);
      },
      since(topic, after) {
        metrics.historyReads.since++;
        return history.since(topic, after);
      },
    },
  };
}
