/**
 * Read state across devices in the web app: alice is signed in on a laptop
 * and a phone (two browser contexts, one user). A badge shows what she has
 * not read on both; reading on one device clears it on the other, in a
 * direct conversation and in a channel (where a mention is counted apart).
 * Bob sees "Seen" under his last message alice has read.
 */
import { launchBrowser, text } from "../support/browser.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startMain } from "../support/process.ts";
import { assertEquals } from "../support/assert.ts";
import {
  assertQuiet,
  connected,
  conversation,
  createChannel,
  message,
  say,
  signInWithToken,
  untilShown,
} from "./support.ts";

const SEEN = text("Seen", { exact: true });

Deno.test("web app: a badge clears on alice's laptop when she reads on her phone, and the other way; bob sees Seen", async () => {
  await using natter = await startMain({ AUTH_MODE: "jwt", JWT_SECRET });
  await using browser = await launchBrowser();
  const laptop = await signInWithToken(browser, "alice-laptop", natter.http, await token("alice"));
  const phone = await signInWithToken(browser, "alice-phone", natter.http, await token("alice"));
  const bob = await signInWithToken(browser, "bob", natter.http, await token("bob"));

  await bob.fill("Chat with user", "alice");
  await bob.click("Open");
  await say(bob, "are you there?");
  for (const device of [laptop, phone]) {
    await device.waitFor(conversation("bob").withText("1 unread"));
  }
  assertEquals(await bob.count(SEEN), 0, "not read yet");
  await phone.click(conversation("bob"));
  await untilShown(phone, ["bob: are you there?"]);
  await laptop.waitFor(conversation("bob").withText("unread"), { state: "hidden" });
  await laptop.waitFor(conversation("bob"));
  await bob.waitFor(SEEN.inside(message("are you there?")));

  // The phone shows the conversation: what comes next is read at once, and Seen moves.
  await say(bob, "hello?");
  await bob.waitFor(SEEN.inside(message("hello?")));
  assertEquals(await bob.count(SEEN), 1, "Seen under the last message read only");
  await laptop.waitFor(conversation("bob").withText("unread"), { state: "hidden" });

  await createChannel(bob, "plans");
  await laptop.click("New channel");
  await laptop.click("Join plans");
  await laptop.click(conversation("bob"));
  await phone.waitFor(conversation("plans"));
  await say(bob, "@alice look at this");
  for (const device of [laptop, phone]) {
    await device.waitFor(conversation("plans").withText("1 unread, 1 mention"));
  }
  await laptop.click(conversation("plans"));
  await untilShown(laptop, ["bob: @alice look at this"]);
  await phone.waitFor(conversation("plans").withText("unread"), { state: "hidden" });

  // A reload asks the server: nothing is unread.
  await phone.reload();
  await connected(phone);
  await phone.waitFor(conversation("plans"));
  await phone.waitFor(conversation("bob"));
  assertEquals(await phone.count(conversation("bob").withText("unread")), 0);
  assertEquals(await phone.count(conversation("plans").withText("unread")), 0);
  for (const page of [laptop, phone, bob]) await assertQuiet(page);
});
