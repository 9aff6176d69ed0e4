/**
 * Review 15b repros (SDK): read bookkeeping that goes wrong. Each asserts the
 * right behaviour, so each fails on the reviewed code (2cb93e5).
 */
import type { ServerFrameA } from "../../src/client/mod.ts";
import { ReadPositions } from "../../src/client/reads.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { startServer } from "../support/server.ts";
import { clientPool, until } from "./support.ts";

const SEED = { sessionID: "" } as const;
const id = (n: number) => `${String(1_700_000_000_000 + n).padStart(13, "0")}-000000`;
const ROOM = { channel: "room" } as const;

function message(n: number, from: string, text = "hi"): ServerFrameA<"broadcast"> {
  return { ...SEED, type: "broadcast", to: "room", from, message: text, id: id(n), ts: n };
}

function readState(read: number, unread: number, countedTo: number): ServerFrameA<"readState"> {
  return {
    ...SEED,
    type: "readState",
    to: "",
    from: "",
    message: "",
    channels: [{ name: "room", read: id(read), unread, mentions: 0 }],
    conversations: [],
    countedTo: id(countedTo),
  };
}

function read(at: number, unread: number, countedTo: number): ServerFrameA<"read"> {
  return {
    ...SEED,
    type: "read",
    to: "room",
    from: "",
    message: "",
    id: id(at),
    unread,
    mentions: 0,
    countedTo: id(countedTo),
  };
}

Deno.test("review: a channel never read keeps every message in #pending, copying the array each time (quadratic)", () => {
  const times: number[] = [];
  for (const n of [10_000, 20_000, 40_000]) {
    const reads = new ReadPositions(() => {});
    reads.receive(readState(0, 0, 0), "alice");
    const start = performance.now();
    for (let i = 1; i <= n; i++) reads.message(message(i, "bob"), "alice");
    times.push(Math.round(performance.now() - start));
  }
  console.log("10k, 20k, 40k messages (ms):", times); // 2cb93e5: about [145, 2440, 10154]
  assert(times[2] < 1_000, `40,000 messages took ${times[2]} ms`);
});

Deno.test("review: a late read frame with the same id and an older countedTo undercounts", () => {
  const reads = new ReadPositions(() => {});
  // Another device read up to 10 when the server's last id was 12 (unread 2: 11, 12)...
  // ...then this session connects: positions taken when the last id was 14 (unread 4).
  reads.receive(readState(10, 4, 14), "alice");
  // 13 and 14 already counted; 15 arrives live.
  reads.message(message(15, "bob"), "alice");
  assertEquals(reads.get(ROOM)?.unread, 5);
  // The read frame of that markRead (id 10, counted to 12) arrives only now (another instance).
  reads.receive(read(10, 2, 12), "alice");
  // Truth: 11..15 from bob = 5 unread. The SDK now says:
  assertEquals(reads.get(ROOM)?.unread, 5, "11..15 from bob"); // 2cb93e5: 3
});

Deno.test("review: a direct message sent from this session does not clear its own unread count", async () => {
  await using server = await startServer("deno");
  await using clients = clientPool();
  const alice = clients.connect({ url: server.ws, username: "alice" });
  const bob = clients.connect({ url: server.ws, username: "bob" });
  await Promise.all([alice.ready(), bob.ready()]);
  const phone = clients.connect({ url: server.ws, token: bob.token });
  await phone.ready();
  await alice.directMessage("bob", "one");
  await alice.directMessage("bob", "two");
  await until(() => bob.readPosition({ with: "alice" })?.unread === 2);
  await until(() => phone.readPosition({ with: "alice" })?.unread === 2);
  await bob.directMessage("alice", "answering both");
  await until(() => phone.readPosition({ with: "alice" })?.unread === 0);
  // The server says 0 too: a new session of bob's is told so.
  const tablet = clients.connect({ url: server.ws, token: bob.token });
  await tablet.ready();
  await until(() => tablet.readPosition({ with: "alice" }) !== undefined);
  assertEquals(tablet.readPosition({ with: "alice" })?.unread, 0, "the server's count");
  assertEquals(bob.readPosition({ with: "alice" })?.unread, 0, "the sending session"); // 2cb93e5: 2
});
