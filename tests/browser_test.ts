/**
 * The browser the other tests drive (`tests/support/browser.ts` and its Node
 * driver), checked on a small page of its own: finding elements as a user
 * does and acting on them, waits that fail saying what they awaited, one
 * storage per user that outlives a closed page, the events a page records,
 * screenshots, and a clear failure when Chromium is missing.
 *
 * @module
 */
import {
  type Browser,
  items,
  launchBrowser,
  PHONE,
  role,
  serveFiles,
  text,
} from "./support/browser.ts";
import { assertEquals, assertMatch } from "./support/assert.ts";

/** A chat-like page: a channel navigation, a message list, a form. */
const PAGE = `<!doctype html>
<title>Driver test</title>
<nav aria-label="Channels"><a href="#general">general</a> <a href="#random">random</a></nav>
<ul aria-label="Messages"><li>welcome</li></ul>
<label>Message <input id="message"></label> <button id="send">Send</button>
<label for="theme">Theme</label> <select id="theme"><option>light</option><option>dark</option></select>
<label><input type="checkbox"> Sounds</label>
<p hidden>secret</p>
<script>
  const input = document.getElementById("message");
  function send() {
    const item = document.createElement("li");
    item.textContent = input.value;
    document.querySelector("ul").append(item);
    input.value = "";
  }
  document.getElementById("send").onclick = send;
  input.onkeydown = (event) => event.key === "Enter" && send();
</script>
`;

/** Serves the page and launches a browser; disposing of it stops both. */
async function setUp(): Promise<{ browser: Browser; url: string } & AsyncDisposable> {
  const site = serveFiles({ "/": PAGE });
  const browser = await launchBrowser();
  return {
    browser,
    url: `${site.origin}/`,
    async [Symbol.asyncDispose]() {
      await browser[Symbol.asyncDispose]();
      await site[Symbol.asyncDispose]();
    },
  };
}

Deno.test("browser: finds elements by role, label and text, and acts on them as a user does", async () => {
  await using setup = await setUp();
  const page = await setup.browser.open("alice", setup.url);
  await page.fill("Message", "hello");
  await page.press("Message", "Enter");
  await page.fill("Message", "again");
  await page.click("Send");
  await page.waitFor(items("Messages"), { count: 3 });
  assertEquals(await page.texts(items("Messages")), ["welcome", "hello", "again"]);
  assertEquals(await page.value("Message"), "");
  await page.waitFor(items("Messages").withText("AGAIN"));

  await page.select("Theme", "dark");
  assertEquals(await page.value("Theme"), "dark");
  await page.check("Sounds");
  assertEquals(await page.evaluate(`document.querySelector("[type=checkbox]").checked`), true);

  const channels = role("link").inside(role("navigation", "Channels"));
  assertEquals(await page.count(channels), 2);
  assertEquals(await page.count(role("link", "RAND", { exact: false })), 1);
  assertEquals(await page.attribute(channels.nth(-1), "href"), "#random");
  await page.click(role("link", "random").inside(role("navigation", "Channels")));
  assertEquals(await page.evaluate("location.hash"), "#random");
  assertEquals(await page.visible(text("secret")), false);
  await page.waitFor(text("secret"), { state: "hidden" });
});

Deno.test("browser: a wait that times out says what it awaited and shows the page's text", async () => {
  await using setup = await setUp();
  const page = await setup.browser.open("alice", setup.url);
  // The item never comes: the short deadline is the point of this test.
  const error = await page.waitFor(items("Messages").withText("never"), { timeoutMs: 300 })
    .then(() => undefined, (error: Error) => error);
  assertMatch(
    error?.message ?? "no error",
    /Waited 300 ms for listitem containing "never" inside list "Messages" to be visible\n0 match\(es\) now: \[\]\nText of list "Messages":\nwelcome/,
  );
  const link = role("link", "general");
  const refused = await page.fill(link, "x").then(() => undefined, (error: Error) => error);
  assertMatch(refused?.message ?? "no error", /^Cannot fill link "general": .*not an <input>/);
  assertMatch(
    refused?.message ?? "",
    /1 match\(es\) now: \["general"\]\nText of the page:\n[^]*random/,
  );
});

Deno.test("browser: each name has its own storage, kept when its page closes and opens again", async () => {
  await using setup = await setUp();
  const { browser, url } = setup;
  const alice = await browser.open("alice", url);
  await alice.evaluate(`localStorage.setItem("user", "alice")`);
  const bob = await browser.open("bob", url);
  assertEquals(await bob.evaluate(`localStorage.getItem("user")`), null);

  await alice.close();
  const again = await browser.open("alice", url);
  assertEquals(await again.evaluate(`localStorage.getItem("user")`), "alice");
  await again.reload();
  assertEquals(await again.evaluate(`localStorage.getItem("user")`), "alice");

  await browser.closeAll();
  const fresh = await browser.open("alice", url);
  assertEquals(await fresh.evaluate(`localStorage.getItem("user")`), null);
});

Deno.test("browser: records dialogs, page errors and console lines, and screenshots the viewport", async () => {
  await using setup = await setUp();
  const page = await setup.browser.open("alice", setup.url, { viewport: PHONE });
  // The alert returns only once the driver has dismissed it.
  await page.evaluate(
    `alert("hi"); console.error("bad"); setTimeout(() => { throw new Error("boom"); })`,
  );
  await page.waitForEvent({ type: "pageerror" });
  assertEquals(await page.events(), [
    { type: "dialog", kind: "alert", text: "hi" },
    { type: "console", kind: "error", text: "bad" },
    { type: "pageerror", text: "Error: boom" },
  ]);
  assertEquals(await page.events({ kind: "error" }), [{
    type: "console",
    kind: "error",
    text: "bad",
  }]);

  const path = await Deno.makeTempFile({ suffix: ".png" });
  try {
    await page.screenshot(path);
    const png = await Deno.readFile(path);
    const header = new DataView(png.buffer);
    // The PNG signature, then the IHDR chunk's width and height.
    assertEquals([...png.subarray(1, 4)], [..."PNG"].map((c) => c.charCodeAt(0)));
    assertEquals([header.getUint32(16), header.getUint32(20)], [PHONE.width, PHONE.height]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("browser: without Chromium, launching fails saying how to install it", async () => {
  const launch = `import { launchBrowser } from "${new URL(
    "./support/browser.ts",
    import.meta.url,
  )}"; await launchBrowser();`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", launch],
    env: { NATTER_TEST_CHROMIUM: "/nonexistent/chromium", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 1);
  assertMatch(
    new TextDecoder().decode(stderr),
    /Chromium not found at \/nonexistent\/chromium: install it with `apt-get install chromium` \(or set NATTER_TEST_CHROMIUM\)/,
  );
});
