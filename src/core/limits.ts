/**
 * What one session may do, and how fast: rate limits as token buckets
 * (`rate` tokens a second, at most `burst` saved up) and a strike counter
 * that tells a flood from a burst; each session gets its own set from
 * `createSessionLimits` (its queue's bound is a setting, MAX_QUEUED_FRAMES).
 * An instance's refusal logs are bounded the same way (`createBoundedLog`).
 * The clock is injectable so that tests need not wait.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { LogFields, Logger } from "../log.ts";

/** Refusals of frames far over the rate, within `RATE_ABUSE_WINDOW_MS`, that close the session (1008). */
export const RATE_ABUSE_STRIKES = 100;

/** The window in which `RATE_ABUSE_STRIKES` refusals mean abuse. */
export const RATE_ABUSE_WINDOW_MS = 10_000;

/** A token bucket. */
export interface TokenBucket {
  /** Takes a token if there is one. */
  take(): boolean;
}

/** A full bucket refilling at `rate` tokens per second up to `burst`. */
export function createTokenBucket(
  rate: number,
  burst: number,
  now: () => number = Date.now,
): TokenBucket {
  let tokens = burst;
  let refilledAt = now();
  return {
    take() {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - refilledAt) / 1000) * rate);
      refilledAt = at;
      if (tokens < 1) return false;
      tokens--;
      return true;
    },
  };
}

/** Counts refusals in a window: too many in a row means abuse, not a burst. */
export interface StrikeCounter {
  /** Records one refusal; true once more than `max` fell within `windowMs`. */
  strike(): boolean;
}

/** A strike counter over fixed windows of `windowMs`. */
export function createStrikeCounter(
  max: number,
  windowMs: number,
  now: () => number = Date.now,
): StrikeCounter {
  let count = 0;
  let windowStart = now();
  return {
    strike() {
      const at = now();
      if (at - windowStart > windowMs) {
        windowStart = at;
        count = 0;
      }
      return ++count > max;
    },
  };
}

/** The settings the per-session limits come from. */
export type LimitSettings = Pick<
  Config,
  "rateMessagesPerSecond" | "rateBurst" | "channelCreationsPerMinute" | "messageChangesPerMinute"
>;

/** What one session may still do. */
export interface SessionLimits {
  /** Frames of any kind (RATE_MESSAGES_PER_SECOND, RATE_BURST). */
  frames: TokenBucket;
  /** Channels it creates (CHANNEL_CREATIONS_PER_MINUTE, all of them at once). */
  creations: TokenBucket;
  /** Edits, deletes and reactions (MESSAGE_CHANGES_PER_MINUTE, all of them at once). */
  changes: TokenBucket;
  /** Frames refused for the rate: a flood closes the session. */
  strikes: StrikeCounter;
}

/** Fresh limits for a new session. */
export function createSessionLimits(
  settings: LimitSettings,
  now: () => number = Date.now,
): SessionLimits {
  const perMinute = settings.channelCreationsPerMinute;
  return {
    frames: createTokenBucket(settings.rateMessagesPerSecond, settings.rateBurst, now),
    creations: createTokenBucket(perMinute / 60, perMinute, now),
    changes: createTokenBucket(
      settings.messageChangesPerMinute / 60,
      settings.messageChangesPerMinute,
      now,
    ),
    strikes: createStrikeCounter(RATE_ABUSE_STRIKES, RATE_ABUSE_WINDOW_MS, now),
  };
}

/** Lines a bounded log prints per second on average (`REFUSAL_LOG_BURST` at once). */
export const REFUSAL_LOG_RATE = 20;

/** Lines a bounded log prints at once after a quiet spell. */
export const REFUSAL_LOG_BURST = 100;

/** Lines a second the log of full command queues prints on average (`OVERLOAD_LOG_BURST` at once). */
export const OVERLOAD_LOG_RATE = 1;

/** Lines the log of full command queues prints at once after a quiet spell. */
export const OVERLOAD_LOG_BURST = 10;

/**
 * `log`, bounded in rate by one token bucket shared by its levels, so that
 * what clients can provoke (refusals) cannot fill a disk: lines over the
 * bound are dropped and counted, and the count is printed before the next
 * line that passes.
 */
export function createBoundedLog(
  log: Logger,
  rate = REFUSAL_LOG_RATE,
  burst = REFUSAL_LOG_BURST,
  now: () => number = Date.now,
): Logger {
  const bucket = createTokenBucket(rate, burst, now);
  let dropped = 0;
  const at = (level: keyof Logger) => (message: string, fields?: LogFields) => {
    if (!bucket.take()) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      log[level]("log.dropped", { dropped, perSecond: rate });
      dropped = 0;
    }
    log[level](message, fields);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
