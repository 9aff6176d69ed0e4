/**
 * The README's example clients, run unchanged in a real Chromium against a
 * real Natter process: seed B's own JavaScript example, byte for byte as the
 * Chat Backend's README gives it, and the kind-A snippet. What they print
 * (their `console.log` lines) and what other clients receive show that
 * their frames reach Natter and Natter's reach them.
 *
 * Both hard-code `ws://localhost:8080/ws`. Rather than edit that URL (then
 * the page would no longer run the example) or take port 8080 (a developer's
 * own `deno task start` may hold it), Natter listens on a free port and the
 * browser resolves `localhost:8080` to it, as a hosts file would: the page's
 * code, and the URL it opens, are the example's. The page is served from
 * another origin, which Natter lists in `ALLOWED_ORIGINS` as a deployment
 * would list its web app's.
 */
import { joinA, joinB } from "../support/client.ts";
import {
  type Browser,
  launchBrowser,
  type Page,
  type PageServer,
  serveFiles,
} from "../support/browser.ts";
import { type NatterProcess, startMain } from "../support/process.ts";
import { type Runtime, testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";

/** Seed B's "Example Client (JavaScript)", exactly as its README has it. */
const SEED_B_EXAMPLE = `const socket = new WebSocket("ws://localhost:8080/ws");

socket.onopen = () => {
  console.log("Connected to the server");

  // Send username
  socket.send(JSON.stringify({ sender: "Alice", text: "" }));
};

socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  console.log(\`\${message.sender}: \${message.text}\`);
};

socket.onclose = () => {
  console.log("Disconnected from the server");
};
`;

/** The first `javascript` code block of the README's section `heading`. */
async function readmeExample(heading: string): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.split(`\n${heading}\n`)[1]?.split("\n#")[0];
  const code = section?.match(/\n```javascript\n([\s\S]*?)```\n/)?.[1];
  if (code === undefined) throw new Error(`README has no javascript block under ${heading}`);
  return code;
}

/** A web server whose page runs `code` as its only script. */
function servePage(code: string): PageServer {
  return serveFiles({
    "/": '<!doctype html><title>Example client</title><script src="/client.js"></script>',
    "/client.js": code,
  });
}

/** Launches Chromium with `localhost:8080` resolving to `natter`. */
function browserFor(natter: NatterProcess): Promise<Browser> {
  return launchBrowser({ hosts: { "localhost:8080": `127.0.0.1:${natter.port}` } });
}

/** The page's console lines, in order. */
async function consoleLines(page: Page): Promise<string[]> {
  return (await page.events({ type: "console" })).map((event) => event.text);
}

/** Waits until the page has printed `line`. */
async function printed(page: Page, line: string): Promise<void> {
  await page.waitForEvent({ type: "console", text: line });
}

/** Starts Natter on `runtime` as a user does, letting `origin`'s pages connect. */
function natterFor(runtime: Runtime, origin: string): Promise<NatterProcess> {
  return startMain({ ALLOWED_ORIGINS: origin }, runtime);
}

Deno.test("example clients: the README shows seed B's example as its README has it", async () => {
  assertEquals(await readmeExample("### Kind B: `/ws`"), SEED_B_EXAMPLE);
});

testEachRuntime(
  "example clients: seed B's example, unchanged in Chromium, registers, chats and sees the server go",
  async (runtime) => {
    await using site = servePage(SEED_B_EXAMPLE);
    await using natter = await natterFor(runtime, site.origin);
    await using browser = await browserFor(natter);
    const page = await browser.open("alice", `${site.origin}/`);
    await printed(page, "Server: Alice has joined the chat");

    await using bob = await joinB(natter.ws, "bob");
    bob.send({ sender: "bob", text: "Hi Alice" });
    await printed(page, "bob: Hi Alice");
    // What a page using the example does next: send on the example's own socket.
    await page.evaluate(`socket.send(JSON.stringify({ sender: "Alice", text: "Hi bob" }))`);
    await bob.take({ sender: "Alice", text: "Hi bob" });
    await printed(page, "Alice: Hi bob");

    natter.child.kill("SIGTERM");
    await printed(page, "Disconnected from the server");
    assertEquals(await consoleLines(page), [
      "Connected to the server",
      "Server: Alice has joined the chat",
      "Server: bob has joined the chat",
      "bob: Hi Alice",
      "Alice: Hi bob",
      "Disconnected from the server",
    ]);
    assertEquals(await page.events({ type: "pageerror" }), []);
  },
);

testEachRuntime(
  "example clients: seed B's example on a page from an origin ALLOWED_ORIGINS does not list is refused",
  async (runtime) => {
    await using site = servePage(SEED_B_EXAMPLE);
    await using natter = await natterFor(runtime, site.origin);
    await using browser = await browserFor(natter);
    // The same page, from http://localhost:PORT: another origin than the one allowed.
    const page = await browser.open("mallory", `${site.origin.replace("127.0.0.1", "localhost")}/`);
    await printed(page, "Disconnected from the server");
    const [refusal, ...rest] = await consoleLines(page);
    assertMatch(refusal, /ws:\/\/localhost:8080\/ws.* 403/);
    assertEquals(rest, ["Disconnected from the server"]);
  },
);

testEachRuntime(
  "example clients: the README's kind-A snippet, in Chromium, chats with lobby and kind-A users",
  async (runtime) => {
    await using site = servePage(await readmeExample("### Kind A: `/ws?username=NAME`"));
    await using natter = await natterFor(runtime, site.origin);
    await using browser = await browserFor(natter);
    await using bob = await joinB(natter.ws, "bob");
    await using carol = await joinA(natter.ws, "carol");
    const page = await browser.open("alice", `${site.origin}/`);
    await bob.take({ sender: "alice", text: "Hello from alice" });
    await printed(page, "alice in lobby: Hello from alice");

    bob.send({ sender: "bob", text: "Hi alice" });
    await printed(page, "bob in lobby: Hi alice");
    carol.send({ type: "directMessage", to: "alice", message: "psst" });
    await printed(page, "carol to you: psst");
    assertEquals(await consoleLines(page), [
      "alice in lobby: Hello from alice",
      "bob in lobby: Hi alice",
      "carol to you: psst",
    ]);
    assertEquals(await page.events({ type: "pageerror" }), []);
  },
);
