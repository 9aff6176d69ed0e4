/**
 * Rate limits as token buckets: `rate` tokens a second, at most `burst`
 * saved up. Each session has one for its frames and one for creating
 * channels; the clock is injectable so that tests need not wait.
 *
 * @module
 */

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

/** Counts refusals in a sliding window: too many in a row means abuse, not a burst. */
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
