/**
 * The metrics' text format and documentation: histogram buckets are
 * cumulative and in seconds, every family has its HELP and TYPE, and the
 * README's metrics table lists exactly the families Natter exposes, with
 * their types and labels.
 */
import { exposition, METRIC_FAMILIES, type Samples } from "../../src/metrics/exposition.ts";
import { Histogram } from "../../src/metrics/histogram.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { assert, assertEquals } from "../support/assert.ts";

const SAMPLES: Samples = {
  connections: { A: 2, B: 1 },
  sessions: { A: 1, B: 1 },
  onlineUsers: 5,
  channels: 3,
  webhookQueueSize: 4,
  memory: { rss: 100, heapTotal: 50, heapUsed: 40, external: 10 },
};

Deno.test("metrics: a histogram's buckets are cumulative, in seconds, with sum and count", () => {
  const histogram = new Histogram([1, 10]);
  for (const ms of [0.5, 1, 5, 50, -3]) histogram.observe(ms);
  const metrics = new Metrics();
  metrics.publishLatency.observe(0.5);
  metrics.publishLatency.observe(2000);
  const lines = exposition(metrics, SAMPLES).split("\n");
  assertEquals(Array.from(histogram.counts), [3, 1, 1]);
  assertEquals([histogram.count, histogram.sumMs], [5, 56.5]);
  const published = lines.filter((line) => line.startsWith("natter_broker_publish_seconds"));
  assert(published.includes('natter_broker_publish_seconds_bucket{le="0.0005"} 1'));
  assert(published.includes('natter_broker_publish_seconds_bucket{le="1"} 1'));
  assert(published.includes('natter_broker_publish_seconds_bucket{le="3"} 2'));
  assert(published.includes('natter_broker_publish_seconds_bucket{le="+Inf"} 2'));
  assert(published.includes("natter_broker_publish_seconds_sum 2.0005"));
  assert(published.includes("natter_broker_publish_seconds_count 2"));
});

Deno.test("metrics: every family is written with its HELP and TYPE, counters from their fields", () => {
  const metrics = new Metrics();
  metrics.framesIn.broadcast += 3;
  metrics.errors.rate_limited++;
  metrics.countClose(4005);
  metrics.countClose("remote");
  metrics.countClose("remote");
  metrics.countApiRequest("POST /api/publish", 200);
  const text = exposition(metrics, SAMPLES);
  for (const [name, family] of Object.entries(METRIC_FAMILIES)) {
    assert(text.includes(`# TYPE ${name} ${family.type}\n`), `${name} has its TYPE`);
    assert(text.includes(`# HELP ${name} `), `${name} has its HELP`);
  }
  for (
    const sample of [
      'natter_frames_in_total{type="broadcast"} 3',
      'natter_errors_total{code="rate_limited"} 1',
      'natter_closes_total{code="4005"} 1',
      'natter_closes_total{code="remote"} 2',
      'natter_api_requests_total{route="POST /api/publish",status="200"} 1',
      'natter_connections{kind="A"} 2',
      "natter_online_users 5",
      'natter_webhook_deliveries_total{outcome="dropped"} 0',
      "natter_webhook_queue_size 4",
      "process_resident_memory_bytes 100",
    ]
  ) assert(text.split("\n").includes(sample), `${sample} is written`);
});

Deno.test("metrics: a broker that could not be asked, no webhooks or no memory reader leave those gauges out", () => {
  const text = exposition(new Metrics(), { connections: { A: 0, B: 0 }, sessions: { A: 0, B: 0 } });
  for (
    const name of [
      "natter_online_users",
      "natter_channels",
      "natter_webhook_queue_size",
      "process_resident_memory_bytes",
    ]
  ) {
    assert(!text.includes(name), `${name} is left out`);
  }
});

Deno.test("README: the metrics table lists every metric with its type and labels", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.split("### Metrics")[1]?.split(/\n##+ /)[0] ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("| `"));
  const documented = rows.map((line) => {
    const [, name, type, labels] = line.split("|").map((cell) => cell.trim());
    return [name.replaceAll("`", ""), type, labels.replaceAll("`", "")].join(" ");
  });
  assertEquals(
    documented,
    Object.entries(METRIC_FAMILIES).map(([name, family]) =>
      [name, family.type, family.labels.join(", ")].join(" ")
    ),
  );
});
