/**
 * Read state across devices in the web app: alice is signed in on a laptop
 * and a phone (two browser contexts, one user). A badge shows what she has
 * not read on both; reading on one device clears it on the other, in a
 * direct conversation and in a channel (where a mention is counted apart).
 * Bob sees "Seen" under his last message alice has read. A busy open channel
 * is marked read as a whole, within the real rate limits; a hidden page
 * marks nothing read.
 */
import { items, launchBrowser, type Page, text } from "../support/browser.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startMain } from "../support/process.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { clientPool, collect, until } from "../client/support.ts";
import {
  assertQuiet,
  connected,
  conversation,
  createChannel,
  message,
  say,
  signIn,
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

  // A reload asks the server: what is unread is still unread, and nothing else.
  await phone.click(conversation("plans"));
  await bob.click(conversation("alice"));
  await say(bob, "psst");
  await laptop.waitFor(conversation("bob").withText("1 unread"));
  await phone.waitFor(conversation("bob").withText("1 unread"));
  await phone.reload();
  await connected(phone);
  await phone.waitFor(conversation("bob").withText("1 unread"));
  await phone.waitFor(conversation("plans"));
  assertEquals(await phone.count(conversation("plans").withText("unread")), 0);
  await laptop.click(conversation("bob"));
  await phone.waitFor(conversation("bob").withText("unread"), { state: "hidden" });
  for (const page of [laptop, phone, bob]) await assertQuiet(page);
});

/** From now on, counts the frames of each type the page sends (`window.sentFrames`). */
function countSentFrames(page: Page): Promise<unknown> {
  return page.evaluate(`(() => {
    window.sentFrames = {};
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      const type = JSON.parse(data).type;
      window.sentFrames[type] = (window.sentFrames[type] ?? 0) + 1;
      return send.call(this, data);
    };
    return true;
  })()`);
}

Deno.test("web app: a busy open channel is marked read as a whole, within the real rate limits", async () => {
  await using natter = await startMain({ RATE_MESSAGES_PER_SECOND: "20", RATE_BURST: "40" });
  await using browser = await launchBrowser();
  await using clients = clientPool();
  const alice = await signIn(browser, "alice", natter.http);
  await createChannel(alice, "busy");
  const senders = Array.from(
    { length: 12 },
    (_, i) => clients.connect({ url: natter.ws, username: `sender${i}` }),
  );
  for (const sender of senders) {
    await sender.ready();
    await sender.join("busy");
  }
  const receipts = collect(senders[0], "readReceipt");
  await countSentFrames(alice);
  // 360 messages from twelve senders, each within its own limit, as fast as they are acked.
  const ids = (await Promise.all(senders.map(async (sender) => {
    const sent = [];
    for (let i = 0; i < 30; i++) sent.push(await sender.broadcast("busy", `m${i}`));
    return sent;
  }))).flat().sort();
  await until(() =>
    receipts.some((receipt) => receipt.from === "alice" && receipt.id === ids.at(-1))
  );
  const frames = await alice.evaluate<Record<string, number>>("window.sentFrames");
  assert(frames.markRead <= 36, `${frames.markRead} markRead frames for 360 messages`);
  await alice.waitFor(items("Messages").withText("m29"), { count: 12 });
  await assertQuiet(alice);
});

Deno.test("web app: a hidden page marks nothing read and counts the open conversation in its title", async () => {
  await using natter = await startMain({});
  await using browser = await launchBrowser();
  await using clients = clientPool();
  const alice = await signIn(browser, "alice", natter.http);
  await createChannel(alice, "quiet");
  const [bob] = await clients.ready(natter.ws, "bob");
  await bob.join("quiet");
  await countSentFrames(alice);
  const visibility = (state: string) =>
    alice.evaluate(`(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "${state}" });
      document.dispatchEvent(new Event("visibilitychange"));
      return true;
    })()`);
  await visibility("hidden");
  await bob.broadcast("quiet", "while hidden");
  await untilShown(alice, ["bob: while hidden"]);
  await alice.waitFor(conversation("quiet").withText("1 unread"));
  assertEquals(await alice.evaluate("document.title"), "(1) Natter");
  assertEquals(await alice.evaluate("window.sentFrames.markRead ?? 0"), 0);
  await visibility("visible");
  await alice.waitFor(conversation("quiet").withText("unread"), { state: "hidden" });
  assertEquals(await alice.evaluate("document.title"), "Natter");
  assertEquals(await alice.evaluate("window.sentFrames.markRead"), 1);
});
