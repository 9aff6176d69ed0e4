/**
 * Replies and attachments in the web app: bob answers alice's message and
 * both see what it answers; a link's metadata shows as a link to its http(s)
 * URL with its name as text, and anything else stays text.
 */
import { css, items, launchBrowser, role } from "../support/browser.ts";
import { startMain } from "../support/process.ts";
import { assertEquals } from "../support/assert.ts";
import { assertQuiet, createChannel, say, signIn, untilShown } from "./support.ts";

Deno.test("web app: bob replies to alice's message with a link; both see the reply, its quote and the link", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", natter.http);
  const bob = await signIn(browser, "bob", natter.http);
  await createChannel(alice, "plans");
  await say(alice, "where is the plan?");
  await bob.click("New channel");
  await bob.click("Join plans");

  const question = items("Messages").withText("where is the plan?");
  await bob.click(role("button", "Reply").inside(question));
  await bob.waitFor(role("button", "Cancel reply"));
  await bob.click("Attach link");
  await bob.fill("Link URL", "https://files.example/plan.pdf");
  await bob.fill("Link name", "<b>plan</b>.pdf");
  await say(bob, "here");
  const thread = ["alice: where is the plan?", "bob: here"];
  for (const page of [alice, bob]) {
    await untilShown(page, thread);
    const answer = items("Messages").withText("here").nth(1);
    assertEquals(
      await page.texts(css(".quote").inside(answer)),
      ["↪ alice: where is the plan?"],
      `${page.name} sees what bob answered`,
    );
    const link = role("link", "📎 <b>plan</b>.pdf").inside(answer);
    assertEquals(await page.attribute(link, "href"), "https://files.example/plan.pdf");
  }
  await bob.waitFor(role("button", "Cancel reply"), { state: "hidden" });

  await alice.click("Attach link");
  await alice.fill("Link URL", "javascript:alert(1)");
  await alice.fill("Link name", "click me");
  await say(alice, "a trap");
  await bob.waitFor(items("Messages").withText("click me (javascript:alert(1))"));
  assertEquals(await bob.count(role("link", "📎 click me", { exact: false })), 0, "no link");
  await assertQuiet(alice);
  await assertQuiet(bob);
});
