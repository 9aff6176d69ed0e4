/**
 * The HTTP surface: the web app and the index, health, the WebSocket
 * endpoint refusing plain requests, 404.
 */
import { joinA, joinChannel } from "../support/client.ts";
import { startMain } from "../support/process.ts";
import { rawConnect, rawUpgrade } from "../support/raw.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

testEachRuntime("http: / names the server and where to connect", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await fetch(`${server.http}/`);
  assertEquals(response.status, 200);
  const body = await response.json();
  assertEquals([body.server, body.websocket, body.websocketPaths, body.auth], ["natter", "/ws", [
    "/ws",
    "/chat",
  ], "anonymous"]);
});

testEachRuntime(
  "http: a browser opening / gets the web app, held to its own scripts; JSON clients the index",
  async (runtime) => {
    await using natter = await startMain({}, runtime);
    const page = await fetch(`${natter.http}/`, {
      headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
    });
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    assertMatch(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assertMatch(await page.text(), /<script type="module" src="\/app\.js"><\/script>/);
    const built = new URL(
      runtime === "deno" ? "../../dist/web/" : "../../dist/node/web/",
      import.meta.url,
    );
    for (const [path, type] of [["app.js", "text/javascript"], ["app.css", "text/css"]]) {
      const file = await fetch(`${natter.http}/${path}`);
      assertEquals(file.headers.get("content-type"), `${type}; charset=utf-8`);
      assertEquals(await file.text(), await Deno.readTextFile(new URL(path, built)), path);
    }
    // A browser that has this build's file gets a 304 without it; another version, the file.
    const first = await fetch(`${natter.http}/app.js`);
    const etag = first.headers.get("etag")!;
    await first.body?.cancel();
    const again = await fetch(`${natter.http}/app.js`, { headers: { "if-none-match": etag } });
    assertEquals([again.status, await again.text()], [304, ""]);
    const stale = await fetch(`${natter.http}/app.js`, { headers: { "if-none-match": '"old"' } });
    assertEquals([stale.status, stale.headers.get("etag")], [200, etag]);
    await stale.body?.cancel();
    const icon = await fetch(`${natter.http}/icon.svg`);
    assertEquals([icon.status, icon.headers.get("content-type")], [200, "image/svg+xml"]);
    await icon.body?.cancel();
    assertEquals(page.headers.get("vary"), "Accept", "caches keep the two answers of / apart");
    const index = await fetch(`${natter.http}/`, { headers: { accept: "application/json" } });
    assertEquals([index.headers.get("vary"), (await index.json()).websocket], ["Accept", "/ws"]);
    const refusesHtml = await fetch(`${natter.http}/`, {
      headers: { accept: "text/html;q=0, application/json" },
    });
    assertEquals(refusesHtml.headers.get("content-type"), "application/json; charset=utf-8");
    await refusesHtml.body?.cancel();
  },
);

Deno.test("http: without a built web app, a browser opening / is told how to build it", async () => {
  await using server = await startServer("deno");
  const page = await fetch(`${server.http}/`, { headers: { accept: "text/html" } });
  assertEquals(page.status, 503);
  assertMatch(await page.text(), /deno task build:web/);
  const script = await fetch(`${server.http}/app.js`);
  assertEquals(script.status, 404);
  await script.body?.cancel();
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
  const response = await fetch(`${server.http}/chats`);
  assertEquals(response.status, 404);
  await response.body?.cancel();
});

testEachRuntime(
  "http: /chat upgrades like /ws, and its clients chat with those of /ws",
  async (runtime) => {
    await using server = await startServer(runtime);
    const chatUrl = server.ws.replace(/\/ws$/, "/chat");
    await using alice = await joinA(chatUrl, "alice");
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(alice, "general");
    await joinChannel(bob, "general");
    alice.send({ type: "broadcast", to: "general", message: "hi from /chat" });
    await bob.take({ type: "broadcast", from: "alice", message: "hi from /chat" });
    const plain = await fetch(`${server.http}/chat?username=alice`);
    assertEquals([plain.status, plain.headers.get("upgrade")], [426, "websocket"]);
    await plain.body?.cancel();
  },
);

testEachRuntime("http: WS_PATHS chooses the WebSocket paths; others are 404", async (runtime) => {
  await using server = await startServer(runtime, { WS_PATHS: "/realtime, /v1/chat" });
  for (const [path, name] of [["/realtime", "alice"], ["/v1/chat", "bob"]]) {
    await using client = await joinA(`ws://127.0.0.1:${server.port}${path}`, name);
    assertEquals(client.session.username, name);
  }
  for (const path of ["/ws", "/chat"]) {
    const response = await fetch(`${server.http}${path}`, {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    assertEquals([path, response.status], [path, 404]);
    await response.body?.cancel();
  }
  const index = await (await fetch(`${server.http}/`)).json();
  assertEquals([index.websocket, index.websocketPaths], ["/realtime", ["/realtime", "/v1/chat"]]);
  const upgradeOnly = await fetch(`${server.http}/v1/chat`);
  assertEquals(upgradeOnly.status, 426);
  assertMatch(await upgradeOnly.text(), /\/realtime\?username=NAME/);
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

testEachRuntime(
  "http: Upgrade without Connection: Upgrade gets 400 and holds no place",
  async (runtime) => {
    await using server = await startServer(runtime, { MAX_CONNECTIONS_PER_IP: "2" });
    const halfUpgrade = "GET /ws?username=alice HTTP/1.1\r\nHost: localhost\r\n" +
      "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      "Sec-WebSocket-Version: 13\r\n\r\n";
    for (let i = 0; i < 3; i++) {
      assertMatch(
        await exchange(server.port, halfUpgrade),
        /^HTTP\/1\.1 400[^]*Bad WebSocket upgrade/,
      );
    }
    await using alice = await joinA(server.ws, "alice");
    await using bob = await joinA(server.ws, "bob");
    assertEquals([alice.session.username, bob.session.username], ["alice", "bob"]);
  },
);

testEachRuntime("http: answers carry content-length, HEAD ones too", async (runtime) => {
  await using server = await startServer(runtime);
  for (const path of ["/", "/healthz", "/nope"]) {
    const get = await fetch(`${server.http}${path}`);
    const body = new Uint8Array(await get.arrayBuffer());
    assertEquals(get.headers.get("content-length"), `${body.length}`, `GET ${path}`);
    const head = await fetch(`${server.http}${path}`, { method: "HEAD" });
    await head.body?.cancel();
    assertEquals(head.headers.get("content-length"), `${body.length}`, `HEAD ${path}`);
  }
});

testEachRuntime("http: an absolute-form request target is routed by its path", async (runtime) => {
  await using server = await startServer(runtime);
  const response = await exchange(
    server.port,
    "GET http://example.com/healthz HTTP/1.1\r\nHost: example.com\r\n\r\n",
  );
  assertMatch(response, /^HTTP\/1\.1 200[^]*\r\n\r\nok\n/);
});

testEachRuntime("http: a refused upgrade has the standard reason phrase", async (runtime) => {
  await using server = await startServer(runtime, { ALLOWED_ORIGINS: "https://chat.example.com" });
  const refused = await rawUpgrade(server.port, "/ws?username=x", {
    Origin: "https://evil.example",
  });
  assertMatch(refused.head, /^HTTP\/1\.1 403 Forbidden\r\n/);
});

testEachRuntime("http: a client offering subprotocols gets none selected", async (runtime) => {
  await using server = await startServer(runtime);
  const offered = await rawUpgrade(server.port, "/ws?username=alice", {
    "Sec-WebSocket-Protocol": "chat, superchat",
  });
  offered.client?.[Symbol.dispose]();
  assertEquals(offered.status, 101);
  assertEquals(/sec-websocket-protocol/i.test(offered.head), false, offered.head);
});

testEachRuntime(
  "http: a legal frame arriving in many small network reads is accepted",
  async (runtime) => {
    await using server = await startServer(runtime, { MAX_MESSAGE_CHARS: "40000" });
    await using bob = await joinA(server.ws, "bob");
    await joinChannel(bob, "slow");
    using slow = await rawConnect(server.port, "/ws?username=slow");
    await slow.sendText(JSON.stringify({ type: "joinChannel", to: "slow" }));
    const text = "s".repeat(30_000);
    const frame = JSON.stringify({ type: "broadcast", to: "slow", message: text });
    // 600 writes of 50 bytes, each a separate read on the server.
    await slow.sendFrame(new TextEncoder().encode(frame), 1, true, 50);
    const heard = await bob.take({ type: "broadcast", from: "slow" });
    assertEquals(heard.message, text);
  },
);
