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

Deno.test("http: a malformed WebSocket upgrade gets 400, not a server fault", async () => {
  await using server = await startServer();
  const { port } = new URL(server.http);
  using tcp = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  // Upgrade headers without Sec-WebSocket-Key or version: not a valid handshake.
  const request = "GET /ws?username=alice HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\n\r\n";
  await tcp.write(new TextEncoder().encode(request));
  const buffer = new Uint8Array(1024);
  const read = await tcp.read(buffer);
  const response = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
  assertMatch(response, /^HTTP\/1\.1 400/);
  assertMatch(response, /Bad WebSocket upgrade/);
});
