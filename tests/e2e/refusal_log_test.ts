/**
 * Refusals are visible to operators: at LOG_LEVEL=debug every refused
 * request, connection and frame is a log line with its code and session,
 * never a message text, and a flood of refusals stays bounded in rate.
 */
import { connect, joinA } from "../support/client.ts";
import { startMain } from "../support/process.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

/** The lines of `output` with `event` in them. */
function linesOf(output: string, event: string): string[] {
  return output.split("\n").filter((line) => line.includes(` DEBUG ${event}`));
}

testEachRuntime(
  "refusal log: refused requests, connections and frames are logged at debug, without texts",
  async (runtime) => {
    await using server = await startMain({ LOG_LEVEL: "debug" }, runtime);
    const wrongPath = await fetch(`${server.http}/socket`, {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    await wrongPath.body?.cancel();
    await server.untilOutput(
      /DEBUG http.refused status=404 method=GET path=\/socket upgrade=websocket/,
    );

    using tcp = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await tcp.write(new TextEncoder().encode(
      "GET /chat?username=x HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\n\r\n",
    ));
    await server.untilOutput(/DEBUG http.refused status=400 reason=.+ peer=127\.0\.0\.1/);

    await using alice = await joinA(server.ws, "alice");
    const sessionId = alice.session.sessionID!;
    await using taken = await connect(`${server.ws}?username=alice`);
    await taken.closed;
    await server.untilOutput(
      /DEBUG session.refused close=4002 reason=username_taken session=\S+/,
    );

    alice.send({ type: "shout", message: "SECRET-TEXT-1", ref: "r1" });
    alice.send('{"type":"broadcast","to":"bad channel!","message":"SECRET-TEXT-2"}');
    alice.send("not json SECRET-TEXT-3");
    await alice.take({ type: "error", code: "invalid_json" });
    await server.untilOutput(/frame.refused code=invalid_json/);
    const refused = linesOf(server.output(), "frame.refused");
    assertEquals(refused.length, 3, refused.join("\n"));
    assertMatch(
      refused[0],
      new RegExp(`code=unknown_type session=${sessionId} user=alice ref=r1$`),
    );
    assertMatch(refused[1], new RegExp(`code=invalid_channel session=${sessionId} user=alice$`));
    assertEquals(/SECRET-TEXT/.test(server.output()), false, "no message text is ever logged");
  },
);

testEachRuntime("refusal log: a flood of refusals is logged at a bounded rate", async (runtime) => {
  await using server = await startMain({ LOG_LEVEL: "debug" }, runtime);
  await using flooder = await joinA(server.ws, "flooder");
  const started = performance.now();
  const flood = 2_000;
  for (let i = 0; i < flood; i++) flooder.send("{");
  // Each is refused: invalid_json, or rate_limited while 64 are queued.
  await flooder.takeMany(flood, { type: "error" }, 30_000);
  // Then one refusal at a time, 100 ms apart, until one is logged again: by then every
  // dropped line has been counted in a "dropped" line printed before it.
  let sent = flood;
  for (let mark = 0;; mark++) {
    flooder.send({ type: "mark", ref: `m${mark}` });
    sent++;
    await flooder.take({ type: "error", ref: `m${mark}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (server.output().includes(` ref=m${mark}\n`)) break;
    assert(mark < 150, "no refusal was logged again within 15 s of the flood");
  }
  const seconds = (performance.now() - started) / 1000;
  const logged = linesOf(server.output(), "frame.refused").length;
  const droppedTotal = [...server.output().matchAll(/DEBUG log.dropped dropped=(\d+)/g)]
    .reduce((sum, match) => sum + Number(match[1]), 0);
  // At most the burst (100) plus 20 a second, whatever the flood; every refusal is accounted for.
  assert(logged <= 100 + 20 * (seconds + 1), `${logged} lines in ${seconds.toFixed(1)} s`);
  assert(logged >= 100, `the burst is logged: ${logged}`);
  assertEquals(logged + droppedTotal, sent, `${logged} logged and ${droppedTotal} dropped`);
  flooder.send({ type: "ping", ref: "still-served" });
  await flooder.take({ type: "pong", ref: "still-served" });
});
