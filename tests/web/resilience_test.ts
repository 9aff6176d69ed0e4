/**
 * The web app through what a deployment goes through: its server restarted
 * with Redis keeping the messages, and two instances sharing one Redis with
 * alice on one (Deno) and bob on the other (Node).
 */
import { launchBrowser, role, text } from "../support/browser.ts";
import { startCluster } from "../support/cluster.ts";
import { startMain } from "../support/process.ts";
import { DURABLE_REDIS, freePort } from "../support/redis.ts";
import { connected, conversation, createChannel, say, signIn, untilShown } from "./support.ts";

Deno.test("web app: the server restarts (Redis with AOF); both pages show it, reconnect, and lose nothing", async () => {
  const port = freePort();
  await using cluster = await startCluster(1, { PORT: String(port) }, DURABLE_REDIS);
  const url = cluster.instances[0].http;
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", url);
  const bob = await signIn(browser, "bob", url);
  await createChannel(alice, "general");
  await say(alice, "before the restart");
  await bob.click("New channel");
  await bob.click("Join general");
  await say(bob, "me too");

  const old = cluster.instances[0];
  old.child.kill("SIGTERM");
  await old.status;
  for (const page of [alice, bob]) {
    await page.waitFor(role("status").withText("Reconnecting"), { timeoutMs: 30_000 });
  }
  await alice.fill("Message", "sent while the server was down");
  await alice.press("Message", "Enter");
  await alice.waitFor(text("sending…"));
  cluster.instances[0] = await startMain({
    REDIS_URL: cluster.redis.url,
    REDIS_PREFIX: cluster.prefix,
    PORT: String(port),
  });
  await connected(alice);
  await connected(bob);
  await say(bob, "back again");
  const expected = [
    "alice: before the restart",
    "bob: me too",
    "alice: sent while the server was down",
    "bob: back again",
  ];
  await untilShown(alice, expected);
  await untilShown(bob, expected);
  await bob.reload();
  await connected(bob);
  await bob.click(conversation("general"));
  await untilShown(bob, expected);
});

Deno.test("web app: alice on a Deno instance and bob on a Node instance, sharing Redis, chat in a channel and directly", async () => {
  await using cluster = await startCluster(2);
  const [deno, node] = cluster.instances;
  await using browser = await launchBrowser();
  const alice = await signIn(browser, "alice", deno.http);
  const bob = await signIn(browser, "bob", node.http);
  await createChannel(alice, "general");
  await say(alice, "hello from deno");
  await bob.click("New channel");
  await bob.click("Join general");
  await bob.waitFor(role("listitem").inside(role("list", "Online")).withText("alice"));
  await say(bob, "hello from node");
  const channel = ["alice: hello from deno", "bob: hello from node"];
  await untilShown(alice, channel);
  await untilShown(bob, channel);

  await bob.fill("Chat with user", "alice");
  await bob.click("Open");
  await say(bob, "a direct word");
  await alice.click(conversation("bob"));
  await say(alice, "and one back");
  const direct = ["bob: a direct word", "alice: and one back"];
  await untilShown(alice, direct);
  await untilShown(bob, direct);
});
