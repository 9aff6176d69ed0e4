/**
 * The Deno edge with a fake socket in place of `Deno.upgradeWebSocket`, as
 * Hono tests its Deno adapter: how requests are routed, how a socket's
 * events reach the core, and what the edge does with the core's sends and
 * closes. The end-to-end suites run the real upgrade.
 */
import { UNTHROTTLED } from "../support/server.ts";
import { type App, createApp } from "../../src/app.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { loadConfig } from "../../src/config.ts";
import { denoHandler, toConnection, type Upgrade } from "../../src/runtime/deno.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";
import { microtasksDrained, silent } from "../support/sessions.ts";

/** A stand-in for the WebSocket `Deno.upgradeWebSocket` returns, driven by the test. */
class FakeSocket extends EventTarget {
  readyState: number = WebSocket.CONNECTING;
  binaryType = "blob";
  bufferedAmount = 0;
  throwOnSend = false;
  readonly sent: Record<string, unknown>[] = [];
  closedWith?: { code?: number; reason?: string };
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  #waiters = new Set<() => void>();

  send(data: string): void {
    if (this.throwOnSend) throw new Error("socket broke");
    this.sent.push(JSON.parse(data));
    for (const wake of this.#waiters) wake();
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = WebSocket.CLOSING;
    for (const wake of this.#waiters) wake();
  }

  open(): void {
    this.readyState = WebSocket.OPEN;
    this.onopen?.(new Event("open"));
  }

  receive(data: string | ArrayBuffer): void {
    this.onmessage?.(new MessageEvent("message", { data }));
  }

  /** The peer went away: `close` fires, as it may on Deno, `times` times. */
  drop(times = 1): void {
    this.readyState = WebSocket.CLOSED;
    for (let i = 0; i < times; i++) {
      const event = new Event("close");
      this.onclose?.(event);
      this.dispatchEvent(event);
    }
  }

  /** Resolves once `check` holds, checked after every send and close; fails after 5 s. */
  until(check: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(test);
        reject(new Error(`Timed out waiting for ${what}; sent ${JSON.stringify(this.sent)}`));
      }, 5000);
      const test = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.#waiters.delete(test);
        resolve();
      };
      this.#waiters.add(test);
      test();
    });
  }

  /** Resolves with the first frame sent that has every key of `match`. */
  async frame(match: Record<string, unknown>): Promise<Record<string, unknown>> {
    const found = () =>
      this.sent.find((frame) =>
        Object.entries(match).every(([key, value]) => frame[key] === value)
      );
    await this.until(() => found() !== undefined, JSON.stringify(match));
    return found()!;
  }
}

/** An app on the memory broker, its Deno handler with fake upgrades, and the sockets made. */
async function withEdge(
  env: Record<string, string>,
  fn: (edge: {
    app: App;
    request(path: string, headers?: Record<string, string>): Response;
    sockets: FakeSocket[];
    upgrades: { idleTimeout: number }[];
    failUpgrade(reason: string | undefined): void;
  }) => Promise<void> | void,
): Promise<void> {
  const app = await createApp(loadConfig(env), { broker: createMemoryBroker(), log: silent });
  const sockets: FakeSocket[] = [];
  const upgrades: { idleTimeout: number }[] = [];
  let failure: string | undefined;
  const upgrade: Upgrade = (_request, options) => {
    if (failure !== undefined) throw new TypeError(failure);
    upgrades.push(options);
    const socket = new FakeSocket();
    sockets.push(socket);
    return { socket: socket as unknown as WebSocket, response: new Response(null) };
  };
  const handler = denoHandler(app, upgrade);
  // Only the server API answers later; every route these tests ask answers at once.
  const request = (path: string, headers: Record<string, string> = {}) =>
    handler(new Request(`http://localhost${path}`, { headers }), {
      remoteAddr: { hostname: "127.0.0.1" },
    }) as Response;
  try {
    await fn({ app, request, sockets, upgrades, failUpgrade: (reason) => failure = reason });
  } finally {
    await app.shutdown();
  }
}

const UPGRADE = { upgrade: "websocket", connection: "Upgrade" };

Deno.test("deno edge: plain requests get the app's answer", async () => {
  await withEdge({}, async ({ request, sockets }) => {
    const index = request("/");
    assertEquals(index.status, 200);
    assertEquals((await index.json()).server, "natter");
    assertEquals(await request("/healthz").text(), "ok\n");
    assertEquals(request("/ws").status, 426);
    assertEquals(request("/nope").status, 404);
    assertEquals(sockets.length, 0, "nothing was upgraded");
  });
});

Deno.test("deno edge: an upgraded socket's frames reach the core and its answers come back", async () => {
  await withEdge({ IDLE_TIMEOUT_MS: "30000" }, async ({ request, sockets, upgrades }) => {
    request("/ws?username=alice", UPGRADE);
    assertEquals(upgrades, [{ idleTimeout: 30 }]);
    const [socket] = sockets;
    assertEquals(socket.binaryType, "arraybuffer");
    socket.open();
    assertEquals((await socket.frame({ type: "sessionID" })).username, "alice");
    socket.receive(JSON.stringify({ type: "joinChannel", to: "dev", ref: "j" }));
    await socket.frame({ type: "ack", ref: "j" });
    socket.receive(new ArrayBuffer(8));
    await socket.frame({ type: "error", code: "binary_unsupported" });
  });
});

Deno.test("deno edge: a close reported twice releases the connection's place once", async () => {
  await withEdge({ MAX_CONNECTIONS: "1" }, async ({ app, request, sockets }) => {
    request("/ws?username=alice", UPGRADE);
    sockets[0].open();
    await sockets[0].frame({ type: "channelList" });
    assertEquals(request("/ws?username=bob", UPGRADE).status, 503, "the one place is taken");
    sockets[0].drop(2);
    await microtasksDrained();
    assertEquals(app.chat.sessionCount(), 0, "the session is released");
    request("/ws?username=carol", UPGRADE);
    assertEquals(sockets.length, 2, "the place was freed");
    assertEquals(request("/ws?username=dave", UPGRADE).status, 503, "and freed only once");
  });
});

Deno.test("deno edge: a socket closed before it opened frees its place and opens no session", async () => {
  await withEdge({ MAX_CONNECTIONS: "1" }, ({ app, request, sockets }) => {
    request("/ws?username=alice", UPGRADE);
    sockets[0].drop();
    assertEquals(app.chat.sessionCount(), 0);
    request("/ws?username=bob", UPGRADE);
    assertEquals(sockets.length, 2);
  });
});

Deno.test("deno edge: a failed upgrade answers 400 and frees its place", async () => {
  await withEdge({ MAX_CONNECTIONS: "1" }, async ({ request, sockets, failUpgrade }) => {
    failUpgrade("Invalid Header: 'sec-websocket-key' header must be set");
    const refused = request("/ws?username=alice", UPGRADE);
    assertEquals(refused.status, 400);
    assertMatch(await refused.text(), /^Bad WebSocket upgrade: Invalid Header/);
    failUpgrade(undefined);
    request("/ws?username=bob", UPGRADE);
    assertEquals(sockets.length, 1);
  });
});

Deno.test("deno edge: sends and closes never throw, whatever the socket's state", () => {
  const socket = new FakeSocket();
  const connection = toConnection(socket as unknown as WebSocket);
  connection.send(JSON.stringify({ n: 1 }));
  assertEquals(socket.sent, [], "not sent before the socket opened");
  socket.readyState = WebSocket.OPEN;
  connection.send(JSON.stringify({ n: 2 }));
  socket.throwOnSend = true;
  connection.send(JSON.stringify({ n: 3 }));
  socket.throwOnSend = false;
  socket.readyState = WebSocket.CLOSING;
  connection.send(JSON.stringify({ n: 4 }));
  assertEquals(socket.sent, [{ n: 2 }]);
  socket.bufferedAmount = 1234;
  assertEquals(connection.bufferedAmount, 1234);
  socket.readyState = WebSocket.CLOSED;
  connection.close(1000, "bye");
  assertEquals(socket.closedWith, undefined, "a closed socket is not closed again");
  socket.readyState = WebSocket.OPEN;
  connection.close(4005, "slow consumer");
  assertEquals(socket.closedWith, { code: 4005, reason: "slow consumer" });
});

Deno.test("deno edge: the socket's bufferedAmount is what the core watches", async () => {
  const env = { SLOW_CONSUMER_BYTES: "65536", ...UNTHROTTLED };
  await withEdge(env, async ({ request, sockets }) => {
    request("/ws?username=alice", UPGRADE);
    const [socket] = sockets;
    socket.open();
    await socket.frame({ type: "channelList" });
    socket.bufferedAmount = 65_537;
    // The core looks at it once the frames written since its last look could have filled the rest.
    for (let i = 0; i < 1000; i++) socket.receive(JSON.stringify({ type: "ping", ref: `${i}` }));
    await socket.until(() => socket.closedWith !== undefined, "the close");
    assertEquals(socket.closedWith, { code: 4005, reason: "slow consumer" });
  });
});
