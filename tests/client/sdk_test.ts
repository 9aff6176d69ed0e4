/**
 * The client SDK against real Natter servers: two clients chat in a channel
 * and by direct message, acks resolve with the stored ids, refusals reject
 * with their protocol code, and member lists stay live.
 *
 * @module
 */
import { connect, type NatterClient, NatterError } from "../../src/client/mod.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { startServer } from "../support/server.ts";
import { collect, until } from "./support.ts";

testEachRuntime(
  "client SDK: two clients chat in a channel and by direct message",
  async (runtime) => {
    await using server = await startServer(runtime);
    const clients: NatterClient[] = [];
    try {
      const alice = connect({ url: server.ws, username: "alice" });
      const bob = connect({ url: server.ws, username: "bob" });
      clients.push(alice, bob);
      await Promise.all([alice.ready(), bob.ready()]);
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
    } finally {
      for (const client of clients) await client.close();
    }
  },
);
