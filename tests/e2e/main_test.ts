/**
 * The real entry points, as a user runs them (`main.ts` on Deno, the built
 * `dist/node/server.js` on Node): startup, graceful shutdown, bad
 * configuration, `--help`.
 */
import { describeSettings } from "../../src/help.ts";
import { connect } from "../support/client.ts";
import { runMain, startMain } from "../support/process.ts";
import { type Runtime, testEachRuntime } from "../support/runtimes.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

const STARTS: { runtime: Runtime; env: Record<string, string>; edge: string }[] = [
  { runtime: "deno", env: {}, edge: "deno" },
  { runtime: "deno", env: { EDGE: "ws" }, edge: "ws" },
  { runtime: "node", env: {}, edge: "ws" },
];

for (const { runtime, env, edge } of STARTS) {
  const label = `${runtime}${env.EDGE ? ` EDGE=${env.EDGE}` : ""}`;
  Deno.test(`main (${label}): serves kind-A clients and shuts down gracefully on SIGTERM`, async () => {
    await using natter = await startMain(env, runtime);
    assertMatch(natter.output(), new RegExp(`runtime=${runtime} edge=${edge}\\n`));
    await using alice = await connect(`${natter.ws}?username=alice`);
    assertEquals((await alice.take({ type: "sessionID" })).username, "alice");
    natter.child.kill("SIGTERM");
    const closed = await alice.closed;
    assertEquals([closed.code, closed.reason], [1012, "server restarting: reconnect"]);
    assertEquals((await natter.status).code, 0);
    assertMatch(natter.output(), /shutdown.started signal=SIGTERM/);
  });
}

testEachRuntime(
  "main: bad variables stop startup with status 2, naming every one",
  async (runtime) => {
    const { code, output } = await runMain(
      { PORT: "http", MAX_FRAME_BYTES: "10", AUTH_MODE: "magic" },
      runtime,
    );
    assertEquals(code, 2);
    assertMatch(
      output,
      /Invalid configuration: PORT must be an integer from 0 to 65535 \(got "http"\); MAX_FRAME_BYTES must be an integer from 256 to 16777216 \(got "10"\); AUTH_MODE must be anonymous or jwt/,
    );
    assertEquals(output.includes("listening"), false);
  },
);

testEachRuntime(
  "main: --help prints every variable with its default, bounds and meaning, and exits 0",
  async (runtime) => {
    // A bad PORT too: --help answers before the configuration is read, and never listens.
    const { code, output } = await runMain({ PORT: "http" }, runtime, ["--help"]);
    assertEquals(code, 0);
    assertMatch(output, runtime === "deno" ? /Usage: deno task start/ : /Usage: node server\.js/);
    // Unwrapped, each entry reads "VARIABLE Default D; must be …." then its meaning.
    const flat = output.replace(/\s+/g, " ");
    for (const { variable, fallback, accepts } of describeSettings()) {
      const entry = ` ${variable} Default ${fallback ?? "unset"}; ${accepts}. `;
      assert(flat.includes(entry), `--help shows${entry}`);
    }
    assertMatch(
      output,
      /^PORT\n {4}Default 8080; must be an integer from 0 to 65535\.\n {4}TCP port/m,
    );
    assertEquals(output.includes("listening"), false);
  },
);

testEachRuntime("main: an unknown argument stops startup with status 2", async (runtime) => {
  const { code, output } = await runMain({}, runtime, ["--port=9000"]);
  assertEquals(code, 2);
  assertMatch(output, /Unknown argument --port=9000: every setting is an environment variable/);
});

Deno.test("main (node): EDGE=deno stops startup, naming the edge Node has", async () => {
  const { code, output } = await runMain({ EDGE: "deno" }, "node");
  assertEquals(code, 2);
  assertMatch(
    output,
    /Invalid configuration: EDGE=deno is not available on node, which runs ws \(leave EDGE unset/,
  );
});

testEachRuntime(
  "main: a port already in use stops startup with a message naming it",
  async (runtime) => {
    await using first = await startMain({}, runtime);
    const { code, output } = await runMain({ HOST: "127.0.0.1", PORT: `${first.port}` }, runtime);
    assertEquals(code, 1);
    assertMatch(
      output,
      new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${first.port}: .*in use`, "i"),
    );
  },
);

testEachRuntime("main: SIGTERM does not wait for a half-sent HTTP request", async (runtime) => {
  await using natter = await startMain({}, runtime);
  using tcp = await Deno.connect({ hostname: "127.0.0.1", port: natter.port });
  await tcp.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // Barrier: once a later request is answered, the server holds the half-sent one.
  const health = await fetch(`${natter.http}/healthz`);
  assertEquals([health.status, await health.text()], [200, "ok\n"]);
  natter.child.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("still running 10 s after SIGTERM")), 10_000);
  });
  try {
    assertEquals((await Promise.race([natter.status, deadline])).code, 0);
  } finally {
    clearTimeout(timer);
  }
});
