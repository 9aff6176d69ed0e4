/**
 * Running commands and Lua scripts on the Redis broker's command connection,
 * with the one error mapping every part of the broker shares: connection
 * trouble becomes `BrokerUnavailableError` (nothing happened, the caller may
 * say so), while a reply error from Redis stays what it is (a bug, not an
 * outage).
 *
 * @module
 */
import type { Redis } from "ioredis";
import { BrokerUnavailableError } from "./broker.ts";
import * as changeScripts from "./redis_change_scripts.ts";
import * as channelScripts from "./redis_channel_scripts.ts";
import * as allMessageScripts from "./redis_message_scripts.ts";
import * as presenceScripts from "./redis_presence_scripts.ts";
import * as queueScripts from "./redis_queue_scripts.ts";
import * as otherScripts from "./redis_scripts.ts";

/** The shared Lua helpers are part of scripts, not one of their own. */
const { PRELUDE: _prelude, ...coreScripts } = otherScripts;
const { STREAMS: _streams, ...messageScripts } = allMessageScripts;

/** Every Lua script of the broker, by name. */
const scripts = {
  ...coreScripts,
  ...messageScripts,
  ...changeScripts,
  ...channelScripts,
  ...presenceScripts,
  ...queueScripts,
};

/** The name of one of the broker's Lua scripts. */
export type ScriptName = keyof typeof scripts;

type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

/** Calls to Redis that fail with `BrokerUnavailableError` when Redis is out of reach. */
export interface Commands {
  /** Runs a script, the key prefix first, then `args`. */
  run(name: ScriptName, ...args: (string | number)[]): Promise<unknown>;
  /** Runs a Redis call, turning connection trouble into `BrokerUnavailableError`. */
  attempt<T>(call: () => Promise<T>): Promise<T>;
}

/** What `whenConnected` looks at: an ioredis connection's status and its events. */
export interface WatchedConnection {
  readonly status: string;
  on(event: "ready" | "end", listener: () => void): unknown;
  off(event: "ready" | "end", listener: () => void): unknown;
}

/** How soon a connection that still says ready is looked at again after a failure. */
const RECHECK_MS = 100;

/**
 * Resolves when `connection` may work again after a call failed: at its next
 * `ready` or `end`. A connection that still says ready is looked at again
 * after a short pause, never at once: its socket may be gone with the close
 * not handled yet, and retrying in a microtask loop would keep it from ever
 * being handled.
 */
export function whenConnected(connection: WatchedConnection): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = connection.status === "ready" ? setTimeout(done, RECHECK_MS) : undefined;
    function done() {
      clearTimeout(timer);
      connection.off("ready", done);
      connection.off("end", done);
      resolve();
    }
    connection.on("ready", done);
    connection.on("end", done);
  });
}

/** Defines the scripts on `command` and runs them with `prefix`; errors name `where` (a redacted URL). */
export function createCommands(command: Redis, prefix: string, where: string): Commands {
  for (const [name, lua] of Object.entries(scripts)) {
    command.defineCommand(name, { numberOfKeys: 0, lua });
  }
  const runners = command as unknown as Record<ScriptName, ScriptRunner>;

  async function attempt<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof Error && error.name === "ReplyError") throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new BrokerUnavailableError(`Redis at ${where}: ${reason}`);
    }
  }

  return {
    run: (name, ...args) => attempt(() => runners[name].call(command, prefix, ...args)),
    attempt,
  };
}

/**
 * Where Redis is, for logs: scheme, host, port and database only. A password
 * may sit in the user part or in the query (`?password=`): neither is shown.
 */
export function redactUrl(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${protocol}//${host}${pathname === "/" ? "" : pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
