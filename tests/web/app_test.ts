/**
 * The chat web app in a real Chromium, against real Natter processes: two
 * people, alice and bob, each in a browser context of their own, using the
 * page the way a person does (by the labels and names a screen reader reads).
 */
import { css, DESKTOP, items, launchBrowser, role, text } from "../support/browser.ts";
import { startMain } from "../support/process.ts";
import { assertEquals } from "../support/assert.ts";
import {
  assertQuiet,
  connected,
  conversation,
  createChannel,
  say,
  signIn,
  untilShown,
} from "./support.ts";

const MARKUP = "<img src=x onerror=alert(1)>";

Deno.test("web app: alice and bob create a channel, chat, type, and send each other direct messages; bob reloads and finds it all; markup stays text", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http, DESKTOP);
  const bob = await signIn(browser, "bob", natter.http);

  await createChannel(alice, "general");
  await say(alice, "hello bob");

  await bob.click("New channel");
  await bob.click("Join general");
  await untilShown(bob, ["alice: hello bob"]);
  await bob.waitFor(items("Online").withText("alice"));
  await bob.fill("Message", "hi al");
  await alice.waitFor(text("bob is typing…"));
  await say(bob, "hi alice");
  await say(alice, MARKUP);
  const channel = ["alice: hello bob", "bob: hi alice", `alice: ${MARKUP}`];
  await untilShown(bob, channel);
  await untilShown(alice, channel);
  assertEquals(await bob.count(css("#messages img")), 0, "the markup made no element");

  // Typed with other capitals: still the one conversation with bob.
  await alice.fill("Chat with user", "BOB");
  await alice.click("Open");
  await alice.waitFor(role("heading", "@bob", { exact: false }));
  await say(alice, "psst, bob");
  await bob.waitFor(conversation("alice").withText("1 unread"));
  await bob.click(conversation("alice"));
  await say(bob, "psst, alice");
  const direct = ["alice: psst, bob", "bob: psst, alice"];
  await untilShown(alice, direct);
  await untilShown(bob, direct);
  assertEquals(await alice.count(conversation("bob")), 1, "one conversation with bob");

  await bob.reload();
  await connected(bob);
  await bob.waitFor(conversation("general"));
  await bob.waitFor(conversation("alice"));
  await bob.click(conversation("general"));
  await untilShown(bob, channel);
  await bob.click(conversation("alice"));
  await untilShown(bob, direct);
  await assertQuiet(alice);
  await assertQuiet(bob);

  // The README's picture, taken from this conversation: `NATTER_SCREENSHOT=docs/screenshot.png`.
  await alice.click(conversation("general"));
  await untilShown(alice, channel);
  const path = Deno.env.get("NATTER_SCREENSHOT") ?? await Deno.makeTempFile({ suffix: ".png" });
  await alice.screenshot(path);
  const png = await Deno.readFile(path);
  assertEquals([...png.slice(1, 4)].map((byte) => String.fromCharCode(byte)).join(""), "PNG");
  if (!Deno.env.get("NATTER_SCREENSHOT")) await Deno.remove(path);
});

Deno.test("web app: bob closes his page, alice sends him a direct message and an invitation, bob opens the page again and finds both", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http);
  const bob = await signIn(browser, "bob", natter.http);
  await bob.close();
  await alice.fill("Chat with user", "bob");
  await alice.click("Open");
  await alice.waitFor(items("Offline").withText("bob"));
  await say(alice, "while you were away");
  await createChannel(alice, "plans", { isPrivate: true });
  await alice.fill("Invite user", "bob");
  await alice.click("Invite");
  await alice.waitFor(text("bob is invited to #plans"));
  await assertQuiet(alice);

  const back = await browser.open("bob", natter.http);
  await connected(back);
  await back.waitFor(conversation("alice").withText("1 unread"));
  await back.click(conversation("alice"));
  await untilShown(back, ["alice: while you were away"]);
  // The invitation came while the page was closed: the server lists it at connect.
  await back.click("Join plans");
  await back.waitFor(role("heading", "#plans"));
  await assertQuiet(back);
});

Deno.test("web app: alice invites bob to a private channel; owner and moderator act on it", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http);
  const bob = await signIn(browser, "bob", natter.http);

  await createChannel(alice, "plans", { isPrivate: true });
  await bob.click("New channel");
  await bob.waitFor(items("Public channels").withText("lobby"));
  assertEquals(await bob.count(items("Public channels").withText("plans")), 0, "private: unlisted");

  await alice.fill("Invite user", "bob");
  await alice.click("Invite");
  await bob.click("Join plans");
  await bob.waitFor(role("heading", "#plans"));
  await bob.waitFor(items("Online").withText("alice").withText("owner"));
  await alice.fill("Invite user", "car");
  await say(bob, "thanks for the invite");
  await untilShown(alice, ["bob: thanks for the invite"]);
  assertEquals(
    await alice.evaluate("[document.activeElement.id, document.activeElement.value]"),
    ["invite-name", "car"],
    "what alice was typing survives bob's message",
  );

  await alice.click("Mute bob");
  await alice.waitFor(text("bob was muted in #plans"));
  await bob.fill("Message", "can I still talk?");
  await bob.press("Message", "Enter");
  await bob.waitFor(role("alert").withText("Muted in channel"));
  assertEquals(await bob.value("Message"), "can I still talk?", "the refused text is kept");

  await alice.click("Make moderator bob");
  await alice.waitFor(items("Online").withText("bob").withText("moderator"));
  // Live: bob's page learns his new role with no reload or new read.
  await bob.waitFor(items("Online").withText("bob").withText("moderator"));
  await bob.waitFor(role("textbox", "Invite user"));
  assertEquals(await bob.count(role("button", "Delete channel")), 0, "only the owner deletes");
  await alice.click("Delete channel");
  await alice.click("Delete channel");
  await bob.waitFor(text("You are no longer in #plans: deleted"));
  await bob.waitFor(conversation("plans"), { state: "hidden" });
  await assertQuiet(alice);
  await assertQuiet(bob, { notices: false }); // bob was told he is muted, then that #plans is gone
});

Deno.test("web app: signing out ends everything of the session; the same name signs in again, another user finds nothing of it", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const bob = await signIn(browser, "bob", natter.http);
  const alice = await signIn(browser, "alice", natter.http);
  await alice.fill("Chat with user", "bob");
  await alice.click("Open");
  await say(alice, "for bob only");
  await untilShown(alice, ["alice: for bob only"]);
  await alice.fill("Message", "a draft");
  await alice.click("Sign out");
  await alice.waitFor(role("button", "Sign in"));
  assertEquals(await alice.evaluate("localStorage.getItem('natter.session')"), null);

  await alice.fill("Username", "carol");
  await alice.press("Username", "Enter");
  await connected(alice);
  assertEquals(await alice.count(conversation("bob")), 0, "carol has no conversation with bob");
  assertEquals(await alice.value("Message"), "", "alice's draft is gone");
  await alice.click("Sign out");
  await alice.fill("Username", "alice");
  await alice.click("Sign in");
  await connected(alice);
  await alice.waitFor(role("status").withText("Connected as alice"));
  await bob.click(conversation("alice"));
  await untilShown(bob, ["alice: for bob only"]);
  await assertQuiet(alice);
  await assertQuiet(bob);
});
