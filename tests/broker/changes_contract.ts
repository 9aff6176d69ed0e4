/**
 * The broker contract's part on what happens to a message after it is
 * sent: edits, deletions and reactions are entries of their own, stored and
 * delivered on every instance, refused when not allowed; history shows each
 * message as it is now; a replay never shows a text that is gone; and read
 * positions and unread counts, which only move forward and count without
 * reading the history. `contract.ts` runs it for each broker.
 *
 * @module
 */
import {
  type Broker,
  type ChangeDraft,
  ChangeRefusedError,
  type Published,
} from "../../src/broker/broker.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { contractTest, type Deploy, holding, record, sayInRoom } from "./contract.ts";

/** Registers the change and read-state tests for the broker called `name`. */
export function changesContract(name: string, deploy: Deploy): void {
  const test = contractTest(name, deploy);

  const say = sayInRoom;

  const inRoom = (from: string, target: string) => ({
    kind: "channel" as const,
    from,
    actor: holding(from),
    to: "room",
    target,
  });

  /** The change draft, applied on the room's topic. */
  const change = (broker: Broker, draft: ChangeDraft) => broker.bus.change(["channel:room"], draft);

  const EDIT = { action: "edit" as const, windowMs: 3_600_000 };

  async function refusedWith(reason: string, changing: Promise<Published | undefined>) {
    await assertRejects(() => changing, ChangeRefusedError, `change refused: ${reason}`);
  }

  test("an edit is an entry of its own, delivered everywhere; history shows the message as edited", async ({ first, second }) => {
    const seen = record(second);
    await second.bus.subscribe("channel:room");
    const { message: original } = await say(first, "alice", "helo");
    const edited = await change(first, { ...inRoom("alice", original.id), ...EDIT, text: "hello" });
    assert(edited && edited.message.id > original.id);
    assertEquals(edited.message.change, { action: "edit", target: original.id });
    assertEquals([edited.message.text, edited.message.from, edited.message.to], [
      "hello",
      "alice",
      "room",
    ]);
    await seen.until(2);
    assertEquals(seen.deliveries[1].envelope, { kind: "channel", message: edited.message });
    const [shown] = await second.history.page("channel:room", { limit: 10 });
    assertEquals([shown.message.id, shown.message.text, shown.message.edited], [
      original.id,
      "hello",
      edited.message.ts,
    ]);
    const replayed = await second.history.since("channel:room", "0000000000000-000000");
    assertEquals(replayed.envelopes.map(({ message }) => [message.id, message.text]), [
      [original.id, "hello"],
      [edited.message.id, "hello"],
    ]);
  });

  test("only the author edits, within the window; a change of no kept message is refused", async ({ first }) => {
    const { message } = await say(first, "alice", "mine");
    await refusedWith(
      "not_permitted",
      change(first, { ...inRoom("bob", message.id), ...EDIT, text: "bob's now" }),
    );
    while (Date.now() <= message.ts + 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await refusedWith(
      "window_closed",
      change(first, { ...inRoom("alice", message.id), action: "edit", windowMs: 1, text: "late" }),
    );
    await refusedWith(
      "not_found",
      change(first, { ...inRoom("alice", "1700000000000-000001"), ...EDIT, text: "?" }),
    );
    assertEquals((await first.history.page("channel:room", { limit: 5 }))[0].message.text, "mine");
  });

  test("a deleted message is a tombstone in history and replays; its earlier edits replay nothing", async ({ first, second }) => {
    const { message } = await say(first, "alice", "secret", undefined);
    const edit = await change(first, { ...inRoom("alice", message.id), ...EDIT, text: "secret 2" });
    await refusedWith(
      "not_permitted",
      change(second, { ...inRoom("bob", message.id), action: "delete", moderator: false }),
    );
    const deleted = await change(second, {
      ...inRoom("carol", message.id),
      action: "delete",
      moderator: true,
    });
    assertEquals(deleted?.message.change, { action: "delete", target: message.id });
    const [shown] = await first.history.page("channel:room", { limit: 5 });
    assertEquals(shown.message, {
      id: message.id,
      ts: message.ts,
      from: "alice",
      to: "room",
      text: "",
      deleted: true,
    });
    const replayed = (await first.history.since("channel:room", "0000000000000-000000")).envelopes;
    assertEquals(replayed.map(({ message }) => message.id), [message.id, deleted!.message.id]);
    assert(!JSON.stringify(replayed).includes("secret"), "no text of a deleted message replays");
    assert(edit);
    await refusedWith(
      "not_found",
      change(first, { ...inRoom("alice", message.id), ...EDIT, text: "back" }),
    );
  });

  test("reactions: one per user per emoji, counted, mine for the reader, bounded in emoji", async ({ first, second }) => {
    const { message } = await say(first, "alice", "react to me");
    const react = (broker: Broker, from: string, emoji: string, add = true) =>
      change(broker, { ...inRoom(from, message.id), action: "react", emoji, add, maxEmoji: 2 });
    const added = await react(first, "bob", "👍");
    assertEquals(added?.message.change, {
      action: "react",
      target: message.id,
      emoji: "👍",
      added: true,
      count: 1,
    });
    assertEquals(
      await react(second, "bob", "👍"),
      undefined,
      "the same reaction twice changes nothing",
    );
    assertEquals((await react(second, "carol", "👍"))?.message.change?.action, "react");
    await react(first, "carol", "🎉");
    await refusedWith("too_many_reactions", react(first, "dave", "😂"));
    const [shown] = await second.history.page("channel:room", { limit: 5, reader: "carol" });
    assertEquals(shown.message.reactions, [
      { emoji: "🎉", count: 1, mine: true },
      { emoji: "👍", count: 2, mine: true },
    ]);
    const removed = await react(first, "bob", "👍", false);
    assertEquals(removed?.message.change, {
      action: "react",
      target: message.id,
      emoji: "👍",
      added: false,
      count: 1,
    });
    assertEquals(await react(first, "bob", "👍", false), undefined);
    const [after] = await first.history.page("channel:room", { limit: 5, reader: "bob" });
    assertEquals(after.message.reactions, [{ emoji: "🎉", count: 1 }, { emoji: "👍", count: 1 }]);
  });

  test("changes in a conversation reach both inboxes; only its two users may make them", async ({ first, second }) => {
    const sent = await first.bus.publish(["user:bob", "user:alice"], {
      kind: "direct",
      from: "alice",
      to: "bob",
      text: "hi bob",
      senderSession: "s1",
      author: holding("alice"),
    });
    const inDirect = (from: string, to: string) => ({
      kind: "direct" as const,
      from,
      actor: holding(from),
      to,
      target: sent.message.id,
    });
    const reacted = await second.bus.change(["user:alice", "user:bob"], {
      ...inDirect("bob", "alice"),
      action: "react",
      emoji: "❤️",
      add: true,
      maxEmoji: 5,
    });
    assertEquals([reacted?.message.from, reacted?.message.to], ["bob", "alice"]);
    await refusedWith(
      "not_found",
      second.bus.change(["user:alice", "user:carol"], {
        ...inDirect("carol", "alice"),
        action: "react",
        emoji: "❤️",
        add: true,
        maxEmoji: 5,
      }),
    );
    const edited = await first.bus.change(["user:bob", "user:alice"], {
      ...inDirect("alice", "bob"),
      ...EDIT,
      text: "hi Bob",
    });
    for (const reader of ["alice", "bob"]) {
      const [shown] = await second.history.page(`user:${reader}`, { limit: 5, reader });
      assertEquals([shown.message.text, shown.message.edited, shown.message.reactions], [
        "hi Bob",
        edited?.message.ts,
        [{ emoji: "❤️", count: 1, ...(reader === "bob" ? { mine: true as const } : {}) }],
      ]);
    }
  });

  test("a change with a seen dedup key stores nothing and answers the first", async ({ first, second }) => {
    const { message } = await say(first, "alice", "once");
    const draft = { ...inRoom("alice", message.id), ...EDIT, text: "twice", dedupKey: "k1" };
    const once = await change(first, draft);
    const again = await change(second, draft);
    assertEquals([again?.message.id, again?.duplicate], [once?.message.id, true]);
    const entries = (await first.history.since("channel:room", message.id)).envelopes;
    assertEquals(entries.length, 1);
  });

  test("a message whose data no Lua JSON decoder reads can still be deleted and edited", async ({ first }) => {
    const deep = JSON.parse(`{"a":${"[".repeat(1500)}${"]".repeat(1500)}}`);
    for (const data of [{ lone: "\ud800" }, deep]) {
      const { message } = await first.bus.publish(["channel:room"], {
        kind: "channel",
        from: "alice",
        to: "room",
        text: "spam",
        author: holding("alice"),
        data,
      });
      const edited = await change(first, { ...inRoom("alice", message.id), ...EDIT, text: "ok" });
      assertEquals(edited?.message.change?.action, "edit");
      const deleted = await change(first, {
        ...inRoom("mod", message.id),
        action: "delete",
        moderator: true,
      });
      assertEquals(deleted?.message.change?.action, "delete");
    }
  });

  test("only the holding that sent a message is its author: a later holder of the name is not", async ({ first }) => {
    const { message } = await say(first, "bob", "the first bob's");
    await refusedWith(
      "not_permitted",
      change(first, { ...inRoom("bob", message.id), actor: "bob other", ...EDIT, text: "mine" }),
    );
    await refusedWith(
      "not_permitted",
      change(first, {
        ...inRoom("bob", message.id),
        actor: "bob other",
        action: "delete",
        moderator: false,
      }),
    );
  });

  test(
    "a deleted message's text never comes back once its state would have aged",
    async ({ first }) => {
      const { message } = await say(first, "alice", "secret");
      await change(first, { ...inRoom("alice", message.id), ...EDIT, text: "secret v2" });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await change(first, { ...inRoom("alice", message.id), action: "delete", moderator: false });
      await new Promise((resolve) => setTimeout(resolve, 800));
      const page = await first.history.page("channel:room", { limit: 10 });
      const since = await first.history.since("channel:room", "0000000000000-000000");
      assert(!JSON.stringify([page, since]).includes("secret"), JSON.stringify([page, since]));
    },
    { historyTtlMs: 1500 },
  );

  test(
    "a deleted message's edits replay no text once the message itself is dropped",
    async ({ first }) => {
      const { message } = await say(first, "alice", "secret");
      await change(first, { ...inRoom("alice", message.id), ...EDIT, text: "secret v2" });
      await change(first, { ...inRoom("alice", message.id), action: "delete", moderator: false });
      await say(first, "bob", "x");
      await say(first, "bob", "y");
      const since = await first.history.since("channel:room", message.id);
      assert(!JSON.stringify(since).includes("secret"), JSON.stringify(since));
    },
    { historyLimit: 4 },
  );

  test(
    "a direct message dropped from the author's inbox is still theirs to delete in the other's",
    async ({ first }) => {
      const dm = (to: string, text: string) =>
        first.bus.publish([`user:${to}`, "user:alice"], {
          kind: "direct",
          from: "alice",
          to,
          text,
          senderSession: "s",
          author: holding("alice"),
        });
      const { message } = await dm("bob", "oops, wrong person");
      for (let i = 0; i < 3; i++) await dm("carol", `c${i}`);
      const deleted = await first.bus.change(["user:bob", "user:alice"], {
        kind: "direct",
        from: "alice",
        actor: holding("alice"),
        to: "bob",
        target: message.id,
        action: "delete",
        moderator: false,
      });
      assertEquals(deleted?.message.change?.action, "delete");
      const [shown] = await first.history.page("user:bob", { limit: 10 });
      assertEquals([shown.message.id, shown.message.deleted], [message.id, true]);
      const inAliceInbox = (await first.history.since("user:alice", message.id)).envelopes;
      assertEquals(inAliceInbox.filter((entry) => entry.message.change), [], "nothing of it there");
    },
    { historyLimit: 3 },
  );
}
