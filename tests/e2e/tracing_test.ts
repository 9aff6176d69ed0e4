/**
 * Tracing with Deno's own OpenTelemetry export: with `OTEL_DENO=true`,
 * Natter's spans around a publish and a delivery reach the OTLP endpoint,
 * here a real HTTP receiver started by the test.
 */
import { ask, joinA, joinChannel } from "../support/client.ts";
import { startMain } from "../support/process.ts";
import { assert } from "../support/assert.ts";

Deno.test("tracing: with OTEL_DENO=true, natter.publish and natter.deliver spans reach the OTLP endpoint [deno]", async () => {
  let traces = "";
  const arrived = new Set<() => void>();
  await using receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const body = new TextDecoder().decode(await request.arrayBuffer());
      if (new URL(request.url).pathname === "/v1/traces") {
        traces += body;
        for (const wake of arrived) wake();
      }
      return new Response("{}", { headers: { "content-type": "application/json" } });
    },
  );
  await using natter = await startMain({
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.addr.port}`,
    OTEL_BSP_SCHEDULE_DELAY: "100",
  }, "deno");
  await using alice = await joinA(natter.ws, "alice");
  await joinChannel(alice, "room");
  await ask(alice, { type: "broadcast", to: "room", message: "traced" }, "1");
  await alice.take({ type: "broadcast", message: "traced" });
  const deadline = Date.now() + 20_000;
  while (!(traces.includes("natter.publish") && traces.includes("natter.deliver"))) {
    assert(Date.now() < deadline, `spans exported: ${traces.length} bytes, without ours`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 500);
      function done() {
        clearTimeout(timer);
        arrived.delete(done);
        resolve();
      }
      arrived.add(done);
    });
  }
  assert(!traces.includes("traced"), "no message text in a span");
});
