/**
 * Rate limits with an injected clock: token buckets, the strike counter,
 * the set each session gets, and the bounded refusal log. No test waits for real time to pass.
 */
import {
  createBoundedLog,
  createSessionLimits,
  createStrikeCounter,
  createTokenBucket,
  RATE_ABUSE_STRIKES,
  RATE_ABUSE_WINDOW_MS,
} from "../../src/core/limits.ts";
import { assertEquals } from "../support/assert.ts";
import { recordingLog } from "../support/sessions.ts";

/** A clock a test moves by hand. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => now += ms };
}

/** A session's limits at the default settings, on a manual clock. */
function defaultLimits() {
  const clock = manualClock();
  const settings = {
    rateMessagesPerSecond: 20,
    rateBurst: 40,
    channelCreationsPerMinute: 10,
    messageChangesPerMinute: 60,
  };
  return { clock, limits: createSessionLimits(settings, clock.now) };
}

/** How many of `tries` takes succeed right now. */
function takes(bucket: { take(): boolean }, tries: number): number {
  let taken = 0;
  for (let i = 0; i < tries; i++) if (bucket.take()) taken++;
  return taken;
}

Deno.test("limits: a bucket starts full with its burst, then refuses", () => {
  const clock = manualClock();
  const bucket = createTokenBucket(2, 5, clock.now);
  assertEquals(takes(bucket, 8), 5);
});

Deno.test("limits: a bucket refills at its rate, never beyond its burst", () => {
  const clock = manualClock();
  const bucket = createTokenBucket(2, 5, clock.now);
  takes(bucket, 5);
  clock.advance(500);
  assertEquals(takes(bucket, 3), 1, "half a second at 2 a second is one token");
  clock.advance(250);
  assertEquals(takes(bucket, 1), 0, "half a token is not a token");
  clock.advance(250);
  assertEquals(takes(bucket, 1), 1);
  clock.advance(60_000);
  assertEquals(takes(bucket, 10), 5, "a long quiet spell saves up the burst, no more");
});

Deno.test("limits: strikes past the maximum within the window mean abuse", () => {
  const clock = manualClock();
  const strikes = createStrikeCounter(3, 10_000, clock.now);
  assertEquals([strikes.strike(), strikes.strike(), strikes.strike()], [false, false, false]);
  assertEquals(strikes.strike(), true);
});

Deno.test("limits: a new window starts the count again", () => {
  const clock = manualClock();
  const strikes = createStrikeCounter(3, 10_000, clock.now);
  for (let i = 0; i < 3; i++) strikes.strike();
  clock.advance(10_001);
  assertEquals([strikes.strike(), strikes.strike(), strikes.strike()], [false, false, false]);
  assertEquals(strikes.strike(), true);
});

Deno.test("limits: a session's frames follow RATE_MESSAGES_PER_SECOND and RATE_BURST", () => {
  const { clock, limits } = defaultLimits();
  assertEquals(takes(limits.frames, 100), 40);
  clock.advance(1000);
  assertEquals(takes(limits.frames, 100), 20);
});

Deno.test("limits: a session may create CHANNEL_CREATIONS_PER_MINUTE channels at once, then one per share of the minute", () => {
  const { clock, limits } = defaultLimits();
  assertEquals(takes(limits.creations, 20), 10);
  clock.advance(5_900);
  assertEquals(takes(limits.creations, 1), 0);
  clock.advance(100);
  assertEquals(takes(limits.creations, 1), 1, "one more after a sixth of the minute");
});

Deno.test("limits: a session's flood is RATE_ABUSE_STRIKES refusals within the abuse window", () => {
  const clock = manualClock();
  const limits = createSessionLimits(
    {
      rateMessagesPerSecond: 1,
      rateBurst: 1,
      channelCreationsPerMinute: 1,
      messageChangesPerMinute: 1,
    },
    clock.now,
  );
  for (let i = 0; i < RATE_ABUSE_STRIKES; i++) {
    assertEquals(limits.strikes.strike(), false);
    clock.advance(RATE_ABUSE_WINDOW_MS / RATE_ABUSE_STRIKES / 2);
  }
  assertEquals(limits.strikes.strike(), true);
});

Deno.test("limits: a bounded log prints its burst, drops the rest, then says how many it dropped", () => {
  const clock = manualClock();
  const log = recordingLog();
  const bounded = createBoundedLog(log, 2, 3, clock.now);
  for (let i = 0; i < 10; i++) bounded.debug(`line ${i}`);
  assertEquals(log.lines, ["debug line 0", "debug line 1", "debug line 2"]);
  clock.advance(500);
  bounded.info("after a while");
  assertEquals(log.lines.slice(3), [
    "info log.dropped",
    "info after a while",
  ]);
  bounded.warn("no token left");
  assertEquals(log.lines.length, 5, "the bucket is empty again");
});
