/**
 * Spans around what a message costs, for operators who trace: publishing it
 * (`natter.publish`: from the publish call until the broker stored and sent
 * it) and delivering it to this instance's receivers (`natter.deliver`: one
 * span per message and topic, never per receiver). They go through the
 * OpenTelemetry API: Deno exports them with `OTEL_DENO=true`, and on Node
 * an SDK the operator registers does. Without tracing there is no `Tracing`
 * at all, and a message pays nothing for spans nobody reads.
 *
 * @module
 */
import { type Attributes, SpanStatusCode, trace } from "@opentelemetry/api";
import { VERSION } from "./version.ts";

/** Where spans go. */
export interface Tracing {
  /** Runs `work` in a span named `name`, which ends when its promise settles (with the error, if any). */
  traced<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T>;
  /** Runs synchronous `work` in a span named `name`. */
  tracedSync<T>(name: string, attributes: Attributes, work: () => T): T;
}

/**
 * Spans through the OpenTelemetry API, when the environment asks for them:
 * on Deno `OTEL_DENO=true` (its own export), on Node an OTLP endpoint for an
 * SDK the operator registered. Otherwise none.
 */
export function tracingFor(
  env: Record<string, string | undefined>,
  runtime: "deno" | "node",
): Tracing | undefined {
  // Deno exports only with OTEL_DENO; on Node an SDK reads the endpoint.
  const wanted = runtime === "deno"
    ? env.OTEL_DENO === "true"
    : env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  if (!wanted) return undefined;
  const tracer = trace.getTracer("natter", VERSION);
  return {
    async traced(name, attributes, work) {
      const span = tracer.startSpan(name, { attributes });
      try {
        return await work();
      } catch (error) {
        // The error's name only: a broker's message may echo what was published.
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.name : "error",
        });
        throw error;
      } finally {
        span.end();
      }
    },
    tracedSync(name, attributes, work) {
      const span = tracer.startSpan(name, { attributes });
      try {
        return work();
      } finally {
        span.end();
      }
    },
  };
}
