/**
 * The client SDK against real Natter servers: two clients chat in a channel
 * and by direct message, acks resolve with the stored ids, refusals reject
 * with their protocol code, and member lists stay live, each member with
 * their role in the channel.
 *
 * @module
 */
import { connect, NatterError } from "../../src/client/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startServer } from "../support/server.ts";
import { clientPool, collect, until } from "./support.ts";

testEachRuntime(
  "client SDK: two clients chat in a channel and by direct message",
  async (runtime) => {
    await using server = await startServer(runtime);
    await using clients = clientPool();
    const [alice, bob] = await clients.ready(server.ws, "alice", "bob");
    assertEquals(alice.username, "alice");
    const bobGot = collect(bob, "message");
    const bobDms = collect(bob, "directMessage");
    const aliceDms = collect(alice, "directMessage");
    await bob.join("general");
    await alice.join("general");
    const members = await alice.members("general");
    assertEquals(members.map((member) => [member.name, member.online]), [
      ["alice", true],
      ["bob", true],
    ]);
    await bob.status("away", "lunch");
    await until(() => alice.memberList("general")[1].status === "away");
    assertEquals(alice.memberList("general")[1].text, "lunch");
    const ids = [
      await alice.broadcast("general", "hello bob"),
      await alice.broadcast("general", "how are you"),
    ];
    await until(() => bobGot.length === 2);
    assertEquals(bobGot.map((m) => [m.id, m.from, m.message]), [
      [ids[0], "alice", "hello bob"],
      [ids[1], "alice", "how are you"],
    ]);
    const dmId = await bob.directMessage("alice", "fine, thanks");
    await until(() => aliceDms.length === 1);
    assertEquals([aliceDms[0].id, aliceDms[0].from, aliceDms[0].copy], [dmId, "bob", false]);
    assertEquals(bobDms, []);
    const history = await bob.history({ channel: "general" });
    assertEquals(history.map((m) => m.id), ids);
    const refused = await alice.broadcast("#bad", "x").catch((error) => error);
    assert(refused instanceof NatterError);
    assertEquals(refused.code, "invalid_channel");
    const offline = await alice.kick("general", "bob").catch((error) => error);
    assertEquals((offline as NatterError).code, "not_permitted");
  },
);

testEachRuntime(
  "client SDK: a member list shows the owner and moderators, and member events keep their roles",
  async (runtime) => {
    await using server = await startServer(runtime);
    const olga = connect({ url: server.ws, username: "olga" });
    const mo = connect({ url: server.ws, username: "mo" });
    try {
      await Promise.all([olga.ready(), mo.ready()]);
      await olga.join("room");
      await mo.join("room");
      await olga.setRole("room", "mo", "moderator");
      assertEquals(await olga.members("room"), [
        { name: "mo", online: true, status: "online", role: "moderator" },
        { name: "olga", online: true, status: "online", role: "owner" },
      ]);
      const mine = () => olga.memberList("room").find((member) => member.name === "mo");
      await mo.status("away", "lunch");
      await until(() => mine()?.status === "away");
      assertEquals(mine(), {
        name: "mo",
        online: true,
        status: "away",
        text: "lunch",
        role: "moderator",
      });
      // The server keeps a role across a leave: so does the list, when the member is back.
      await mo.leave("room");
      await until(() => mine() === undefined);
      await mo.join("room");
      await until(() => mine() !== undefined);
      assertEquals(mine()?.role, "moderator");
      assertEquals(olga.memberList("room"), await olga.members("room"), "as a fresh read says");
      // Role changes are live in every watcher's list, the one who made them and the others.
      await mo.members("room");
      await olga.setRole("room", "mo", "member");
      await until(() => mine()?.role === undefined);
      const seenByMo = () => mo.memberList("room").find((member) => member.name === "mo");
      await until(() => seenByMo()?.role === undefined);
      await olga.setRole("room", "mo", "moderator");
      await until(() => seenByMo()?.role === "moderator" && mine()?.role === "moderator");
      assertEquals(await olga.presence(["mo"]), [
        { name: "mo", online: true, status: "away", text: "lunch" },
      ]);
    } finally {
      await olga.close();
      await mo.close();
    }
  },
);

testEachRuntime(
  "client SDK: a reply carries its target and data; a reply to nothing rejects with reply_not_found",
  async (runtime) => {
    await using server = await startServer(runtime);
    const alice = connect({ url: server.ws, username: "alice" });
    const bob = connect({ url: server.ws, username: "bob" });
    try {
      await Promise.all([alice.ready(), bob.ready()]);
      await bob.join("room");
      const got = collect(bob, "message");
      const asked = await alice.broadcast("room", "which one?");
      const data = { choice: { id: 7, label: "the blue one" } };
      const answered = await alice.broadcast("room", "this one", { replyTo: asked, data });
      await until(() => got.length === 2);
      assertEquals([got[1].id, got[1].replyTo, got[1].data], [answered, asked, data]);
      const dm = await bob.directMessage("alice", "ok", { replyTo: asked }).catch((error) => error);
      assert(dm instanceof NatterError && dm.code === "reply_not_found", String(dm));
      const [kept] = await bob.history({ channel: "room", limit: 1 });
      assertEquals([kept.replyTo, kept.data], [asked, data]);
    } finally {
      await alice.close();
      await bob.close();
    }
  },
);
