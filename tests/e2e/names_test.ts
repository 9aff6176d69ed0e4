/**
 * Names in every script end to end, on both runtimes (embedded broker) and
 * on a Redis cluster of Deno and Node instances: usernames and channel names
 * in many languages round-trip in NFC through the welcome, the lists,
 * broadcasts, direct messages and history; the same user in another case or
 * NFD form is one user; refused names get `invalid_username` or
 * `invalid_channel` with the rule they break; kind B, JWT subjects and
 * NAME_SCRIPT_RESTRICTION follow the same rules.
 */
import {
  connect,
  type Frame,
  joinA,
  joinB,
  joinChannel,
  names,
  type TestClient,
} from "../support/client.ts";
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startCluster } from "../support/cluster.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";

const FAST_LISTS = { LIST_UPDATE_INTERVAL_MS: "100" };

/** Usernames in many scripts (Devanagari with combining marks, right-to-left scripts among them). */
const USERS = [
  "José",
  "Zoë",
  "李雷",
  "Ana María",
  "O'Brien",
  "محمد",
  "שרה",
  "क्षत्रिय",
  "さくら",
  "김민수",
  "Ελένη",
  "Анна",
];

/** Channel names, the first sent in NFD by its creator. */
const CHANNELS = ["Général", "my channel", "équipe-été"];

const nfd = (name: string) => name.normalize("NFD");

/** The URL of a kind-A connection asking for `username`. */
const asking = (ws: string, username: string) => `${ws}?${new URLSearchParams({ username })}`;

/** A `history` answer: its `to` or `with`, and the frames it carries. */
type History = Frame & { with?: string; messages: Frame[] };

/** Sends a `history` request and takes its answer. */
async function history(client: TestClient, request: Record<string, string>): Promise<History> {
  const ref = `history-${JSON.stringify(request)}`;
  client.send({ type: "history", ...request, ref });
  return await client.take({ type: "history", ref }) as History;
}

/** Connects asking for `username` and returns the refusal and the close code. */
async function refusedAtConnect(ws: string, username: string): Promise<[Frame, number]> {
  await using client = await connect(asking(ws, username));
  const error = await client.take({ type: "error" });
  return [error, (await client.closed).code];
}

testEachRuntime(
  "names: users and channels in every script round-trip through welcome, lists, messages and history",
  async (runtime) => {
    await using server = await startServer(runtime, FAST_LISTS);
    // José connects in NFD: the server keeps and shows the NFC form.
    await using jose = await joinA(server.ws, nfd("José"));
    assertEquals(jose.session.username, "José");
    const others = [];
    try {
      for (const name of USERS.slice(1)) {
        const client = await joinA(server.ws, name);
        assertEquals(client.session.username, name);
        others.push(client);
      }
      const [zoe, li, ana] = others;
      const everyone = [...USERS].sort();
      const list = await ana.seen((f) => f.type === "userList" && names(f).length === USERS.length);
      assertEquals(names(list).sort(), everyone);

      // Channels: created in NFD or NFC, joined by others, listed and broadcast to in NFC.
      jose.send({ type: "createChannel", message: nfd(CHANNELS[0]), ref: "c0" });
      await jose.take({ type: "ack", ref: "c0" });
      for (const channel of CHANNELS.slice(1)) await joinChannel(jose, channel);
      for (const channel of CHANNELS) await joinChannel(zoe, nfd(channel));
      const channels = await zoe.seen((f) =>
        f.type === "channelList" && CHANNELS.every((c) => names(f).includes(c))
      );
      assertEquals(names(channels).sort(), [...CHANNELS, "lobby"].sort());
      for (const channel of CHANNELS) {
        jose.send({ type: "broadcast", to: nfd(channel), message: `Bonjour ${channel}` });
        const heard = await zoe.take({ type: "broadcast", message: `Bonjour ${channel}` });
        assertEquals([heard.from, heard.to], ["José", channel]);
      }
      const channelHistory = await history(zoe, { to: nfd("équipe-été") });
      assertEquals(channelHistory.to, "équipe-été");
      assertEquals(channelHistory.messages.map((m) => [m.from, m.to, m.message]), [
        ["José", "équipe-été", "Bonjour équipe-été"],
      ]);

      // Direct messages address a user in any case or form; frames carry the held name.
      zoe.send({ type: "directMessage", to: "JOSÉ", message: "¡Hola!", ref: "d1" });
      await zoe.take({ type: "ack", ref: "d1" });
      const dm = await jose.take({ type: "directMessage" });
      assertEquals([dm.from, dm.to, dm.message], ["Zoë", "José", "¡Hola!"]);
      li.send({ type: "directMessage", to: nfd("ana maría"), message: "你好", ref: "d2" });
      await li.take({ type: "ack", ref: "d2" });
      const toAna = await ana.take({ type: "directMessage" });
      assertEquals([toAna.from, toAna.to, toAna.message], ["李雷", "Ana María", "你好"]);
      jose.send({ type: "typing", to: "zoë" });
      assertEquals((await zoe.take({ type: "typing" })).from, "José");

      const conversation = await history(jose, { with: nfd("ZOË") });
      assertEquals(conversation.with, "ZOË");
      assertEquals(conversation.messages.map((m) => [m.type, m.from, m.to, m.message]), [
        ["directMessage", "Zoë", "José", "¡Hola!"],
      ]);

      // The same user in another case or form is taken.
      const [taken, code] = await refusedAtConnect(server.ws, "JOSE\u0301");
      assertEquals([taken.code, code], ["username_taken", 4002]);
    } finally {
      await Promise.all(others.map((client) => client.close()));
    }
  },
);

testEachRuntime(
  "names: refused names get invalid_username or invalid_channel with the rule they break",
  async (runtime) => {
    await using server = await startServer(runtime);
    const usernames: [string, RegExp][] = [
      ["bob\u202Eevil", /"bob\\u\{202e\}evil" has U\+202E, a control or format character/],
      ["zero\u200Bwidth", /has U\+200B, a control or format character/],
      ["аdmin", /mixes the Cyrillic and Latin scripts/],
      ["Ｓｅｒｖｅｒ", /is reserved/],
      ["SYSTEM", /is reserved/],
      ["ana  maria", /has two spaces in a row/],
      ["ana😀", /has U\+1F600, which is not a letter, mark, digit/],
      ["u".repeat(33), /is longer than 32 characters/],
      ["z\u0300\u0301\u0302\u0303\u0304", /more than 4 combining marks in a row/],
    ];
    for (const [name, rule] of usernames) {
      const [error, code] = await refusedAtConnect(server.ws, name);
      assertEquals([error.code, code], ["invalid_username", 4003], name);
      assertMatch(error.message!, /^Invalid username: /);
      assertMatch(error.message!, rule);
    }
    await using ana = await joinA(server.ws, "Ana María");
    const channels: [string, RegExp][] = [
      ["two  spaces", /^Invalid frame: to: Channel name "two {2}spaces" has two spaces in a row$/],
      ["🎉party", /has U\+1F389/],
      ["Ωmega", /mixes the Greek and Latin scripts/],
      ["c".repeat(65), /is longer than 64 characters/],
    ];
    for (const [channel, rule] of channels) {
      ana.send({ type: "joinChannel", to: channel, ref: "j" });
      const error = await ana.take({ type: "error", ref: "j" });
      assertEquals(error.code, "invalid_channel", channel);
      assertMatch(error.message!, rule);
    }
    ana.send({ type: "directMessage", to: "Jоsé", message: "hi", ref: "d" });
    const mixed = await ana.take({ type: "error", ref: "d" });
    assertEquals(mixed.code, "invalid_username");
    assertMatch(mixed.message!, /^Invalid frame: to: Username "Jоsé" mixes the Latin and Cyrillic/);
    ana.send({ type: "history", with: "a\u2066b", ref: "h" });
    const refused = await ana.take({ type: "error", ref: "h" });
    assertEquals(refused.code, "invalid_username");
    assertMatch(refused.message!, /has U\+2066/);
  },
);

testEachRuntime(
  "names: kind-B names follow the same rules and share the namespace",
  async (runtime) => {
    await using server = await startServer(runtime);
    // Registered in NFD, announced and held in NFC.
    await using zoe = await connect(server.ws, "B");
    zoe.send({ sender: nfd("Zoë"), text: "" });
    const joined = await zoe.take({ sender: "Server" });
    assertEquals(joined.text, "Zoë has joined the chat");
    await using ana = await joinB(server.ws, "Ana María");
    ana.send({ sender: "whoever", text: "¿Qué tal?" });
    assertEquals((await zoe.take({ text: "¿Qué tal?" })).sender, "Ana María");
    await using li = await joinA(server.ws, "李雷");
    li.send({ type: "broadcast", to: "lobby", message: "大家好" });
    assertEquals((await zoe.take({ text: "大家好" })).sender, "李雷");

    await using copycat = await connect(server.ws, "B");
    copycat.send({ sender: "ZOË", text: "" });
    assertEquals((await copycat.take()).code, "username_taken");
    await using trick = await connect(server.ws, "B");
    trick.send({ sender: "zo\u200Dë", text: "" });
    const refusal = await trick.take();
    assertEquals([refusal.sender, refusal.code], ["Server", "invalid_username"]);
    assertMatch(refusal.text!, /has U\+200D, a control or format character/);
    assertEquals((await trick.closed).code, 4003);
    // Letters in disguise cannot pose as the announcer or as another user.
    for (
      const [sender, rule] of [
        ["𝐒𝐞𝐫𝐯𝐞𝐫", /has U\+1D412, a compatibility form of "S"/],
        ["ꜱᴇʀᴠᴇʀ", /has U\+A731, a phonetic letter/],
        ["𝐙𝐨ë", /a compatibility form of "Z"/],
      ] as const
    ) {
      await using poser = await connect(server.ws, "B");
      poser.send({ sender, text: "" });
      const posing = await poser.take();
      assertEquals(posing.code, "invalid_username", sender);
      assertMatch(posing.text!, rule);
    }
    await using obrien = await joinB(server.ws, "O'Brien");
    await using typographic = await connect(server.ws, "B");
    typographic.send({ sender: "o’brien", text: "" });
    assertEquals((await typographic.take()).code, "username_taken", "’ is ', and case folds");
    assertEquals(obrien.socket.readyState, WebSocket.OPEN, "the holder keeps the name");
  },
);

testEachRuntime(
  "names: a JWT sub is a username by the same rules, kept in NFC",
  async (runtime) => {
    await using server = await startServer(runtime, { AUTH_MODE: "jwt", JWT_SECRET });
    const jwt = await token(nfd("José"), { claims: { channels: [nfd("équipe-*")] } });
    await using jose = await connect(`${server.ws}?token=${jwt}`);
    assertEquals((await jose.take({ type: "sessionID" })).username, "José");
    await joinChannel(jose, "équipe-été");
    jose.send({ type: "joinChannel", to: "Général", ref: "g" });
    assertEquals((await jose.take({ type: "error", ref: "g" })).code, "forbidden");
    for (const sub of ["bob\u202Eevil", "аdmin", "SERVER"]) {
      await using refused = await connect(`${server.ws}?token=${await token(sub)}`);
      const error = await refused.take({ type: "error" });
      assertEquals(error.code, "invalid_token", sub);
      assertMatch(error.message!, /sub ".*" is not a username: it /);
      assertEquals((await refused.closed).code, 4004);
    }
  },
);

testEachRuntime(
  "names: NAME_SCRIPT_RESTRICTION sets how far names may mix scripts",
  async (runtime) => {
    {
      await using server = await startServer(runtime, { NAME_SCRIPT_RESTRICTION: "unrestricted" });
      await using admin = await joinA(server.ws, "аdmin");
      assertEquals(admin.session.username, "аdmin");
      await joinChannel(admin, "Ωmega");
    }
    await using server = await startServer(runtime, {
      NAME_SCRIPT_RESTRICTION: "highly-restrictive",
    });
    await using tanaka = await joinA(server.ws, "Tanaka田中さくら");
    const [error] = await refusedAtConnect(server.ws, "Hindi हिंदी");
    assertMatch(error.message!, /NAME_SCRIPT_RESTRICTION=highly-restrictive/);
    tanaka.send({ type: "joinChannel", to: "Shalom שלום", ref: "j" });
    assertEquals((await tanaka.take({ type: "error", ref: "j" })).code, "invalid_channel");
  },
);

Deno.test("names: a Redis cluster of Deno and Node instances agrees on names in every script [deno+node]", async () => {
  await using cluster = await startCluster(3, FAST_LISTS);
  const [one, two, three] = cluster.instances;
  await using jose = await joinA(one.ws, nfd("José"));
  await using zoe = await joinA(two.ws, "Zoë");
  await using li = await joinA(three.ws, "李雷");
  // Taken on another instance, in another case and form.
  const [taken, code] = await refusedAtConnect(three.ws, "JOSE\u0301");
  assertEquals([taken.code, code], ["username_taken", 4002]);
  const list = await li.seen((f) => f.type === "userList" && names(f).length === 3);
  assertEquals(names(list).sort(), ["José", "Zoë", "李雷"].sort());

  for (const client of [jose, zoe, li]) await joinChannel(client, nfd("équipe-été"));
  li.send({ type: "broadcast", to: "équipe-été", message: "大家好", ref: "b" });
  const { id } = await li.take({ type: "ack", ref: "b" });
  for (const client of [jose, zoe]) {
    const heard = await client.take({ type: "broadcast", message: "大家好" });
    assertEquals([heard.from, heard.to, heard.id], ["李雷", "équipe-été", id]);
  }
  const channels = await jose.seen((f) =>
    f.type === "channelList" && names(f).includes("équipe-été")
  );
  assert(names(channels).includes("équipe-été"));

  zoe.send({ type: "directMessage", to: "josé", message: "¡Hola!", ref: "d" });
  await zoe.take({ type: "ack", ref: "d" });
  const dm = await jose.take({ type: "directMessage" });
  assertEquals([dm.from, dm.to, dm.message], ["Zoë", "José", "¡Hola!"]);
  li.send({ type: "directMessage", to: "ZOË", message: "你好", ref: "d2" });
  await li.take({ type: "ack", ref: "d2" });
  assertEquals((await zoe.take({ type: "directMessage" })).from, "李雷");
  for (const [client, other] of [[jose, "Zoë"], [zoe, nfd("JOSÉ")]] as const) {
    const { messages } = await history(client, { with: other });
    assertEquals(messages.map((m) => [m.from, m.to, m.message]), [["Zoë", "José", "¡Hola!"]]);
  }
});
