/**
 * The web app for everyone: on a phone-sized screen with the keyboard alone,
 * and signed in with a pasted token when the server verifies JWTs.
 */
import { items, launchBrowser, PHONE, role } from "../support/browser.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startMain } from "../support/process.ts";
import { assertEquals } from "../support/assert.ts";
import { assertQuiet, connected, untilShown } from "./support.ts";

Deno.test("web app: on a phone-sized screen, with the keyboard alone: sign in, open the channels, create one, send", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const page = await browser.open("pia", natter.http, { viewport: PHONE });
  await page.fill("Username", "pia");
  await page.press("Username", "Enter");
  await connected(page);
  const nav = role("navigation", "Channels");
  await page.waitFor(nav, { state: "hidden" });
  await page.press(role("button", "Channels"), "Enter");
  await page.waitFor(nav);
  await page.press(role("button", "New channel"), "Enter");
  await page.fill("Channel name", "pocket");
  await page.press("Channel name", "Enter");
  await page.waitFor(role("heading", "#pocket"));
  await page.waitFor(nav, { state: "hidden" });
  await page.fill("Message", "typed on a phone");
  await page.press("Message", "Enter");
  await untilShown(page, ["pia: typed on a phone"]);
  await page.press(role("button", "Members"), "Enter");
  await page.waitFor(items("Online").withText("pia"));
  assertEquals(
    await page.evaluate("document.documentElement.scrollWidth <= innerWidth"),
    true,
    "nothing is wider than the screen",
  );
  await assertQuiet(page);
});

Deno.test("web app: with AUTH_MODE=jwt, a pasted token signs in; a bad one is refused in words", async () => {
  await using natter = await startMain({ AUTH_MODE: "jwt", JWT_SECRET });
  await using browser = await launchBrowser();
  const page = await browser.open("ann", natter.http);
  await page.waitFor(role("textbox", "Username"), { state: "hidden" });
  await page.fill("Token", "not.a.token");
  await page.click("Sign in");
  await page.waitFor(role("alert").withText("token"));
  await page.fill("Token", await token("ann"));
  await page.click("Sign in");
  await connected(page);
  await page.waitFor(role("status").withText("Connected as ann"));
});
