/**
 * The `ws` edge, run both ways a user runs it: by `main.ts` with EDGE=ws,
 * and as the Node build's only edge. The same behaviour as the Deno edge,
 * and a real bound on fragmented messages, which the Deno edge only closes
 * after assembling them whole.
 */
import { connect, joinA, joinB, joinChannel } from "../support/client.ts";
import { type NatterProcess, startMain } from "../support/process.ts";
import { rawConnect, rawUpgrade } from "../support/raw.ts";
import { assertEquals } from "../support/assert.ts";

/** Starts the ws edge with `env` on top of the test defaults. */
type StartWsEdge = (env?: Record<string, string>) => Promise<NatterProcess>;

/** The two ways to run the ws edge: a name for test titles, and how to start it. */
const WS_EDGES: [string, StartWsEdge][] = [
  ["deno EDGE=ws", (env = {}) => startMain({ ...env, EDGE: "ws" })],
  ["node", (env = {}) => startMain(env, "node")],
];

/** Registers `name` once for each way to run the ws edge. */
function testEachWsEdge(name: string, fn: (start: StartWsEdge) => Promise<void>): void {
  for (const [label, start] of WS_EDGES) Deno.test(`${name} [${label}]`, () => fn(start));
}

testEachWsEdge(
  "ws edge: kind A, kind B and the HTTP routes behave as on the Deno edge",
  async (start) => {
    await using natter = await start({ ALLOWED_ORIGINS: "https://chat.example.com" });
    await using alice = await joinA(natter.ws, "alice");
    await joinChannel(alice, "lobby");
    await using bob = await joinB(natter.ws, "Bob");
    await alice.take({ type: "broadcast", from: "Server", message: "Bob has joined the chat" });
    alice.send({ type: "broadcast", to: "lobby", message: "hello B", ref: "b" });
    await alice.take({ type: "ack", ref: "b" });
    assertEquals((await bob.take({ sender: "alice" })).text, "hello B");
    const statuses = [];
    for (const path of ["/", "/healthz", "/readyz", "/ws", "/nope"]) {
      const response = await fetch(`${natter.http}${path}`);
      await response.body?.cancel();
      statuses.push(response.status);
    }
    assertEquals(statuses, [200, 200, 200, 426, 404]);
    assertEquals(
      (await rawUpgrade(natter.port, "/ws?username=x", { Origin: "https://evil.example" })).status,
      403,
    );
    await using big = await connect(`${natter.ws}?username=big`);
    await big.take({ type: "channelList" });
    big.send("x".repeat(70_000));
    assertEquals((await big.closed).code, 1009);
  },
);

/**
 * Sends the first `fragments` fragments of a message that is never finished,
 * then a ping (allowed between fragments): answers the first control frame
 * the server sends back, a close (the message was refused while arriving)
 * or a pong (the server is still collecting it).
 */
async function refusedWhileArriving(
  port: number,
  fragments: number,
  size: number,
): Promise<{ refused: boolean; code?: number }> {
  using raw = await rawConnect(port, "/ws?username=fragmenter");
  const piece = new TextEncoder().encode("z".repeat(size));
  for (let i = 0; i < fragments; i++) await raw.sendFrame(piece, i === 0 ? 1 : 0, false);
  await raw.sendFrame(new Uint8Array(0), 9);
  while (true) {
    const frame = await raw.readFrame();
    if (frame.opcode === 10) return { refused: false };
    if (frame.opcode === 8) {
      const code = (frame.bytes[0] << 8) | frame.bytes[1];
      return { refused: true, code };
    }
  }
}

testEachWsEdge(
  "ws edge: a fragmented message over MAX_FRAME_BYTES is refused while it arrives",
  async (start) => {
    // Three 64 KiB fragments: already three times MAX_FRAME_BYTES, and not finished.
    await using wsEdge = await start();
    assertEquals(await refusedWhileArriving(wsEdge.port, 3, 64 * 1024), {
      refused: true,
      code: 1009,
    });
  },
);

Deno.test("deno edge, by contrast: a fragmented message is collected until whole", async () => {
  await using denoEdge = await startMain({ EDGE: "deno" });
  assertEquals(await refusedWhileArriving(denoEdge.port, 3, 64 * 1024), { refused: false });
});

testEachWsEdge("ws edge: a message in too many fragments is refused", async (start) => {
  await using natter = await start();
  assertEquals(await refusedWhileArriving(natter.port, 100, 1), { refused: true, code: 1008 });
  await using alice = await joinA(natter.ws, "alice");
  assertEquals(alice.session.username, "alice");
});
