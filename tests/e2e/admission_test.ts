/**
 * Who may open a WebSocket: origins, the connection caps (total and per
 * client address, X-Forwarded-For only behind a trusted proxy), and idle
 * clients disconnected by ping/pong, where any frame a client sends counts
 * as a sign of life.
 */
import { joinA, names } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { rawConnect, rawUpgrade } from "../support/raw.ts";
import { assertEquals } from "../support/assert.ts";

testEachRuntime(
  "admission: a browser from an origin not allowed gets 403 before any WebSocket",
  async (runtime) => {
    await using server = await startServer(runtime, {
      ALLOWED_ORIGINS: "https://chat.example.com,http://localhost:3000",
    });
    const port = server.port;
    const refused = await rawUpgrade(port, "/ws?username=alice", {
      Origin: "https://evil.example",
    });
    assertEquals(refused.status, 403);
    const allowed: Record<string, string>[] = [
      { Origin: "https://chat.example.com" },
      { Origin: "http://LOCALHOST:3000/" },
      {},
    ];
    for (const [i, headers] of allowed.entries()) {
      const attempt = await rawUpgrade(port, `/ws?username=allowed${i}`, headers);
      assertEquals(attempt.status, 101, JSON.stringify(headers));
      attempt.client![Symbol.dispose]();
    }
  },
);

testEachRuntime(
  "admission: a full instance refuses with 503, and admits again when a place frees up",
  async (runtime) => {
    await using server = await startServer(runtime, { MAX_CONNECTIONS: "2" });
    const port = server.port;
    const first = await joinA(server.ws, "one");
    await using second = await joinA(server.ws, "two");
    assertEquals((await rawUpgrade(port, "/ws?username=three")).status, 503);
    await first.close();
    // The place is free once the server has seen the close: retry until it has.
    for (let attempt = 0;; attempt++) {
      const retry = await rawUpgrade(port, `/ws?username=three${attempt}`);
      if (retry.status === 101) {
        retry.client![Symbol.dispose]();
        break;
      }
      assertEquals(retry.status, 503);
    }
    assertEquals(second.session.username, "two");
  },
);

testEachRuntime(
  "admission: connections per client address are capped; X-Forwarded-For counts only behind a trusted proxy",
  async (runtime) => {
    for (const trustProxy of [false, true]) {
      await using server = await startServer(runtime, {
        MAX_CONNECTIONS_PER_IP: "2",
        TRUST_PROXY: `${trustProxy}`,
      });
      const port = server.port;
      const open = [];
      for (let i = 0; i < 2; i++) {
        const attempt = await rawUpgrade(port, `/ws?username=a${i}`, {
          "X-Forwarded-For": "203.0.113.7",
        });
        assertEquals(attempt.status, 101);
        open.push(attempt.client!);
      }
      const sameClient = await rawUpgrade(port, "/ws?username=a2", {
        "X-Forwarded-For": "203.0.113.7",
      });
      assertEquals(sameClient.status, 429);
      const otherClient = await rawUpgrade(port, "/ws?username=b", {
        "X-Forwarded-For": "198.51.100.1, 203.0.113.9",
      });
      // Behind a trusted proxy the last entry is the client; otherwise every request is 127.0.0.1.
      assertEquals(otherClient.status, trustProxy ? 101 : 429);
      otherClient.client?.[Symbol.dispose]();
      for (const client of open) client[Symbol.dispose]();
    }
  },
);

testEachRuntime(
  "idle: a client that answers no ping and sends nothing is closed with 1001; one sending seed A's keep-alive frames stays",
  async (runtime) => {
    await using server = await startServer(runtime, {
      IDLE_TIMEOUT_MS: "1000",
      LIST_UPDATE_INTERVAL_MS: "100",
    });
    await using watcher = await joinA(server.ws, "watcher");
    using pinging = await rawConnect(server.port, "/ws?username=pinging");
    using silent = await rawConnect(server.port, "/ws?username=silent");
    await watcher.take((f) => f.type === "userList" && names(f).includes("silent"));
    // Neither raw client answers the server's pings; only one sends frames, every 200 ms.
    const keepAlive = setInterval(() => {
      pinging.sendText(JSON.stringify({ type: "ping", message: "keep-alive", from: "pinging" }))
        .catch(() => {});
    }, 200);
    try {
      const list = await watcher.take(
        (f) => f.type === "userList" && !names(f).includes("silent"),
        15_000,
      );
      assertEquals(names(list).includes("pinging"), true, "the pinging client is still online");
    } finally {
      clearInterval(keepAlive);
    }
    let frame;
    do frame = await silent.readFrame(); while (frame.opcode !== 8);
    assertEquals((frame.bytes[0] << 8) | frame.bytes[1], 1001, "the close frame says going away");
    do frame = await pinging.readFrame(); while (
      !(frame.opcode === 1 && frame.text.includes('"pong"'))
    );
  },
);
