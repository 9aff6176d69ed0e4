/**
 * The servers the bench compares, and how to start each pinned to the
 * server core (`taskset`): Natter on Deno (`main.ts`), Natter's Node build
 * (`dist/node/`), the zero-logic Deno and Node servers in `bench/`, and
 * Socket.IO 4 (with `@socket.io/redis-adapter` over Redis). Also a private
 * redis-server pinned the same way. Every process is killed on dispose.
 *
 * @module
 */
import { natterCommand } from "../tests/support/runtimes.ts";
import { startNatter } from "../tests/support/process.ts";
import { startRedis, type TestRedis } from "../tests/support/redis.ts";
import { type Dialect, NATTER, RAW, SOCKET_IO } from "./wire.ts";

/**
 * The core the load generator runs on, and the one the servers run on (the
 * same on a one-core machine, where the figures mean little but the bench
 * and its test still run). Read before the bench pins itself.
 */
export const GENERATOR_CORE = 0;
export const SERVER_CORE = navigator.hardwareConcurrency > 1 ? 1 : 0;

const ROOT = new URL("../", import.meta.url);

/** One of the compared servers. */
export interface ServerKind {
  id: "natter-deno" | "natter-node" | "raw-deno" | "raw-node" | "socketio" | "natter-deno-baseline";
  label: string;
  dialect: Dialect;
  /** Natter, whose settings (rate limits, connection limits) apply. */
  natter: boolean;
  command(): Promise<[string, string[]]>;
}

const node = (script: string) => (): Promise<[string, string[]]> =>
  Promise.resolve([
    "node",
    [new URL(`bench/node/${script}`, ROOT).pathname],
  ]);

export const SERVERS: readonly ServerKind[] = [
  {
    id: "natter-deno",
    label: "Natter on Deno",
    dialect: NATTER,
    natter: true,
    command: () => natterCommand("deno"),
  },
  {
    id: "raw-deno",
    label: "raw Deno",
    dialect: RAW,
    natter: false,
    command: () =>
      Promise.resolve([Deno.execPath(), [
        "run",
        "--allow-net",
        "--allow-env",
        "--config",
        new URL("deno.json", ROOT).pathname,
        new URL("bench/raw_deno.ts", ROOT).pathname,
      ]]),
  },
  {
    id: "natter-node",
    label: "Natter on Node",
    dialect: NATTER,
    natter: true,
    command: () => natterCommand("node"),
  },
  { id: "raw-node", label: "raw Node", dialect: RAW, natter: false, command: node("raw_node.mjs") },
  {
    id: "socketio",
    label: "Socket.IO 4",
    dialect: SOCKET_IO,
    natter: false,
    command: node("socketio_server.mjs"),
  },
];

/** Running instances of one server kind. */
export interface Running extends AsyncDisposable {
  kind: ServerKind;
  /** `ws://127.0.0.1:PORT` of each instance. */
  origins: string[];
  pids: number[];
}

/** Natter's settings for every bench run: quiet, and no connection cap in the way. */
const NATTER_BENCH_ENV = {
  LOG_LEVEL: "warn",
  MAX_CONNECTIONS: "100000",
  MAX_CONNECTIONS_PER_IP: "100000",
};

/**
 * Starts `count` instances of `kind` on the server core. `natterEnv` is
 * added to Natter's environment (the other servers have no settings);
 * `redisUrl` makes the instances share that Redis.
 */
export async function startServers(
  kind: ServerKind,
  options: { count?: number; natterEnv?: Record<string, string>; redisUrl?: string } = {},
): Promise<Running> {
  const [program, args] = await kind.command();
  const env: Record<string, string> = kind.natter
    ? { ...NATTER_BENCH_ENV, ...options.natterEnv }
    : {};
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  const instances: Awaited<ReturnType<typeof startNatter>>[] = [];
  try {
    for (let i = 0; i < (options.count ?? 1); i++) {
      instances.push(
        await startNatter(
          ["taskset", ["-c", `${SERVER_CORE}`, program, ...args]],
          env,
          kind.label,
        ),
      );
    }
  } catch (error) {
    for (const instance of instances) await instance[Symbol.asyncDispose]();
    throw error;
  }
  return {
    kind,
    origins: instances.map((instance) => `ws://127.0.0.1:${instance.port}`),
    pids: instances.map((instance) => instance.child.pid),
    async [Symbol.asyncDispose]() {
      for (const instance of instances) await instance[Symbol.asyncDispose]();
    },
  };
}

/** A private redis-server (no persistence) pinned to the server core, and its pid. */
export async function startPinnedRedis(): Promise<TestRedis & { pid: number }> {
  const redis = await startRedis();
  const pid = Number((await redis.client.info("server")).match(/process_id:(\d+)/)?.[1]);
  await pin(pid, SERVER_CORE);
  return Object.assign(redis, { pid });
}

/**
 * Raises this process's open-file limit to its hard limit (the servers it
 * starts inherit it), as `ulimit -n` would, through `prlimit`; warns when
 * even that is below `needed`.
 */
export async function raiseFileLimit(needed: number): Promise<void> {
  const limits = async () => {
    const { stdout } = await new Deno.Command("prlimit", {
      args: ["--pid", `${Deno.pid}`, "--nofile", "--output", "SOFT,HARD", "--noheadings"],
    }).output();
    return new TextDecoder().decode(stdout).trim().split(/\s+/).map(Number);
  };
  const [soft, hard] = await limits();
  if (soft < hard) {
    await new Deno.Command("prlimit", { args: ["--pid", `${Deno.pid}`, `--nofile=${hard}:`] })
      .output();
  }
  const [raised] = await limits();
  if (!(raised >= needed)) {
    console.error(
      `The open-file limit is ${raised}, under the ${needed} the largest scenario ` +
        "needs: raise it (ulimit -n as root, or limits.conf) or expect failed connects.",
    );
  }
}

/** Pins every thread of process `pid` to `core`. */
export async function pin(pid: number, core: number): Promise<void> {
  const { success, stderr } = await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", `${core}`, `${pid}`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`taskset failed: ${new TextDecoder().decode(stderr)}`);
}
