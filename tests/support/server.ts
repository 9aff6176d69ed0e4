/**
 * Starts a real Natter instance for a test, on a free port of 127.0.0.1:
 * on Deno, the app inside the test process behind the Deno edge (the fast
 * path, configured from an environment record like `main.ts` is); on Node,
 * the built `dist/node/server.js` as a child process. Dispose of it
 * (`await using`) to shut it down.
 *
 * @module
 */
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { serveDeno } from "../../src/runtime/deno.ts";
import { startMain } from "./process.ts";
import type { Runtime } from "./runtimes.ts";

/**
 * Rate limits high enough for tests that send bursts on purpose; the
 * tests of the limits themselves set their own values.
 */
export const UNTHROTTLED = {
  RATE_MESSAGES_PER_SECOND: "1000000",
  RATE_BURST: "1000000",
  CHANNEL_CREATIONS_PER_MINUTE: "1000000",
};

/** A running instance. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** `ws://127.0.0.1:PORT/ws` */
  ws: string;
  port: number;
}

/** Starts an instance on `runtime` with `env` on top of quiet test defaults. */
export async function startServer(
  runtime: Runtime,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const quiet = { LOG_LEVEL: "error", ...UNTHROTTLED, ...env, HOST: "127.0.0.1", PORT: "0" };
  if (runtime === "node") return await startMain(quiet, "node");
  const app = await createApp(loadConfig(quiet), { memoryUsage: () => Deno.memoryUsage() });
  const listener = await serveDeno(app, { hostname: "127.0.0.1", port: 0 });
  return {
    port: listener.port,
    http: `http://127.0.0.1:${listener.port}`,
    ws: `ws://127.0.0.1:${listener.port}/ws`,
    async [Symbol.asyncDispose]() {
      await app.shutdown();
      await listener.close();
    },
  };
}
