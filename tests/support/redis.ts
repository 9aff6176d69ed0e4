/**
 * A private `redis-server` for a test: started on a free port of 127.0.0.1
 * with persistence off (unless asked), restartable, stopped on dispose. A
 * machine without `redis-server` fails the test with how to install it.
 *
 * @module
 */
import { Redis } from "ioredis";

/** Redis arguments for a server that loses nothing acknowledged: append-only, fsync on every write. */
export const DURABLE_REDIS = ["--appendonly", "yes", "--appendfsync", "always"];

/** A running test Redis. */
export interface TestRedis extends AsyncDisposable {
  port: number;
  url: string;
  /** A plain client for inspecting and breaking things (CLIENT KILL, PUBSUB …). */
  client: Redis;
  /** Stops the server (SIGKILL when `hard`), leaving the port free. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

const INSTALL_HINT = "redis-server is required for this test and was not found on PATH. " +
  "Install it with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS).";

/** Starts a fresh `redis-server`; `extraArgs` are added to its command line. */
export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "natter-redis-" });
  let process: Deno.ChildProcess | undefined;

  async function start(): Promise<void> {
    try {
      process = new Deno.Command("redis-server", {
        args: [
          "--port",
          `${port}`,
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
          ...extraArgs,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new Error(INSTALL_HINT);
      throw error;
    }
    await waitForPing(port);
  }

  async function stop(hard = false): Promise<void> {
    if (!process) return;
    process.kill(hard ? "SIGKILL" : "SIGTERM");
    await process.status;
    process = undefined;
  }

  await start();
  const client = new Redis(`redis://127.0.0.1:${port}`, {
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
    maxRetriesPerRequest: 1,
    disconnectTimeout: 0,
  });
  client.on("error", () => {});
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    stop,
    start,
    async [Symbol.asyncDispose]() {
      client.disconnect();
      // ioredis arms a zero-delay timer on disconnect; let it run before the test ends.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await stop(true);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A port of 127.0.0.1 free right now (for a process that must come back on the same one). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Waits (up to 10 s) until the server answers PING on `port`. */
async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      using connection = await Deno.connect({ hostname: "127.0.0.1", port });
      await connection.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(16);
      const read = await connection.read(buffer);
      if (new TextDecoder().decode(buffer.subarray(0, read ?? 0)).startsWith("+PONG")) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
