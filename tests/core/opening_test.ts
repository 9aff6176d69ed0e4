/**
 * Opening sessions on fake connections over the in-memory broker: kind A
 * from its handshake (welcome first, lists, the replay after `since`), kind
 * B with its first frame (lobby, announcement, first words), the lobby's
 * farewell, and a broker that fails while a session opens.
 */
import { createJwtAuthenticator } from "../../src/auth.ts";
import { type Broker, BrokerUnavailableError } from "../../src/broker/broker.ts";
import { createMemoryBroker } from "../../src/broker/memory.ts";
import { createClaims } from "../../src/core/claims.ts";
import { createModeration } from "../../src/core/moderation.ts";
import { createHandlers } from "../../src/core/handlers.ts";
import { createOpening, type Opening } from "../../src/core/opening.ts";
import { assertEquals } from "../support/assert.ts";
import { JWT_SECRET } from "../support/jwt.ts";
import {
  CHANGE_SETTINGS,
  channelsOn,
  codecB,
  fakeSession,
  framesOf,
  listFeedOn,
  silent,
} from "../support/sessions.ts";

/** Opening on `broker`, as one instance wires it. */
function openingOn(
  broker: Broker,
  options: { jwt?: boolean; allowAnonymousLobby?: boolean } = {},
): Opening {
  const { channels, memberships, presence } = channelsOn(broker);
  const authenticator = options.jwt ? createJwtAuthenticator({ secret: JWT_SECRET }) : undefined;
  return createOpening({
    broker,
    log: silent,
    lobbyChannel: "lobby",
    listMaxNames: 200,
    allowAnonymousLobby: options.allowAnonymousLobby ?? false,
    requireTokens: authenticator !== undefined,
    claims: createClaims({
      broker,
      log: silent,
      maxSessionsPerUser: 10,
      sharedUsernames: false,
      ...(authenticator ? { authenticator } : {}),
    }),
    channels,
    memberships,
    lists: listFeedOn(broker, presence),
    handlers: createHandlers({
      broker,
      memberships,
      presence,
      moderation: createModeration({ broker, presence }),
      lobbyChannel: "lobby",
      ...CHANGE_SETTINGS,
    }),
    presence,
  });
}

const registering = () => fakeSession({ state: "registering" });
const lobbyNewcomer = () => fakeSession({ codec: codecB, state: "registering" });

Deno.test("opening: kind A gets sessionID first, then the lists and its channels, then the replay after since", async () => {
  const broker = createMemoryBroker();
  const opening = openingOn(broker);
  const firstTab = registering();
  await opening.openKindA(firstTab, { kind: "A", username: "alice" });
  const token = String(framesOf(firstTab)[0].token);
  const dm = (text: string) =>
    broker.bus.publish(["user:alice"], {
      kind: "direct",
      from: "bob",
      to: "alice",
      text,
      senderSession: "b",
    });
  const { message: before } = await dm("seen");
  await dm("missed");
  const alice = registering();
  await opening.openKindA(alice, { kind: "A", username: "alice", token, since: before.id });
  assertEquals(framesOf(alice).map((frame) => [frame.type, frame.message, frame.replay]), [
    ["sessionID", alice.id, undefined],
    ["userList", '["alice"]', undefined],
    ["channelList", "[]", undefined],
    ["memberships", "", undefined],
    ["readState", "", undefined],
    ["directMessage", "missed", true],
  ]);
  assertEquals([alice.state, alice.user?.name], ["open", "alice"]);
  await broker.close();
});

Deno.test("opening: a malformed since is reported after sessionID and replays nothing", async () => {
  const broker = createMemoryBroker();
  const alice = registering();
  await openingOn(broker).openKindA(alice, { kind: "A", username: "alice", since: "yesterday" });
  const frames = framesOf(alice);
  assertEquals(frames.map((frame) => frame.type), [
    "sessionID",
    "error",
    "userList",
    "channelList",
    "memberships",
    "readState",
  ]);
  assertEquals(frames[1].code, "invalid_frame");
  assertEquals(alice.gates?.replaying.size ?? 0, 0);
  await broker.close();
});

Deno.test("opening: kind B joins the lobby, is announced, then says its first words", async () => {
  const broker = createMemoryBroker();
  const opening = openingOn(broker);
  const bob = lobbyNewcomer();
  await opening.openKindB(bob, { type: "say", sender: "Bob", text: "hi", ref: "r" });
  const lobby = await broker.history.page("channel:lobby", { limit: 10 });
  assertEquals(lobby.map((e) => [e.message.from, e.message.text]), [
    ["Server", "Bob has joined the chat"],
    ["Bob", "hi"],
  ]);
  assertEquals(framesOf(bob).map((frame) => [frame.type, frame.ref]), [["ack", "r"]]);
  assertEquals([bob.state, [...bob.channels]], ["open", ["lobby"]]);
  await opening.farewell(bob);
  const [farewell] = await broker.history.page("channel:lobby", { limit: 1 });
  assertEquals(farewell.message.text, "Bob has left the chat");
  await broker.close();
});

Deno.test("opening: a kind-B first frame without text is acked", async () => {
  const broker = createMemoryBroker();
  const bob = lobbyNewcomer();
  await openingOn(broker).openKindB(bob, { type: "say", sender: "Bob", text: "", ref: "r" });
  assertEquals(framesOf(bob).map((frame) => [frame.type, frame.ref]), [["ack", "r"]]);
  await broker.close();
});

Deno.test("opening: a kind-B client gone before its join was announced gets no farewell", async () => {
  const inner = createMemoryBroker();
  const bob = lobbyNewcomer();
  // The client leaves while its lobby join is being registered.
  const leaving: Broker = {
    ...inner,
    channels: {
      ...inner.channels,
      create: async (name) => {
        bob.state = "closed";
        return await inner.channels.create(name);
      },
    },
  };
  const opening = openingOn(leaving);
  await opening.openKindB(bob, { type: "say", sender: "Bob", text: "hi" });
  assertEquals([bob.user?.name, bob.joinAnnounced], ["Bob", false]);
  assertEquals(opening.farewell(bob), undefined);
  assertEquals(await inner.history.page("channel:lobby", { limit: 10 }), []);
  await inner.close();
});

Deno.test("opening: a kind-A client dropped by its own welcome stays closed and joins nothing", async () => {
  const broker = createMemoryBroker();
  const subscribed: string[] = [];
  const watching: Broker = {
    ...broker,
    bus: {
      ...broker.bus,
      subscribe: (topic) => {
        subscribed.push(topic);
        return broker.bus.subscribe(topic);
      },
    },
  };
  const alice = registering();
  alice.connection.buffered = Number.MAX_SAFE_INTEGER;
  // As if the frames before had used up the credit: the backlog is looked at on the next one.
  alice.sendCredit = 0;
  await openingOn(watching).openKindA(alice, { kind: "A", username: "alice" });
  assertEquals(alice.state, "closed");
  assertEquals(alice.connection.closedWith?.code, 4005);
  assertEquals(framesOf(alice).map((frame) => frame.type), ["sessionID"]);
  assertEquals(subscribed, []);
  await broker.close();
});

Deno.test("opening: with AUTH_MODE=jwt lobby clients are refused (4007), or are guests when allowed", async () => {
  const broker = createMemoryBroker();
  const refused = lobbyNewcomer();
  await openingOn(broker, { jwt: true }).openKindB(refused, {
    type: "say",
    sender: "Bob",
    text: "",
  });
  assertEquals(framesOf(refused)[0].code, "auth_required");
  assertEquals(refused.connection.closedWith?.code, 4007);
  const guest = lobbyNewcomer();
  await openingOn(broker, { jwt: true, allowAnonymousLobby: true }).openKindB(guest, {
    type: "say",
    sender: "Bob",
    text: "",
  });
  assertEquals(guest.user?.name, "guest-Bob");
  await broker.close();
});

Deno.test("opening: a broker that fails while a session opens closes it with unavailable (1013)", async () => {
  const inner = createMemoryBroker();
  const down: Broker = {
    ...inner,
    users: { ...inner.users, open: () => Promise.reject(new BrokerUnavailableError("down")) },
  };
  const alice = registering();
  await openingOn(down).openKindA(alice, { kind: "A", username: "alice" });
  assertEquals(framesOf(alice).map((frame) => frame.code), ["unavailable"]);
  assertEquals(alice.connection.closedWith?.code, 1013);
  await inner.close();
});
