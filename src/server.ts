/**
 * Running Natter as a process, shared by both entry points (`main.ts` for
 * Deno, `node/server.ts` for Node): answer `--help`, read the configuration, build the app,
 * serve it on an edge, print the startup line, and shut down gracefully on
 * SIGINT or SIGTERM. An entry point only hands over its runtime's
 * primitives, as a {@linkcode Host}; nothing here knows which runtime it is.
 *
 * @module
 */
import { type App, createApp } from "./app.ts";
import { type Config, ConfigError, type EdgeName, loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { tracingFor } from "./tracing.ts";
import type { MemoryUsage } from "./metrics/exposition.ts";
import { configurationHelp } from "./help.ts";
import { VERSION } from "./version.ts";
import { loadWebApp, type ReadWebFile } from "./web.ts";

/** Where an edge listens. */
export interface ListenOptions {
  hostname: string;
  port: number;
  /** Called once listening, with the bound address. */
  onListen?: (address: { hostname: string; port: number }) => void;
}

/** A listening edge. */
export interface Listener {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting and closes the listener (sessions are the app's to close). */
  close(): Promise<void>;
}

/** Serves an app over HTTP and WebSocket: what each runtime edge module exports. */
export type Edge = (app: App, options: ListenOptions) => Promise<Listener>;

/** What an entry point provides: its runtime's environment, edges and process controls. */
export interface Host {
  /** The runtime's name, printed in the startup line. */
  runtime: "deno" | "node";
  env: Record<string, string | undefined>;
  /** The command-line arguments after the program's own (only `--help` is one). */
  args: readonly string[];
  /** The edges this runtime can run; the first one is used when `EDGE` is unset. */
  edges: Partial<Record<EdgeName, Edge>>;
  /** Reads a file of the built web app (`dist/web/` beside the entry point). */
  readWebFile: ReadWebFile;
  /** Whether stdout is a terminal: log lines are then `pretty` unless LOG_FORMAT says. */
  stdoutIsTerminal: boolean;
  /** Reads the process's memory, for `/metrics`. */
  memoryUsage(): MemoryUsage;
  onSignal(signal: "SIGINT" | "SIGTERM", listener: () => void): void;
  exit(code: number): void;
}

/** How each runtime's users start Natter, as `--help` shows it. */
const COMMANDS = { deno: "deno task start", node: "node server.js" } as const;

/**
 * Runs Natter until a signal stops it. `--help` prints the configuration help
 * and exits 0; an unknown argument or a bad configuration exits with status 2
 * (a usage error, which no restart mends), a port it cannot bind with 1.
 */
export async function runServer(host: Host): Promise<void> {
  if (host.args.includes("--help") || host.args.includes("-h")) {
    console.log(configurationHelp(COMMANDS[host.runtime]));
    return host.exit(0);
  }
  if (host.args.length > 0) {
    console.error(
      `Unknown argument ${host.args[0]}: every setting is an environment variable ` +
        `(${COMMANDS[host.runtime]} --help lists them)`,
    );
    return host.exit(2);
  }
  const started = startable(host);
  if (typeof started === "string") {
    console.error(started);
    return host.exit(2);
  }
  const { config, edgeName, edge } = started;
  const format = config.logFormat ?? (host.stdoutIsTerminal ? "pretty" : "json");
  const log = createLogger(config.logLevel, format);
  const web = await loadWebApp(host.readWebFile);
  const tracing = tracingFor(host.env, host.runtime);
  const app = await createApp(config, {
    log,
    ...(typeof web === "string" ? {} : { web }),
    memoryUsage: host.memoryUsage,
    ...(tracing ? { tracing } : {}),
    runtime: host.runtime,
  });
  if (typeof web === "string") log.warn("web.unavailable", { message: web });
  // The startup line prints at every log level: operators and scripts look for it.
  const startup = createLogger("debug", format);
  const onListen = ({ hostname, port }: { hostname: string; port: number }) => {
    const url = `http://${hostname}:${port}`;
    const websocket = config.wsPaths.map((path) => `ws://${hostname}:${port}${path}`).join(",");
    const broker = config.redisUrl === undefined ? "memory" : "redis";
    startup.info("server.listening", {
      message: `natter ${VERSION} listening`,
      url,
      websocket,
      broker,
      runtime: host.runtime,
      edge: edgeName,
    });
  };
  let listener: Listener;
  try {
    listener = await edge(app, { hostname: config.host, port: config.port, onListen });
  } catch (error) {
    console.error(
      `Cannot listen on ${config.host}:${config.port}: ${
        error instanceof Error ? error.message : String(error)
      } (set PORT or HOST to a free address)`,
    );
    await app.shutdown();
    return host.exit(1);
  }
  let stopping = false;
  // A second signal, or a close handler firing twice, finds the shutdown under way.
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second signal is an operator who will not wait: stop now.
      log.warn("shutdown.forced", { signal });
      return host.exit(1);
    }
    stopping = true;
    const began = Date.now();
    log.info("shutdown.started", { signal, timeoutMs: config.shutdownTimeoutMs });
    const finished = await withDeadline(
      // Half the time for what clients sent to finish; the rest to close sessions and the broker.
      app.shutdown(config.shutdownTimeoutMs / 2).then(() => listener.close()).catch((error) =>
        log.error("shutdown.failed", { error })
      ),
      config.shutdownTimeoutMs,
    );
    if (finished) log.info("shutdown.finished", { ms: Date.now() - began });
    else log.warn("shutdown.timeout", { ms: Date.now() - began });
    host.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    host.onSignal(signal, () => shutdown(signal));
  }
}

/** Whether `work` settled within `ms`. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const done = work.then(() => true);
  const settled = await Promise.race([done, late]);
  clearTimeout(timer);
  return settled;
}

/** The configuration and the edge to run, or the message explaining why Natter cannot start. */
function startable(
  host: Host,
): { config: Config; edgeName: EdgeName; edge: Edge } | string {
  let config: Config;
  try {
    config = loadConfig(host.env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  const available = Object.keys(host.edges) as EdgeName[];
  const edgeName = config.edge ?? available[0];
  const edge = host.edges[edgeName];
  if (edge === undefined) {
    return `Invalid configuration: EDGE=${edgeName} is not available on ${host.runtime}, which runs ${
      available.join(" or ")
    } (leave EDGE unset for the default)`;
  }
  return { config, edgeName, edge };
}
