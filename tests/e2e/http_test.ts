/** The HTTP surface: index, health, the WebSocket endpoint refusing plain requests, 404. */
import { startServer } from "../support/server.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("http: / names the server and where to connect", async () => {
  await using server = await startServer();
  const response = await fetch(`${server.http}/`);
  assertEquals(response.status, 200);
  const body = await response.json();
  assertEquals([body.server, body.websocket], ["natter", "/ws"]);
});

Deno.test("http: /healthz answers 200", async () => {
  await using server = await startServer();
  const response = await fetch(`${server.http}/healthz`);
  assertEquals([response.status, await response.text()], [200, "ok\n"]);
});

Deno.test("http: a plain GET to /ws gets 426 with an explanation", async () => {
  await using server = await startServer();
  const response = await fetch(`${server.http}/ws?username=alice`);
  assertEquals(response.status, 426);
  assertEquals(response.headers.get("upgrade"), "websocket");
  assertMatch(await response.text(), /WebSocket/);
});

Deno.test("http: anything else is 404", async () => {
  await using server = await startServer();
  const response = await fetch(`${server.http}/chat`);
  assertEquals(response.status, 404);
  await response.body?.cancel();
});
