/**
 * What the web app's browser tests share: signing a user in as a person
 * would, reading the open conversation's messages as "from: text" lines,
 * and the places of the page the tests name.
 *
 * @module
 */
import {
  type Browser,
  css,
  items,
  type Page,
  role,
  text,
  type Viewport,
} from "../support/browser.ts";
import { assertEquals } from "../support/assert.ts";

/** The channel list and direct conversations. */
export const NAV = role("navigation", "Channels");

/** A conversation's entry in the navigation (its name, then maybe "N unread"). */
export function conversation(name: string) {
  return role("button", name, { exact: false }).inside(NAV);
}

/** Opens the app at `url` for `name`, signs in with the username field and waits until connected. */
export async function signIn(
  browser: Browser,
  name: string,
  url: string,
  viewport?: Viewport,
): Promise<Page> {
  const page = await browser.open(name, url, viewport ? { viewport } : {});
  await page.fill("Username", name);
  await page.click("Sign in");
  await connected(page);
  return page;
}

/**
 * Opens the app at `url` as the page `name` (a device of its own: a browser
 * context with its own storage), signs in with a pasted JWT, and waits until
 * connected. Two pages signed in with tokens of one user are two devices of theirs.
 */
export async function signInWithToken(
  browser: Browser,
  name: string,
  url: string,
  jwt: string,
): Promise<Page> {
  const page = await browser.open(name, url);
  await page.fill("Token", jwt);
  await page.click("Sign in");
  await connected(page);
  return page;
}

/** The open conversation's message that says `text`. */
export function message(text: string) {
  return items("Messages").withText(text);
}

/** Waits until the page says it is connected. */
export async function connected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitFor(role("status").withText("Connected as"), { timeoutMs });
}

/** The open conversation's messages as `from: text`, in the order shown. */
export function shown(page: Page): Promise<string[]> {
  return page.evaluate(
    `[...document.querySelectorAll("#messages > li")].map((item) =>
      item.querySelector(".from").textContent + ": " + item.querySelector(".text").textContent)`,
  );
}

/** Waits until the open conversation shows as many messages as `expected`, then compares. */
export async function untilShown(page: Page, expected: string[]): Promise<void> {
  const messages = role("listitem").inside(role("list", "Messages"));
  await page.waitFor(messages, { count: expected.length, timeoutMs: 30_000 });
  const last = expected.at(-1);
  if (last !== undefined) {
    await page.waitFor(messages.withText(last.slice(last.indexOf(": ") + 2)), {
      timeoutMs: 30_000,
    });
  }
  assertEquals(await shown(page), expected, `${page.name}'s messages`);
}

/** Creates a channel from the "New channel" panel and waits until it is open. */
export async function createChannel(
  page: Page,
  name: string,
  { isPrivate = false } = {},
): Promise<void> {
  await page.click("New channel");
  await page.fill("Channel name", name);
  if (isPrivate) await page.check("Private");
  await page.click("Create");
  await page.waitFor(role("heading", `#${name}`));
}

/** Sends `message` to the open conversation from the message box, with Enter. */
export async function say(page: Page, message: string): Promise<void> {
  await page.fill("Message", message);
  await page.press("Message", "Enter");
  await page.waitFor(text("sending…"), { state: "hidden" });
}

/**
 * Fails if the page ran a dialog, threw an error, or (unless the test made
 * some on purpose: `notices: false`) is showing an error to its user.
 */
export async function assertQuiet(page: Page, { notices = true } = {}): Promise<void> {
  assertEquals(
    [...await page.events({ type: "dialog" }), ...await page.events({ type: "pageerror" })],
    [],
    `${page.name}'s dialogs and page errors`,
  );
  if (!notices) return;
  assertEquals(await page.texts(css("#notices .notice.error")), [], `${page.name}'s error notices`);
}
