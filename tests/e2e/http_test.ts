/** The HTTP surface: index, health, the WebSocket endpoint refusing plain requests, 404. */
import { joinA } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

testEachRuntime("http: / names the server and where to connect", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await fetch(`${server.http}/`);
  assertEquals(response.status, 200);
  const body = await response.json();
  assertEquals([body.server, body.websocket], ["natter", "/ws"]);
});

testEachRuntime("http: /healthz answers 200", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await fetch(`${server.http}/healthz`);
  assertEquals([response.status, await response.text()], [200, "ok\n"]);
});

testEachRuntime("http: a plain GET to /ws gets 426 with an explanation", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await fetch(`${server.http}/ws?username=alice`);
  assertEquals(response.status, 426);
  assertEquals(response.headers.get("upgrade"), "websocket");
  assertMatch(await response.text(), /WebSocket/);
});

testEachRuntime("http: anything else is 404", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await fetch(`${server.http}/chat`);
  assertEquals(response.status, 404);
  await response.body?.cancel();
});

/** Sends `request` as is; answers the response, read up to the first line of its body. */
async function exchange(port: number, request: string): Promise<string> {
  using tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  await tcp.write(new TextEncoder().encode(request));
  let response = "";
  const buffer = new Uint8Array(1024);
  const decoder = new TextDecoder();
  while (!/\r\n\r\n[^]*\n/.test(response)) {
    const read = await tcp.read(buffer);
    if (read === null) break;
    response += decoder.decode(buffer.subarray(0, read), { stream: true });
  }
  return response;
}

/** An upgrade request without Sec-WebSocket-Key or version: not a valid handshake. */
const MALFORMED_UPGRADE = "GET /ws?username=alice HTTP/1.1\r\nHost: localhost\r\n" +
  "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

testEachRuntime(
  "http: a malformed WebSocket upgrade gets 400, not a server fault",
  async (runtime) => {
    await using server = await startServer(runtime);
    const response = await exchange(server.port, MALFORMED_UPGRADE);
    assertMatch(response, /^HTTP\/1\.1 400/);
    assertMatch(response, /Bad WebSocket upgrade/);
  },
);

testEachRuntime("http: malformed upgrades do not hold connection places", async (runtime) => {
  await using server = await startServer(runtime, { MAX_CONNECTIONS_PER_IP: "2" });
  for (let i = 0; i < 3; i++) {
    assertMatch(await exchange(server.port, MALFORMED_UPGRADE), /^HTTP\/1\.1 400/);
  }
  await using alice = await joinA(server.ws, "alice");
  await using bob = await joinA(server.ws, "bob");
  assertEquals([alice.session.username, bob.session.username], ["alice", "bob"]);
});

testEachRuntime(
  "http: a Host header no URL can be built from gets 400; the server goes on",
  async (runtime) => {
    await using server = await startServer(runtime);
    const upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    for (const extra of ["", upgrade]) {
      const response = await exchange(
        server.port,
        `GET /ws?username=alice HTTP/1.1\r\nHost: a b\r\n${extra}\r\n`,
      );
      assertMatch(response, /^HTTP\/1\.1 400/);
      assertMatch(response, /the request URL cannot be parsed/);
    }
    const health = await fetch(`${server.http}/healthz`);
    assertEquals([health.status, await health.text()], [200, "ok\n"]);
  },
);
