/**
 * The SDK under the server API's disconnects: a plain disconnect (4008) is
 * a reason to reconnect, a server ban (4009) ends the client for good, and
 * a client of the banned name cannot sign in.
 *
 * @module
 */
import { assertEquals, assertRejects } from "../support/assert.ts";
import { API_KEY, callApi } from "../support/api.ts";
import { startServer } from "../support/server.ts";
import { clientPool, until } from "./support.ts";

Deno.test("client SDK: a server disconnect reconnects; a server ban closes the client for good", async () => {
  await using server = await startServer("deno", { API_KEY });
  await using clients = clientPool();
  const [alice] = await clients.ready(server.ws, "alice");
  const states: string[] = [];
  alice.on("state", (state) => states.push(state));

  const kicked = await callApi(server.http, "POST", "/api/users/alice/disconnect", {
    reason: "permissions changed",
  });
  assertEquals(kicked.status, 200, JSON.stringify(kicked.body));
  await until(() => states.includes("reconnecting") && alice.state === "open");

  const banned = await callApi(server.http, "POST", "/api/users/alice/disconnect", {
    reason: "spam",
    ban: {},
  });
  assertEquals(banned.status, 200, JSON.stringify(banned.body));
  await until(() => alice.state === "closed");
  await assertRejects(() => clients.connect({ url: server.ws, username: "alice" }).ready());
});
