/**
 * Edits, deletions and reactions in the web app: alice edits her message in
 * place (Enter saves, Escape cancels) and deletes one, bob reacts and takes
 * his reaction back, alice as the channel's owner deletes bob's message;
 * each page sees every change live, and after a reload history shows the
 * messages as they are now. An edit in progress keeps its caret when the
 * conversation is drawn again, and a long reaction wraps on a phone.
 */
import { items, launchBrowser, role, text } from "../support/browser.ts";
import { startMain } from "../support/process.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { clientPool } from "../client/support.ts";
import {
  assertQuiet,
  connected,
  conversation,
  createChannel,
  message,
  say,
  signIn,
  untilShown,
} from "./support.ts";

Deno.test("web app: alice edits and deletes her messages, bob reacts; both see each change live and after a reload", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http);
  const bob = await signIn(browser, "bob", natter.http);
  await createChannel(alice, "plans");
  await say(alice, "helo wrld");
  await say(alice, "keep this");
  await bob.click("New channel");
  await bob.click("Join plans");
  await untilShown(bob, ["alice: helo wrld", "alice: keep this"]);
  assertEquals(await bob.count(role("button", "Edit").inside(message("helo"))), 0, "not bob's");
  assertEquals(await bob.count(role("button", "Delete").inside(message("helo"))), 0, "not bob's");

  await alice.click(role("button", "Edit").inside(message("helo wrld")));
  await alice.fill("Edit message", "hello world");
  await alice.press("Edit message", "Enter");
  for (const page of [alice, bob]) {
    await page.waitFor(message("hello world").withText("(edited)"));
  }
  await alice.click(role("button", "Edit").inside(message("keep this")));
  await alice.fill("Edit message", "lost words");
  await alice.press("Edit message", "Escape");
  await alice.waitFor(role("textbox", "Edit message"), { state: "hidden" });
  await untilShown(alice, ["alice: hello world", "alice: keep this"]);
  assertEquals(await alice.count(text("(edited)")), 1, "the cancelled edit changed nothing");

  await bob.click(role("button", "React 👍").inside(message("hello world")));
  const thumbs = (count: number) => role("button", `👍 ${count}`).inside(message("hello world"));
  await alice.waitFor(thumbs(1));
  await bob.waitFor(thumbs(1));
  assertEquals(await alice.attribute(thumbs(1), "aria-pressed"), "false", "not alice's");
  assertEquals(await bob.attribute(thumbs(1), "aria-pressed"), "true", "bob's");
  await alice.click(thumbs(1));
  await bob.waitFor(thumbs(2));
  await alice.waitFor(thumbs(2));
  assertEquals(await alice.attribute(thumbs(2), "aria-pressed"), "true");
  await bob.click(thumbs(2));
  await alice.waitFor(thumbs(1));
  await bob.waitFor(thumbs(1));
  assertEquals(await bob.attribute(thumbs(1), "aria-pressed"), "false", "bob took his back");

  await say(alice, "oops, wrong room");
  await alice.click(role("button", "Delete").inside(message("oops")));
  await alice.click(role("button", "Confirm delete").inside(message("oops")));
  await say(bob, "buy cheap watches");
  await alice.click(role("button", "Delete").inside(message("cheap watches")));
  await alice.click(role("button", "Confirm delete").inside(message("cheap watches")));
  const now = [
    "alice: hello world",
    "alice: keep this",
    "alice: Message deleted",
    "bob: Message deleted",
  ];
  for (const page of [alice, bob]) {
    await page.waitFor(text("oops"), { state: "hidden" });
    await page.waitFor(text("cheap watches"), { state: "hidden" });
    await untilShown(page, now);
  }

  await bob.reload();
  await connected(bob);
  await bob.click(conversation("plans"));
  await untilShown(bob, now);
  await bob.waitFor(message("hello world").withText("(edited)"));
  assertEquals(await bob.attribute(thumbs(1), "aria-pressed"), "false");
  assertEquals(await bob.count(role("button", "Reply").inside(message("Message deleted"))), 0);
  await assertQuiet(alice);
  await assertQuiet(bob);
});

Deno.test("web app: the edit field keeps its focus and caret when a message comes in", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  await using clients = clientPool();
  const alice = await signIn(browser, "alice", natter.http);
  await createChannel(alice, "edits");
  const [bob] = await clients.ready(natter.ws, "bob");
  await bob.join("edits");
  await say(alice, "hello wrld");
  await untilShown(alice, ["alice: hello wrld"]);
  await alice.click("Edit");
  const focus = () =>
    alice.evaluate<[string | null, number, number]>(`(() => {
      const active = document.activeElement;
      return [active.getAttribute("aria-label"), active.selectionStart ?? -1, active.selectionEnd ?? -1];
    })()`);
  await alice.evaluate(`(document.activeElement.setSelectionRange(3, 5), true)`);
  assertEquals(await focus(), ["Edit message", 3, 5]);
  await bob.broadcast("edits", "interrupting");
  await alice.waitFor(items("Messages").withText("interrupting"));
  assertEquals(await focus(), ["Edit message", 3, 5], "after bob's message");
});

Deno.test("web app: a 32-character reaction wraps instead of widening a phone's message list", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  await using clients = clientPool();
  const [bob] = await clients.ready(natter.ws, "bob");
  await bob.join("wide");
  const alice = await signIn(browser, "alice", natter.http, { width: 360, height: 740 });
  await alice.click("Channels");
  await alice.click("New channel");
  await alice.click("Join wide");
  const id = await bob.broadcast("wide", "react to me");
  await untilShown(alice, ["bob: react to me"]);
  await bob.react({ channel: "wide" }, id, "W".repeat(32));
  await alice.waitFor(items("Messages").withText("WWWW"));
  const [scroll, client] = await alice.evaluate<[number, number]>(`(() => {
    const scroller = document.getElementById("message-scroller");
    return [scroller.scrollWidth, scroller.clientWidth];
  })()`);
  assert(scroll <= client, `message list ${scroll}px wide in ${client}px`);
});
