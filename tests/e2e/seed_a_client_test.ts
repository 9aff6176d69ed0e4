/**
 * A migration from seed A, as its own web client does it: `/chat?username=`,
 * JSON keep-alive pings, and two tabs under one name with no token
 * (`SHARED_USERNAMES=true`), on each runtime and across a mixed cluster.
 */
import { connect, type Frame, joinA, type TestClient } from "../support/client.ts";
import { startCluster } from "../support/cluster.ts";
import { startMain } from "../support/process.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

/** Connects as seed A's web client does: `/chat?username=NAME`, no token. */
function seedTab(server: { ws: string }, name: string) {
  return joinA(server.ws.replace(/\/ws$/, "/chat"), name);
}

/** A direct message from `from` to `to`, and what each party's sessions receive. */
async function directMessageSeen(
  from: TestClient,
  otherTab: TestClient,
  recipient: TestClient,
  text: string,
): Promise<[Frame, Frame]> {
  from.send({ type: "directMessage", to: "bob", message: text, ref: text });
  await from.take({ type: "ack", ref: text });
  return [
    await otherTab.take({ type: "sessionUpdate", message: text }),
    await recipient.take({ type: "directMessage", message: text }),
  ];
}

testEachRuntime(
  "seed A client: with SHARED_USERNAMES two tokenless tabs are one user and see its DMs",
  async (runtime) => {
    await using server = await startServer(runtime, { SHARED_USERNAMES: "true" });
    await using tab1 = await seedTab(server, "alice");
    await using tab2 = await seedTab(server, "Alice");
    await using bob = await seedTab(server, "bob");
    assertEquals([tab1.session.username, tab2.session.username], ["alice", "alice"]);
    assertEquals(tab2.session.token, "", "a tab joined by name alone never learns the token");
    const [copy, delivered] = await directMessageSeen(tab1, tab2, bob, "hi bob");
    assertEquals([copy.from, copy.to, delivered.from], ["alice", "bob", "alice"]);
    bob.send({ type: "directMessage", to: "alice", message: "hi both", ref: "back" });
    await tab1.take({ type: "directMessage", from: "bob", message: "hi both" });
    await tab2.take({ type: "directMessage", from: "bob", message: "hi both" });
  },
);

testEachRuntime(
  "seed A client: without SHARED_USERNAMES a second tokenless tab is refused (4002)",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using tab1 = await seedTab(server, "alice");
    await using tab2 = await connect(`${server.ws.replace(/\/ws$/, "/chat")}?username=alice`);
    assertEquals((await tab2.take({ type: "error" })).code, "username_taken");
    assertEquals((await tab2.closed).code, 4002);
    assertEquals(tab1.session.username, "alice");
  },
);

testEachRuntime(
  "seed A client: the startup log warns while SHARED_USERNAMES is on",
  async (runtime) => {
    await using shared = await startMain({ SHARED_USERNAMES: "true", LOG_LEVEL: "warn" }, runtime);
    await shared.untilOutput(
      /WARN config.shared_usernames SHARED_USERNAMES is on: .*trusted network/,
    );
    await using plain = await startMain({ LOG_LEVEL: "warn" }, runtime);
    assertEquals(/SHARED_USERNAMES/.test(plain.output()), false, plain.output());
    assertMatch(plain.output(), /websocket=ws:\/\/[^ ]+\/ws,ws:\/\/[^ ]+\/chat /);
  },
);

Deno.test("seed A client: with SHARED_USERNAMES tabs on a Deno and a Node instance are one user", async () => {
  await using cluster = await startCluster(2, { SHARED_USERNAMES: "true" });
  const [deno, node] = cluster.instances;
  await using tab1 = await seedTab(deno, "alice");
  await using tab2 = await seedTab(node, "alice");
  await using bob = await seedTab(node, "bob");
  assertEquals([tab1.session.username, tab2.session.username], ["alice", "alice"]);
  await directMessageSeen(tab2, tab1, bob, "across instances");
});
