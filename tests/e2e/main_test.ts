/** The real entry point, as a user runs it: startup, graceful shutdown, bad configuration. */
import { connect } from "../support/client.ts";
import { runMain, startMain } from "../support/process.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

for (const edge of ["deno", "ws"]) {
  Deno.test(`main.ts (EDGE=${edge}): serves kind-A clients and shuts down gracefully on SIGTERM`, async () => {
    await using natter = await startMain({ EDGE: edge });
    assertMatch(natter.output(), new RegExp(`edge=${edge}`));
    await using alice = await connect(`${natter.ws}?username=alice`);
    assertEquals((await alice.take({ type: "sessionID" })).username, "alice");
    natter.child.kill("SIGTERM");
    assertEquals((await alice.closed).code, 1001);
    assertEquals((await natter.status).code, 0);
    assertMatch(natter.output(), /shutting down signal=SIGTERM/);
  });
}

Deno.test("main.ts: a bad variable stops startup with a message naming it", async () => {
  const { code, output } = await runMain({ PORT: "http", MAX_FRAME_BYTES: "10" });
  assertEquals(code, 1);
  assertMatch(
    output,
    /Invalid configuration: PORT must be an integer from 0 to 65535 \(got "http"\)/,
  );
  assertMatch(output, /MAX_FRAME_BYTES/);
});
