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
