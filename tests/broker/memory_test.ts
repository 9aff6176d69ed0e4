import { createMemoryHub } from "../../src/broker/memory.ts";
import { brokerContract } from "./contract.ts";

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
