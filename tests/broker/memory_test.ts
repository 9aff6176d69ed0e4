import { createMemoryHub } from "../../src/broker/memory.ts";
import { brokerContract } from "./contract.ts";
import { assertEquals } from "../support/assert.ts";

brokerContract("memory", (retention) => {
  const hub = createMemoryHub(retention);
  const first = hub.connect();
  const second = hub.connect();
  return Promise.resolve({
    first,
    second,
    async [Symbol.asyncDispose]() {
      await first.close();
      await second.close();
    },
  });
});

Deno.test("memory broker: reading the history of unknown topics holds nothing", async () => {
  const hub = createMemoryHub();
  const broker = hub.connect();
  for (let i = 0; i < 1000; i++) {
    await broker.history.page(`channel:nope${i}`, { limit: 10 });
    await broker.history.since(`user:nobody${i}`, "0000000000001-000000");
  }
  assertEquals(hub.stats().historyTopics, 0);
  await broker.bus.publish(["channel:real"], { kind: "channel", from: "a", to: "real", text: "x" });
  assertEquals(hub.stats().historyTopics, 1);
  await broker.close();
});

Deno.test("memory broker: users gone past their grace leave nothing behind", async () => {
  const hub = createMemoryHub({ reconnectGraceMs: 1 });
  const broker = hub.connect();
  for (let i = 0; i < 1000; i++) {
    const name = `guest-${i}`;
    await broker.users.open({
      name,
      freshTokenHash: `t${i}`,
      sessionId: `s${i}`,
      kind: "A",
      maxSessions: 1,
    });
    await broker.users.setMembership(name, "general", true);
    await broker.bus.publish([`user:${name}`], {
      kind: "direct",
      from: "x",
      to: name,
      text: "hi",
      senderSession: "x",
    });
    await broker.users.close(name, `s${i}`);
  }
  assertEquals(hub.stats().claims, 1000, "held for the grace");
  const deadline = Date.now() + 5_000;
  // The list feed reads who is online every interval: that is when expired holdings go.
  while ((await broker.users.online(), hub.stats().claims) > 0) {
    if (Date.now() > deadline) throw new Error("holdings never released");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assertEquals(hub.stats(), { historyTopics: 0, dedupKeys: 0, claims: 0, memberships: 0 });
  await broker.close();
});
