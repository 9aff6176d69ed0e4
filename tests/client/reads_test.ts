/**
 * The SDK's bookkeeping of changed messages and read positions, frame by
 * frame with no server: a message after an edit, a deletion and reactions
 * is what a later `history` shows; unread counts follow the server's
 * `readState` and `read`, grow with live messages from others (mentions
 * apart), never with replays, and drop to nothing with the user's own message.
 *
 * @module
 */
import {
  applyChange,
  type ClientEvents,
  type MessageChange,
  type ServerFrameA,
} from "../../src/client/mod.ts";
import { mentions } from "../../src/client/messages.ts";
import { ReadPositions } from "../../src/client/reads.ts";
import { assertEquals } from "../support/assert.ts";

const SEED = { sessionID: "" } as const;
const id = (n: number) => `${String(1_700_000_000_000 + n).padStart(13, "0")}-000000`;

/** Message `n` of #room. */
function message(
  n: number,
  from: string,
  text: string,
  extras: Partial<ServerFrameA<"broadcast">> = {},
): ServerFrameA<"broadcast"> {
  return {
    ...SEED,
    type: "broadcast",
    to: "room",
    from,
    message: text,
    id: id(n),
    ts: n,
    ...extras,
  };
}

function change(fields: Partial<MessageChange> & Pick<MessageChange, "type">): MessageChange {
  return {
    ...SEED,
    to: "room",
    from: "bob",
    message: "",
    id: id(100),
    ts: 100,
    target: id(1),
    conversation: { channel: "room" },
    ...fields,
  } as MessageChange;
}

Deno.test("applyChange: an edit, reactions (mine and others') and a deletion, as history shows them", () => {
  let shown = message(1, "alice", "helo", { data: { a: 1 } });
  shown = applyChange(
    shown,
    change({ type: "messageEdited", from: "alice", message: "hello", ts: 5 }),
    "alice",
  );
  assertEquals([shown.message, shown.edited], ["hello", 5]);
  const react = (from: string, emoji: string, added: boolean, count: number) =>
    change(
      { type: "reaction", from, emoji, added, count } as Partial<MessageChange> & {
        type: "reaction";
      },
    );
  shown = applyChange(shown, react("bob", "👍", true, 1), "alice");
  shown = applyChange(shown, react("ALICE", "👍", true, 2), "alice");
  shown = applyChange(shown, react("bob", "❤️", true, 1), "alice");
  assertEquals(shown.reactions, [{ emoji: "❤️", count: 1 }, { emoji: "👍", count: 2, mine: true }]);
  shown = applyChange(shown, react("bob", "👍", false, 1), "alice");
  assertEquals(shown.reactions?.[1], { emoji: "👍", count: 1, mine: true }, "still mine");
  shown = applyChange(shown, react("alice", "👍", false, 0), "alice");
  assertEquals(shown.reactions, [{ emoji: "❤️", count: 1 }]);
  const other = applyChange(shown, change({ type: "messageDeleted", target: id(2) }), "alice");
  assertEquals(other, shown, "a change of another message changes nothing");
  shown = applyChange(shown, change({ type: "messageDeleted" }), "alice");
  assertEquals(
    [shown.deleted, shown.message, shown.data, shown.reactions, shown.edited],
    [true, "", undefined, undefined, undefined],
  );
  const late = applyChange(shown, change({ type: "messageEdited", message: "back" }), "alice");
  assertEquals(late.message, "", "a deleted message stays deleted");
});

Deno.test("mentions: @name as a whole name in any case (a trailing dot ends the sentence), or in data.mentions", () => {
  const says = (text: string, data?: Record<string, unknown>) =>
    mentions({ message: text, data }, "Bob");
  assertEquals(
    ["hi @bob", "@BOB, look", "ask @bob.", "mail bob@x", "@bobby", "@bob-smith", "hi"].map((text) =>
      says(text)
    ),
    [true, true, true, false, false, false, false],
  );
  assertEquals(says("hi", { mentions: ["carl", "bob"] }), true);
});

Deno.test("read positions: readState, live messages from others, mentions, what the server counted already, own messages, read on another device, receipts", () => {
  const events: [keyof ClientEvents, unknown][] = [];
  const reads = new ReadPositions((event, payload) => events.push([event, payload]));
  reads.receive({
    ...SEED,
    type: "readState",
    to: "",
    from: "",
    message: "",
    channels: [{ name: "room", read: id(1), unread: 2, mentions: 0 }],
    conversations: [{ with: "Carl", unread: 1, mentions: 0, theirRead: id(3) }],
    countedTo: id(3),
  }, "alice");
  assertEquals(reads.get({ with: "carl" })?.theirRead, id(3), "users match in any case");
  reads.message(message(4, "bob", "hey @alice"), "alice");
  reads.message(message(2, "bob", "counted already", { replay: true }), "alice");
  assertEquals(reads.get({ channel: "room" }), {
    conversation: { channel: "room" },
    read: id(1),
    unread: 3,
    mentions: 1,
  });
  reads.message(message(5, "bob", "crosses the read on its way"), "alice");
  reads.receive({
    ...SEED,
    type: "read",
    to: "room",
    from: "",
    message: "",
    id: id(4),
    unread: 0,
    mentions: 0,
    countedTo: id(4),
  }, "alice");
  assertEquals(
    reads.get({ channel: "room" })?.unread,
    1,
    "read on another device up to 4; 5 came after that count",
  );
  reads.message({ ...message(6, "Carl", "psst"), type: "directMessage", to: "alice" }, "alice");
  assertEquals(reads.get({ with: "carl" })?.unread, 2);
  reads.message({ ...message(7, "alice", "yes"), type: "sessionUpdate", to: "carl" }, "alice");
  assertEquals([reads.get({ with: "carl" })?.unread, reads.get({ with: "carl" })?.read], [
    0,
    id(7),
  ]);
  reads.receive({
    ...SEED,
    type: "readReceipt",
    to: "",
    from: "Carl",
    message: "",
    id: id(7),
    direct: true,
  }, "alice");
  assertEquals(reads.get({ with: "carl" })?.theirRead, id(7));
  assertEquals(
    events.map(([event]) => event),
    [
      "readState",
      "unread",
      "unread",
      "read",
      "unread",
      "unread",
      "unread",
      "readReceipt",
      "unread",
    ],
  );
  reads.forget("room");
  assertEquals(reads.all().map((position) => position.conversation), [{ with: "Carl" }]);
});

/** The server's counts on connect: #room read up to `read`, `unread` after it, counted to `countedTo`. */
function readState(read: number, unread: number, countedTo: number): ServerFrameA<"readState"> {
  return {
    ...SEED,
    type: "readState",
    to: "",
    from: "",
    message: "",
    channels: [{ name: "room", read: id(read), unread, mentions: 0 }],
    conversations: [],
    countedTo: id(countedTo),
  };
}

/** Another device read #room up to `at`: `unread` after it, counted to `countedTo`. */
function readFrame(at: number, unread: number, countedTo: number): ServerFrameA<"read"> {
  return {
    ...SEED,
    type: "read",
    to: "room",
    from: "",
    message: "",
    id: id(at),
    unread,
    mentions: 0,
    countedTo: id(countedTo),
  };
}

Deno.test("read positions: a read frame older than the counts this session has changes nothing", () => {
  const reads = new ReadPositions(() => {});
  // This session connected when the server had counted to 14 (read to 10: 11..14 unread)...
  reads.receive(readState(10, 4, 14), "alice");
  reads.message(message(15, "bob", "live"), "alice");
  // ...and only now comes the read frame of the mark that made the position 10, counted to 12.
  reads.receive(readFrame(10, 2, 12), "alice");
  assertEquals(reads.get({ channel: "room" })?.unread, 5, "11..15 from bob");
  reads.receive(readFrame(9, 0, 16), "alice");
  assertEquals(reads.get({ channel: "room" })?.unread, 5, "a position never goes back");
});

Deno.test("read positions: a channel never read counts 50,000 messages, each once", () => {
  const reads = new ReadPositions(() => {});
  reads.receive(readState(0, 0, 0), "alice");
  // Spread over more than a minute of ids: the oldest ones waiting for a server count are let go.
  for (let n = 1; n <= 50_000; n++) reads.message(message(n * 2, "bob", "busy"), "alice");
  assertEquals(reads.get({ channel: "room" })?.unread, 50_000);
  reads.receive(readFrame(40_000, 30_000, 99_990), "alice");
  assertEquals(reads.get({ channel: "room" })?.unread, 30_005, "the five after the count");
});
