/**
 * The Prometheus text exposition format (version 0.0.4) of an instance's
 * metrics: every metric family Natter exposes, with its type, labels and
 * meaning in one table, `METRIC_FAMILIES` (the README's metrics table lists
 * the same, and a test keeps them in step), and `exposition`, which writes
 * the counters of `Metrics` and the gauges sampled at scrape time.
 *
 * @module
 */
import type { Histogram } from "./histogram.ts";
import type { Metrics } from "./metrics.ts";

/** A metric family: its Prometheus type, its labels, and what it means. */
export interface MetricFamily {
  type: "counter" | "gauge" | "histogram";
  labels: readonly string[];
  help: string;
}

/** Every metric family Natter exposes, by name. */
export const METRIC_FAMILIES = {
  natter_connections: {
    type: "gauge",
    labels: ["kind"],
    help: "Open WebSocket connections on this instance, by client kind (A or B)",
  },
  natter_sessions: {
    type: "gauge",
    labels: ["kind"],
    help: "Sessions on this instance whose user is known (opened), by client kind",
  },
  natter_online_users: {
    type: "gauge",
    labels: [],
    help: "Users online in the whole deployment (absent while the broker is unreachable)",
  },
  natter_channels: {
    type: "gauge",
    labels: [],
    help: "Channels in the whole deployment (absent while the broker is unreachable)",
  },
  natter_frames_in_total: {
    type: "counter",
    labels: ["type"],
    help: "Client frames received, by command type; refused: too large, over the rate or " +
      "invalid; binary: binary frames",
  },
  natter_frames_out_total: {
    type: "counter",
    labels: ["type"],
    help: "Frames sent to clients, by outbound type, one per receiver",
  },
  natter_errors_total: {
    type: "counter",
    labels: ["code"],
    help: "Error frames sent to clients, by code",
  },
  natter_closes_total: {
    type: "counter",
    labels: ["code"],
    help: "Sessions ended, by the close code the server sent, or remote when the client or " +
      "the network closed the socket",
  },
  natter_rate_limit_disconnects_total: {
    type: "counter",
    labels: [],
    help: "Sessions closed for sustained flooding (1008)",
  },
  natter_slow_consumer_disconnects_total: {
    type: "counter",
    labels: [],
    help: "Sessions closed for not reading: more than SLOW_CONSUMER_BYTES waiting (4005)",
  },
  natter_broker_publish_seconds: {
    type: "histogram",
    labels: [],
    help: "Time from a message's publish call to the broker until it is stored and sent on",
  },
  natter_delivery_lag_seconds: {
    type: "histogram",
    labels: [],
    help: "Time from a message's stamp (ts) until this instance sends it to its local " +
      "receivers, once per message and topic",
  },
  natter_redis_reconnects_total: {
    type: "counter",
    labels: ["connection"],
    help: "Redis connections made again after a drop (commands or subscriber)",
  },
  natter_redis_backfills_total: {
    type: "counter",
    labels: [],
    help: "Reads, after the subscriber reconnected, of what was published while it was down",
  },
  natter_redis_backfilled_messages_total: {
    type: "counter",
    labels: [],
    help: "Messages those backfills found",
  },
  natter_history_reads_total: {
    type: "counter",
    labels: ["read"],
    help: "Reads of the history store: page (history frames and newest ids) or since " +
      "(resumes and replays)",
  },
  natter_api_requests_total: {
    type: "counter",
    labels: ["route", "status"],
    help: "Server API requests answered, by route (unmatched: no route, or refused before one " +
      "was matched) and HTTP status",
  },
  natter_webhook_deliveries_total: {
    type: "counter",
    labels: ["outcome"],
    help: "Webhook attempts of this instance, by outcome: delivered (2xx), failed (retried " +
      "later) or dropped (the last attempt failed)",
  },
  natter_webhook_request_seconds: {
    type: "histogram",
    labels: [],
    help: "Time from a webhook request's start until its answer, its error or its timeout",
  },
  natter_webhook_queue_size: {
    type: "gauge",
    labels: [],
    help: "Webhook events waiting to be sent in the whole deployment (absent without " +
      "WEBHOOK_URL, or while the broker is unreachable)",
  },
  process_resident_memory_bytes: {
    type: "gauge",
    labels: [],
    help: "Resident memory of the process",
  },
  natter_heap_used_bytes: {
    type: "gauge",
    labels: [],
    help: "JavaScript heap in use",
  },
  natter_heap_total_bytes: {
    type: "gauge",
    labels: [],
    help: "JavaScript heap reserved",
  },
  natter_external_memory_bytes: {
    type: "gauge",
    labels: [],
    help: "Memory of objects outside the JavaScript heap (buffers, sockets)",
  },
} as const satisfies Record<string, MetricFamily>;

type FamilyName = keyof typeof METRIC_FAMILIES;

/** The process's memory, as both runtimes report it (`Deno.memoryUsage()`, `process.memoryUsage()`). */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** What is read afresh at each scrape rather than counted. */
export interface Samples {
  connections: Record<"A" | "B", number>;
  sessions: Record<"A" | "B", number>;
  /** Absent when the broker could not be asked. */
  onlineUsers?: number;
  channels?: number;
  /** Webhook events waiting; absent without webhooks, or when the broker could not be asked. */
  webhookQueueSize?: number;
  /** Absent when the runtime edge gave no way to read it. */
  memory?: MemoryUsage;
}

/** The `Content-Type` of the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The text format of `metrics` and `samples`: every family with its HELP and TYPE lines. */
export function exposition(metrics: Metrics, samples: Samples): string {
  const lines: string[] = [];
  const family = (name: FamilyName, values: [labels: string, value: number][]) => {
    if (values.length === 0) return;
    const { type, help } = METRIC_FAMILIES[name];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of values) lines.push(`${name}${labels} ${value}`);
  };
  const byLabel = (label: string, counts: Record<string, number>) =>
    Object.entries(counts).map(([key, value]): [string, number] => [`{${label}="${key}"}`, value]);
  const single = (value: number | undefined): [string, number][] =>
    value === undefined ? [] : [["", value]];

  family("natter_connections", byLabel("kind", samples.connections));
  family("natter_sessions", byLabel("kind", samples.sessions));
  family("natter_online_users", single(samples.onlineUsers));
  family("natter_channels", single(samples.channels));
  family("natter_frames_in_total", byLabel("type", metrics.framesIn));
  family("natter_frames_out_total", byLabel("type", metrics.framesOut));
  family("natter_errors_total", byLabel("code", metrics.errors));
  family("natter_closes_total", byLabel("code", Object.fromEntries(metrics.closes)));
  family("natter_rate_limit_disconnects_total", single(metrics.rateLimitDisconnects));
  family("natter_slow_consumer_disconnects_total", single(metrics.slowConsumerDisconnects));
  family("natter_broker_publish_seconds", histogramValues(metrics.publishLatency));
  family("natter_delivery_lag_seconds", histogramValues(metrics.deliveryLag));
  family("natter_redis_reconnects_total", byLabel("connection", metrics.redisReconnects));
  family("natter_redis_backfills_total", single(metrics.redisBackfills));
  family("natter_redis_backfilled_messages_total", single(metrics.redisBackfilledMessages));
  family("natter_history_reads_total", byLabel("read", metrics.historyReads));
  family(
    "natter_api_requests_total",
    [...metrics.apiRequests].map(([key, value]): [string, number] => {
      const [route, status] = key.split("\n");
      return [`{route="${route}",status="${status}"}`, value];
    }),
  );
  family("natter_webhook_deliveries_total", byLabel("outcome", metrics.webhookDeliveries));
  family("natter_webhook_request_seconds", histogramValues(metrics.webhookRequestLatency));
  family("natter_webhook_queue_size", single(samples.webhookQueueSize));
  const { memory } = samples;
  family("process_resident_memory_bytes", single(memory?.rss));
  family("natter_heap_used_bytes", single(memory?.heapUsed));
  family("natter_heap_total_bytes", single(memory?.heapTotal));
  family("natter_external_memory_bytes", single(memory?.external));
  return lines.join("\n") + "\n";
}

/**
 * A histogram's samples, suffixes included in the label part: cumulative
 * `_bucket` counts with `le` in seconds, then `_sum` (seconds) and `_count`.
 */
function histogramValues(histogram: Histogram): [string, number][] {
  const values: [string, number][] = [];
  let cumulative = 0;
  histogram.boundsMs.forEach((boundMs, bucket) => {
    cumulative += histogram.counts[bucket];
    values.push([`_bucket{le="${boundMs / 1000}"}`, cumulative]);
  });
  values.push([`_bucket{le="+Inf"}`, histogram.count]);
  values.push(["_sum", histogram.sumMs / 1000]);
  values.push(["_count", histogram.count]);
  return values;
}
