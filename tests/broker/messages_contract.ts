/**
 * The broker contract's part on what a message carries besides its text: a
 * reply's target must be a kept message of the same channel or conversation
 * (else nothing is published), and `replyTo` and `data` are delivered and
 * stored unchanged, on every instance. `contract.ts` runs it for each broker.
 *
 * @module
 */
import { MutedError, ReplyNotFoundError } from "../../src/broker/broker.ts";
import type { Envelope } from "../../src/broker/broker.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { aliceToBob, contractTest, type Deploy } from "./contract.ts";

/** Registers the message-extras tests for the broker called `name`. */
export function messagesContract(name: string, deploy: Deploy): void {
  const test = contractTest(name, deploy);

  const DATA = { attachment: { url: "https://example.com/a.png", name: "a.png", size: 1234 } };

  test("a reply carries its target and data, live and in history, on every instance", async ({ first, second }) => {
    const delivered: Envelope[] = [];
    const { promise: arrived, resolve } = Promise.withResolvers<void>();
    second.onEvents({
      deliver: (_topic, envelope) => {
        delivered.push(envelope);
        if (delivered.length === 2) resolve();
      },
      revoked() {},
      expired() {},
    });
    await second.bus.subscribe("channel:room");
    const draft = { kind: "channel" as const, from: "alice", to: "room" };
    const { message: asked } = await first.bus.publish(["channel:room"], { ...draft, text: "?" });
    const { message: reply } = await first.bus.publish(["channel:room"], {
      ...draft,
      from: "bob",
      text: "see this",
      replyTo: asked.id,
      data: DATA,
    });
    assertEquals([reply.replyTo, reply.data], [asked.id, DATA]);
    await arrived;
    assertEquals(delivered[1], { kind: "channel", message: reply });
    assertEquals((await second.history.page("channel:room", { limit: 10 }))[1].message, reply);
    assertEquals((await second.history.since("channel:room", asked.id)).envelopes, [
      { kind: "channel", message: reply },
    ]);
  });

  test("a reply to no kept message of its channel is refused and nothing is published", async ({ first, second }) => {
    const { message: elsewhere } = await first.bus.publish(["channel:other"], {
      kind: "channel",
      from: "alice",
      to: "other",
      text: "not here",
    });
    for (const replyTo of [elsewhere.id, "1700000000000-000001"]) {
      const refused = await second.bus.publish(["channel:room"], {
        kind: "channel",
        from: "bob",
        to: "room",
        text: "re",
        replyTo,
      }).catch((error) => error);
      assert(refused instanceof ReplyNotFoundError, String(refused));
    }
    assertEquals(await first.history.page("channel:room", { limit: 10 }), [], "nothing stored");
  });

  test("a direct reply must answer a message between the same two users", async ({ first, second }) => {
    const { message: theirs } = await aliceToBob(first, "hi bob", "s1");
    const { message: answer } = await second.bus.publish(["user:alice", "user:bob"], {
      kind: "direct",
      from: "Bob",
      to: "alice",
      text: "hi alice",
      senderSession: "s2",
      replyTo: theirs.id,
    });
    assertEquals(answer.replyTo, theirs.id);
    // Carol's inbox holds nothing of theirs; nor may she answer it in hers.
    const { message: carols } = await first.bus.publish(["user:bob", "user:carol"], {
      kind: "direct",
      from: "carol",
      to: "bob",
      text: "hey",
      senderSession: "s3",
    });
    const refused = await second.bus.publish(["user:alice", "user:carol"], {
      kind: "direct",
      from: "carol",
      to: "alice",
      text: "butting in",
      senderSession: "s3",
      replyTo: theirs.id,
    }).catch((error) => error);
    assert(refused instanceof ReplyNotFoundError, String(refused));
    // Bob's inbox (the first topic, as the core orders them) holds carol's message,
    // but it is not between alice and bob.
    const crossed = await second.bus.publish(["user:bob", "user:alice"], {
      kind: "direct",
      from: "alice",
      to: "bob",
      text: "mixing",
      senderSession: "s1",
      replyTo: carols.id,
    }).catch((error) => error);
    assert(crossed instanceof ReplyNotFoundError, String(crossed));
  });

  test(
    "a reply to a message the history dropped is refused; a retry of a stored reply is not",
    async ({ first, second }) => {
      const say = (text: string, extra: Record<string, string> = {}) =>
        first.bus.publish(["channel:room"], {
          kind: "channel",
          from: "alice",
          to: "room",
          text,
          ...extra,
        });
      const { message: old } = await say("old");
      const { message: reply } = await say("re old", { replyTo: old.id, dedupKey: "k1" });
      for (const text of ["a", "b", "c"]) await say(text);
      const late = await say("re old again", { replyTo: old.id }).catch((error) => error);
      assert(late instanceof ReplyNotFoundError, String(late));
      const retry = await second.bus.publish(["channel:room"], {
        kind: "channel",
        from: "alice",
        to: "room",
        text: "re old",
        replyTo: old.id,
        dedupKey: "k1",
      });
      assertEquals(retry, { message: reply, duplicate: true }, "the retry answers with the first");
    },
    { historyLimit: 3 },
  );

  test("a muted author's reply is refused as muted, whatever it answers", async ({ first }) => {
    await first.channels.create("room", { private: false, owner: "olga" });
    await first.channels.mute("room", "mia", { forever: true });
    const refused = await first.bus.publish(["channel:room"], {
      kind: "channel",
      from: "Mia",
      to: "room",
      text: "re",
      replyTo: "1700000000000-000001",
    }).catch((error) => error);
    assert(refused instanceof MutedError, String(refused));
  });

  test(
    "a direct reply answers what the sender's own inbox keeps, whatever the other's dropped",
    async ({ first, second }) => {
      const { message: hi } = await aliceToBob(first, "hi bob", "s1");
      for (const from of ["carol", "dan", "erin"]) {
        await first.bus.publish(["user:bob", `user:${from}`], {
          kind: "direct",
          from,
          to: "bob",
          text: "crowding bob's inbox",
          senderSession: from,
        });
      }
      const { message: answer } = await second.bus.publish(["user:bob", "user:alice"], {
        kind: "direct",
        from: "alice",
        to: "bob",
        text: "about my hi",
        senderSession: "s1",
        replyTo: hi.id,
      });
      assertEquals(answer.replyTo, hi.id);
    },
    { historyLimit: 3 },
  );
}
