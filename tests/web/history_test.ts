/**
 * The web app's reading side: scrolling back through a channel's history a
 * page at a time, and the status of members (theirs shown, one's own set).
 */
import { connect } from "../../src/client/mod.ts";
import { items, launchBrowser, role } from "../support/browser.ts";
import { startMain } from "../support/process.ts";
import { assertEquals } from "../support/assert.ts";
import { shown, signIn, untilShown } from "./support.ts";

Deno.test("web app: a busy channel shows its newest page, then earlier messages on request, in order; statuses show both ways", async () => {
  await using natter = await startMain({});
  const carl = connect({ url: natter.ws, username: "carl" });
  try {
    await carl.ready();
    const sent = Array.from({ length: 70 }, (_, i) => `message ${i}`);
    for (const message of sent) await carl.broadcast("busy", message);
    await carl.status("away", "at lunch");

    await using browser = await launchBrowser();
    const alice = await signIn(browser, "alice", natter.http);
    await alice.click("New channel");
    await alice.click("Join busy");
    await untilShown(alice, sent.slice(20).map((message) => `carl: ${message}`));
    await alice.click("Load earlier messages");
    await untilShown(alice, sent.map((message) => `carl: ${message}`));
    await alice.waitFor(role("button", "Load earlier messages"), { state: "hidden" });
    await alice.waitFor(items("Online").withText("carl").withText("away").withText("at lunch"));

    await carl.members("busy");
    const changed = new Promise((resolve) =>
      carl.on(
        "member",
        (frame) => frame.from === "alice" && frame.status === "away" && resolve(frame),
      )
    );
    await alice.select("Status", "away");
    await alice.fill("Status text", "in a meeting");
    await alice.click("Set status");
    await changed;
    const mine = carl.memberList("busy").find((member) => member.name === "alice");
    assertEquals([mine?.status, mine?.text], ["away", "in a meeting"]);
    assertEquals((await shown(alice)).length, 70);
  } finally {
    await carl.close();
  }
});
