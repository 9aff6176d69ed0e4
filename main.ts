/**
 * Natter's Deno entry point: reads the environment, builds the app, serves
 * it, and shuts down gracefully on SIGINT or SIGTERM.
 *
 * @module
 */
import { createApp } from "./src/app.ts";
import { ConfigError, loadConfig } from "./src/config.ts";
import { serveDeno } from "./src/runtime/deno.ts";
import { VERSION } from "./src/version.ts";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const app = await createApp(config);
  const stop = new AbortController();
  const server = serveDeno(app, {
    hostname: config.host,
    port: config.port,
    signal: stop.signal,
    // The startup line prints at every log level: operators and scripts look for it.
    onListen: ({ hostname, port }) =>
      console.log(
        `natter ${VERSION} listening url=http://${hostname}:${port} websocket=ws://${hostname}:${port}/ws broker=${
          config.redisUrl === undefined ? "memory" : "redis"
        }`,
      ),
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info("shutting down", { signal });
    await app.shutdown();
    stop.abort();
    await server.finished;
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => shutdown(signal));
  }
}

if (import.meta.main) await main();
