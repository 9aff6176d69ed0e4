/**
 * Helpers of the client SDK's tests: clients closed with their scope, collect
 * a client's events, and wait for a condition with a generous deadline
 * instead of sleeping.
 *
 * @module
 */
import {
  type ClientEvents,
  connect,
  type ConnectOptions,
  type NatterClient,
} from "../../src/client/mod.ts";

/** Clients that all close when the scope holding them ends (`await using`). */
export interface ClientPool extends AsyncDisposable {
  connect(options: ConnectOptions): NatterClient;
  /** Connects one client per username to `url`, and resolves once all are ready. */
  ready(url: string, ...usernames: string[]): Promise<NatterClient[]>;
}

/** An empty pool of clients. */
export function clientPool(): ClientPool {
  const clients: NatterClient[] = [];
  return {
    connect(options) {
      const client = connect(options);
      clients.push(client);
      return client;
    },
    async ready(url, ...usernames) {
      const connected = usernames.map((username) => this.connect({ url, username }));
      await Promise.all(connected.map((client) => client.ready()));
      return connected;
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) await client.close();
    },
  };
}

/** Every `event` the client emits from now on, in order. */
export function collect<E extends keyof ClientEvents>(
  client: NatterClient,
  event: E,
): ClientEvents[E][] {
  const got: ClientEvents[E][] = [];
  client.on(event, (payload) => got.push(payload));
  return got;
}

/** Waits until `condition` holds, polling, up to `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
