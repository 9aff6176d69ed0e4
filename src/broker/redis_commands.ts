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
import * as scripts from "./redis_scripts.ts";

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
