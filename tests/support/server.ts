/**
 * Starts a real Natter instance inside the test process: the Deno edge on a
 * free port of 127.0.0.1, configured from an environment record like
 * `main.ts` is. Dispose of it (`await using`) to shut it down.
 *
 * @module
 */
import { type App, type AppParts, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { serveDeno } from "../../src/runtime/deno.ts";

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
  app: App;
  /** `http://127.0.0.1:PORT` */
  http: string;
  /** `ws://127.0.0.1:PORT/ws` */
  ws: string;
}

/** Starts an instance with `env` on top of quiet test defaults. */
export async function startServer(
  env: Record<string, string> = {},
  parts: AppParts = {},
): Promise<TestServer> {
  const config = loadConfig({
    LOG_LEVEL: "error",
    ...UNTHROTTLED,
    ...env,
    HOST: "127.0.0.1",
    PORT: "0",
  });
  const app = await createApp(config, parts);
  const stop = new AbortController();
  const server = serveDeno(app, { hostname: config.host, port: 0, signal: stop.signal });
  const { port } = server.addr;
  return {
    app,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}/ws`,
    async [Symbol.asyncDispose]() {
      await app.shutdown();
      stop.abort();
      await server.finished;
    },
  };
}
