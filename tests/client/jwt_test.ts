/**
 * The client SDK refreshes a JWT before it expires through the
 * application's `getToken`, so the session outlives its first token with
 * no reconnect: without the refresh, the server closes it with 4001.
 *
 * @module
 */
import { connect } from "../../src/client/mod.ts";
import { assertEquals } from "../support/assert.ts";
import { JWT_SECRET, token } from "../support/jwt.ts";
import { startServer } from "../support/server.ts";
import { collect, until } from "./support.ts";

Deno.test("client SDK: a JWT is refreshed before it expires; the session goes on", async () => {
  await using server = await startServer("deno", { AUTH_MODE: "jwt", JWT_SECRET });
  const first = await token("alice", { seconds: 3 });
  const expiresAt = JSON.parse(atob(first.split(".")[1])).exp * 1000;
  let refreshes = 0;
  const alice = connect({
    url: server.ws,
    jwt: first,
    getToken: () => {
      refreshes++;
      return token("alice", { seconds: 600 });
    },
  });
  try {
    const states = collect(alice, "state");
    await alice.ready();
    await alice.join("general");
    // Past the first token's expiry, with a margin for the server's timer.
    await until(() => refreshes > 0 && Date.now() > expiresAt + 1500);
    const id = await alice.broadcast("general", "still here");
    assertEquals(typeof id, "string");
    assertEquals(refreshes, 1);
    assertEquals(states.filter((state) => state === "reconnecting"), [], "never reconnected");
    assertEquals(alice.state, "open");
  } finally {
    alice.close();
  }
});
