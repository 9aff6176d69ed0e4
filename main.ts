/**
 * Natter's Deno entry point: reads the environment, builds the app, serves
 * it with the Deno edge (or the `ws` edge with EDGE=ws), and shuts down
 * gracefully on SIGINT or SIGTERM.
 *
 * @module
 */
import { type App, createApp } from "./src/app.ts";
import { type Config, ConfigError, loadConfig } from "./src/config.ts";
import { serveDeno } from "./src/runtime/deno.ts";
import { serveNode } from "./src/runtime/node.ts";
import { VERSION } from "./src/version.ts";

/** Starts the chosen edge; resolves to a function that stops it. */
async function serve(app: App, config: Config): Promise<() => Promise<void>> {
  // The startup line prints at every log level: operators and scripts look for it.
  const onListen = ({ hostname, port }: { hostname: string; port: number }) =>
    console.log(
      `natter ${VERSION} listening url=http://${hostname}:${port} websocket=ws://${hostname}:${port}/ws broker=${
        config.redisUrl === undefined ? "memory" : "redis"
      } edge=${config.edge}`,
    );
  if (config.edge === "ws") {
    const server = await serveNode(app, { hostname: config.host, port: config.port, onListen });
    return () => server.close();
  }
  const stop = new AbortController();
  const server = serveDeno(app, {
    hostname: config.host,
    port: config.port,
    signal: stop.signal,
    onListen,
  });
  return async () => {
    stop.abort();
    await server.finished;
  };
}

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
  const stop = await serve(app, config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info("shutting down", { signal });
    await app.shutdown();
    await stop();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => shutdown(signal));
  }
}

if (import.meta.main) await main();
