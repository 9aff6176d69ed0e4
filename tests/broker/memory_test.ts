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
