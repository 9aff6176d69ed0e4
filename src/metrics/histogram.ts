/**
 * A Prometheus histogram kept in plain arrays: fixed bucket bounds, a count
 * per bucket, the sum and the count of what was observed. Observing is a
 * short scan and three additions, so it can sit on a hot path; the
 * cumulative counts Prometheus wants are computed only when scraped.
 *
 * @module
 */

/** A histogram of durations, observed in milliseconds and exposed in seconds. */
export class Histogram {
  /** Observations per bucket (not cumulative); the last one is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of every observation, in milliseconds. */
  sumMs = 0;
  /** How many observations there were. */
  count = 0;

  /** `boundsMs`: each bucket's upper bound in milliseconds, ascending. */
  constructor(readonly boundsMs: readonly number[]) {
    this.counts = new Float64Array(boundsMs.length + 1);
  }

  /** Counts one duration of `ms` milliseconds (a negative one, from clock skew, as 0). */
  observe(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const bounds = this.boundsMs;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    this.counts[bucket]++;
    this.sumMs += value;
    this.count++;
  }
}
