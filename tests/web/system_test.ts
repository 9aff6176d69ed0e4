/**
 * Messages the application's backend posts through the server API as a
 * system sender, in the web app: in a channel they show with a "System"
 * badge and a look of their own, read as "System message from …", offer no
 * Reply or Edit (no user wrote them) and no Delete but to the channel's
 * owner, and take reactions like any other; on a phone they fit the screen.
 * A direct message from a system sender opens a conversation marked
 * "System" in the list, where a note replaces the message box (nobody there
 * reads an answer), and stays so after a reload.
 */
import { label, launchBrowser, PHONE, role, text } from "../support/browser.ts";
import { startMain } from "../support/process.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { API_KEY, publishViaApi } from "../support/api.ts";
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

/** The "System" badge inside `scope`'s elements. */
function systemBadge(scope: ReturnType<typeof message>) {
  return text("System", { exact: true }).inside(scope);
}

Deno.test("web app: a system sender's channel message stands apart, takes no reply or edit, and only the owner deletes it", async () => {
  await using natter = await startMain({ API_KEY: API_KEY });
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http);
  await createChannel(alice, "orders");
  const bob = await signIn(browser, "bob", natter.http, PHONE);
  await bob.click("Channels");
  await bob.click("New channel");
  await bob.click("Join orders");
  await bob.waitFor(role("heading", "#orders"));

  await publishViaApi(natter.http, {
    channel: "orders",
    text: "Order 1042 shipped",
    from: "Order bot",
    system: true,
  });
  await publishViaApi(natter.http, {
    channel: "orders",
    text: "Maintenance at noon",
    system: true,
  });
  await say(alice, "thanks");
  const now = [
    "System message from Order bot: Order 1042 shipped",
    "System message from system: Maintenance at noon",
    "alice: thanks",
  ];
  for (const page of [alice, bob]) {
    await untilShown(page, now);
    await page.waitFor(systemBadge(message("Order 1042 shipped")));
    await page.waitFor(systemBadge(message("Maintenance at noon")));
    assertEquals(
      await page.attribute(systemBadge(message("Order 1042 shipped")), "aria-hidden"),
      "true",
      'the badge is not read after "System message from"',
    );
    assertEquals(await page.count(systemBadge(message("thanks"))), 0, "alice wrote it");
    for (const affordance of ["Reply", "Edit"]) {
      assertEquals(
        await page.count(role("button", affordance).inside(message("Order 1042"))),
        0,
        `${page.name}'s ${affordance} of a system message`,
      );
    }
    assertEquals(await page.count(role("button", "Reply").inside(message("thanks"))), 1);
  }
  assertEquals(await bob.count(role("button", "Delete").inside(message("Order 1042"))), 0);
  const [scroll, client] = await bob.evaluate<[number, number]>(`(() => {
    const scroller = document.getElementById("message-scroller");
    return [scroller.scrollWidth, scroller.clientWidth];
  })()`);
  assert(scroll <= client, `bob's message list is ${scroll}px wide in ${client}px`);

  await bob.click(role("button", "React 👍").inside(message("Order 1042")));
  await alice.waitFor(role("button", "👍 1").inside(message("Order 1042")));

  await alice.click(role("button", "Delete").inside(message("Order 1042")));
  await alice.click(role("button", "Confirm delete").inside(message("Order 1042")));
  for (const page of [alice, bob]) {
    await page.waitFor(text("Order 1042"), { state: "hidden" });
    await untilShown(page, [
      "System message from Order bot: Message deleted",
      "System message from system: Maintenance at noon",
      "alice: thanks",
    ]);
  }
  await assertQuiet(alice);
  await assertQuiet(bob);
});

Deno.test("web app: a system sender's direct message opens a conversation marked System that takes no answer, also after a reload", async () => {
  await using natter = await startMain({ API_KEY: API_KEY });
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http, PHONE);
  await publishViaApi(natter.http, {
    user: "alice",
    text: "Your order shipped",
  });
  await alice.click("Channels");
  const entry = conversation("system");
  await alice.waitFor(entry.withText("1 unread"));
  await alice.waitFor(systemBadge(entry));

  await alice.click(entry);
  await alice.waitFor(role("heading", "@system System"));
  await untilShown(alice, ["System message from system: Your order shipped"]);
  await alice.waitFor(systemBadge(message("Your order shipped")));
  assertEquals(await alice.count(role("button", "Reply")), 0, "no reply to a system sender");
  assertEquals(
    await alice.count(role("button", "Delete")),
    0,
    "a direct message's author deletes it",
  );
  await alice.waitFor(text("system sends system messages: it cannot be answered."));
  assertEquals(await alice.visible(label("Message")), false, "no message box");

  await alice.reload();
  await connected(alice);
  await alice.click("Channels");
  await alice.waitFor(systemBadge(conversation("system")));
  await alice.click(conversation("system"));
  await untilShown(alice, ["System message from system: Your order shipped"]);
  await alice.waitFor(systemBadge(message("Your order shipped")));
  assertEquals(await alice.visible(label("Message")), false, "no message box after the reload");

  await alice.click("Channels");
  await createChannel(alice, "orders");
  await say(alice, "a channel takes messages again");
  await untilShown(alice, ["alice: a channel takes messages again"]);
  await alice.waitFor(text("it cannot be answered"), { state: "hidden" });
  await assertQuiet(alice);
});
