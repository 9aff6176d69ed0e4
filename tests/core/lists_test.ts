/**
 * The list feed on fake sessions over the in-memory broker: a newcomer's
 * first lists, and periodic updates that send each list once per change,
 * serialized once per client kind.
 */
import { createMemoryBroker } from "../../src/broker/memory.ts";
import type { Session } from "../../src/core/session.ts";
import { assertEquals } from "../support/assert.ts";
import {
  claimName,
  codecB,
  eventually,
  fakeSession,
  framesOf,
  listFeedOn,
  presenceOn,
} from "../support/sessions.ts";

Deno.test("lists: a newcomer gets both lists, sorted; lobby-only clients get none", async () => {
  const broker = createMemoryBroker();
  await claimName(broker, "bob");
  await claimName(broker, "Alice");
  await broker.channels.create("dev");
  const lists = listFeedOn(broker, presenceOn(broker), 1000);
  const session = fakeSession();
  const lobbyOnly = fakeSession({ codec: codecB });
  await lists.sendCurrent(session);
  await lists.sendCurrent(lobbyOnly);
  assertEquals(framesOf(session).map((frame) => [frame.type, frame.message]), [
    ["userList", '["Alice","bob"]'],
    ["channelList", '["dev"]'],
  ]);
  assertEquals(lobbyOnly.connection.sent, []);
  await broker.close();
});

Deno.test("lists: updates go out once per change, the same string to every session", async () => {
  const broker = createMemoryBroker();
  await claimName(broker, "alice");
  const lists = listFeedOn(broker, presenceOn(broker), 20);
  const sessions: Session[] = [fakeSession(), fakeSession()];
  const [first, second] = sessions as ReturnType<typeof fakeSession>[];
  for (const session of sessions) await lists.sendCurrent(session);
  lists.start({ values: () => sessions.values() });
  try {
    await broker.channels.create("dev");
    await eventually(() => first.connection.sent.length === 3, "the channelList update");
    await eventually(() => second.connection.sent.length === 3, "the channelList update");
    assertEquals(first.connection.sent[2], second.connection.sent[2]);
    assertEquals(framesOf(first)[2].message, '["dev"]');
    await claimName(broker, "carol");
    await eventually(() => first.connection.sent.length === 4, "the userList update");
    // Ticks in between resent nothing: the next change's frame comes right after.
    await broker.channels.create("ops");
    await eventually(() => first.connection.sent.length === 5, "the second channelList update");
    assertEquals(framesOf(first).map((frame) => frame.type), [
      "userList",
      "channelList",
      "channelList",
      "userList",
      "channelList",
    ]);
  } finally {
    lists.stop();
    await broker.close();
  }
});
