/**
 * Kind-B clients (seed protocol B) end to end: registration, announcements,
 * messages to everyone, and the lobby shared with kind-A clients.
 */
import { connect, joinA, joinB, names } from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals } from "../support/assert.ts";

testEachRuntime("kind B: the seed README's client flow works unchanged", async (runtime) => {
  await using server = await startServer(runtime);
  // As in the seed README: connect to /ws, send the name with empty text, print sender: text.
  await using alice = await connect(server.ws, "B");
  alice.send({ sender: "Alice", text: "" });
  const joined = await alice.take();
  assertEquals([joined.sender, joined.text], ["Server", "Alice has joined the chat"]);
  alice.send({ sender: "Alice", text: "Hello, everyone!" });
  const echo = await alice.take();
  assertEquals([echo.sender, echo.text], ["Alice", "Hello, everyone!"]);
});

testEachRuntime("kind B: joins and leaves are announced by Server to everyone", async (runtime) => {
  await using server = await startServer(runtime);
  await using alice = await joinB(server.ws, "Alice");
  const bob = await joinB(server.ws, "Bob");
  await alice.take({ sender: "Server", text: "Bob has joined the chat" });
  await bob.close();
  await alice.take({ sender: "Server", text: "Bob has left the chat" });
});

testEachRuntime(
  "kind B: every text reaches everyone, sender included, under the registered name",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinB(server.ws, "Alice");
    await using bob = await joinB(server.ws, "Bob");
    bob.send({ sender: "Alice", text: "I am not Alice", ref: "r1" });
    const ack = await bob.take({ type: "ack", ref: "r1" });
    for (const client of [alice, bob]) {
      const frame = await client.take({ text: "I am not Alice" });
      assertEquals([frame.sender, frame.id], ["Bob", ack.id]);
    }
  },
);

testEachRuntime(
  "kind B: a taken name gets the seed's refusal, then the socket closes",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using alice = await joinB(server.ws, "Alice");
    await using copycat = await connect(server.ws, "B");
    copycat.send({ sender: "alice", text: "" });
    const refusal = await copycat.take();
    assertEquals([refusal.sender, refusal.text, refusal.code], [
      "Server",
      "Username already taken",
      "username_taken",
    ]);
    assertEquals((await copycat.closed).code, 4002);
    // Kind A and kind B share one namespace.
    await using kindA = await connect(`${server.ws}?username=ALICE`);
    assertEquals((await kindA.take({ type: "error" })).code, "username_taken");
    await using holder = await joinA(server.ws, "carol");
    await using late = await connect(server.ws, "B");
    late.send({ sender: "Carol", text: "" });
    assertEquals((await late.take()).text, "Username already taken");
    assertEquals(alice.pending({ text: "Username already taken" }), []);
    assertEquals(holder.session.username, "carol");
  },
);

testEachRuntime("kind B: a first frame with text registers and says it", async (runtime) => {
  await using server = await startServer(runtime);
  await using alice = await joinB(server.ws, "Alice");
  await using bob = await connect(server.ws, "B");
  bob.send({ sender: "Bob", text: "hi straight away" });
  await bob.take({ sender: "Server", text: "Bob has joined the chat" });
  await alice.take({ sender: "Bob", text: "hi straight away" });
});

testEachRuntime("lobby: kind-A members and kind-B clients hear each other", async (runtime) => {
  await using server = await startServer(runtime, { LOBBY_CHANNEL: "hall" });
  await using alice = await joinA(server.ws, "alice");
  alice.send({ type: "joinChannel", to: "hall", ref: "j" });
  await alice.take({ type: "ack", ref: "j" });
  await using bob = await joinB(server.ws, "Bob");
  const announced = await alice.take({ type: "broadcast", from: "Server" });
  assertEquals([announced.to, announced.message], ["hall", "Bob has joined the chat"]);
  bob.send({ sender: "Bob", text: "hello A" });
  const fromB = await alice.take({ type: "broadcast", from: "Bob" });
  assertEquals([fromB.to, fromB.message], ["hall", "hello A"]);
  alice.send({ type: "broadcast", to: "hall", message: "hello B", ref: "b" });
  const ack = await alice.take({ type: "ack", ref: "b" });
  const fromA = await bob.take({ sender: "alice" });
  assertEquals([fromA.text, fromA.id], ["hello B", ack.id]);
  // Kind-B clients see nothing of other channels.
  alice.send({ type: "broadcast", to: "elsewhere", message: "not for the hall" });
  alice.send({ type: "broadcast", to: "hall", message: "barrier" });
  await bob.take({ text: "barrier" });
  assertEquals(bob.pending({ text: "not for the hall" }), []);
  // Kind-B users are online users, and have no direct messages.
  await alice.take((f) => f.type === "userList" && names(f).includes("Bob"));
  alice.send({ type: "directMessage", to: "bob", message: "psst", ref: "d" });
  assertEquals((await alice.take({ type: "error", ref: "d" })).code, "dm_unsupported");
});

testEachRuntime(
  "kind B: a reserved or invalid name is refused with invalid_username and 4003, with the ref",
  async (runtime) => {
    await using server = await startServer(runtime);
    for (const name of ["Server", "system", "two  spaces", "x".repeat(33), "p\u0430\u200Bypal"]) {
      await using impostor = await connect(server.ws, "B");
      impostor.send({ sender: name, text: "", ref: "reg" });
      const error = await impostor.take();
      assertEquals([error.type, error.code, error.sender, error.ref], [
        "error",
        "invalid_username",
        "Server",
        "reg",
      ]);
      assertEquals((await impostor.closed).code, 4003);
    }
    await using _alice = await joinB(server.ws, "Alice");
    await using copycat = await connect(server.ws, "B");
    copycat.send({ sender: "ALICE", text: "", ref: "reg2" });
    assertEquals((await copycat.take()).ref, "reg2");
  },
);
