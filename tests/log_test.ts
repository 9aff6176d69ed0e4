/** The console logger: levels, and fields printed so that no value can forge a line. */
import { createLogger } from "../src/log.ts";
import { assertEquals, assertMatch } from "./support/assert.ts";

/** What `fn` prints with console.log and console.error, line by line. */
function printed(fn: () => void): string[] {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = console.error = (line: string) => lines.push(line);
  try {
    fn();
  } finally {
    Object.assign(console, { log, error });
  }
  return lines;
}

Deno.test("log: lines below the level are not printed", () => {
  const lines = printed(() => {
    const log = createLogger("info");
    log.debug("hidden");
    log.info("shown");
    log.error("also shown");
  });
  assertEquals(lines.length, 2);
  assertMatch(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO shown$/);
  assertMatch(lines[1], / ERROR also shown$/);
});

Deno.test("log: fields are key=value; undefined ones are left out; unsafe strings are quoted", () => {
  const [line] = printed(() =>
    createLogger("debug").debug("frame refused", {
      code: "invalid_json",
      user: undefined,
      ref: 'x" forged=1\nINFO fake line',
      user2: "bob\u202Eevil\u0085\u2028",
      count: 3,
      empty: "",
    })
  );
  assertEquals(
    line.replace(/^\S+ /, ""),
    'DEBUG frame refused code=invalid_json ref="x\\" forged=1\\nINFO fake line" ' +
      'user2="bob\\u202eevil\\u0085\\u2028" count=3 empty=""',
  );
});

Deno.test("log: JSON lines are one object each, with time, level and event; errors as name and message", () => {
  const lines: string[] = [];
  const log = createLogger("info", "json", {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  log.debug("hidden");
  log.info("session.opened", { session: "s1", user: "bob\u2028evil", gone: undefined });
  log.warn("redis.restore_failed", {
    error: new Error("timed out", { cause: new TypeError("socket closed") }),
  });
  assertEquals(lines.length, 2);
  assertEquals(lines.some((line) => line.includes("\u2028")), false, "no raw line separator");
  const [opened, failed] = lines.map((line) => JSON.parse(line));
  assertMatch(opened.time, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  assertEquals([opened.level, opened.event, opened.session, opened.user, "gone" in opened], [
    "info",
    "session.opened",
    "s1",
    "bob\u2028evil",
    false,
  ]);
  assertEquals(
    [failed.level, failed.event, failed.error],
    ["warn", "redis.restore_failed", "Error: timed out; caused by TypeError: socket closed"],
  );
});

Deno.test("log: a pretty line prints its event, then its sentence, then the fields", () => {
  const lines: string[] = [];
  createLogger("info", "pretty", { out: (l) => lines.push(l), err: (l) => lines.push(l) })
    .warn("lobby.unregistered", { message: "retrying", channel: "lobby" });
  assertMatch(lines[0], / WARN lobby\.unregistered retrying channel=lobby$/);
});

Deno.test("log: whatever was thrown prints: a BigInt, a cycle, a Redis reply error without its arguments", () => {
  const lines: string[] = [];
  const log = createLogger("debug", "json", {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const reply = Object.assign(
    new Error("ERR unknown command 'X', with args beginning with: 'secret'"),
    {
      name: "ReplyError",
    },
  );
  log.warn("a.bigint", { error: 10n });
  log.warn("a.cycle", { error: cyclic });
  log.warn("a.reply", { error: reply });
  const [big, cycle, replied] = lines.map((line) => JSON.parse(line));
  assertEquals([big.error, cycle.error, replied.error], [
    "10",
    { name: "loop", self: "[Circular]" },
    "ReplyError: ERR",
  ]);
  const pretty: string[] = [];
  createLogger("debug", "pretty", { out: (l) => pretty.push(l), err: (l) => pretty.push(l) })
    .warn("a.cycle", { error: cyclic });
  assertMatch(pretty[0], /error=\{"name":"loop","self":"\[Circular\]"\}$/);
});
