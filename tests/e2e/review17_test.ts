/**
 * Review of issue 17 (server API and webhooks): the failing cases found in
 * review, over real HTTP against real servers on Deno and on Node.
 */
import { startServer } from "../support/server.ts";
import { testEachRuntime } from "../support/runtimes.ts";
import { assertEquals, assertMatch } from "../support/assert.ts";
import { callApi, refusal, withApi } from "./api_support.ts";

testEachRuntime(
  "review17: a published `data` with a `__proto__` key is stored as sent or refused, never altered",
  async (runtime) => {
    await using server = await startServer(runtime, withApi());
    // Raw JSON: `__proto__` is an own key of what JSON.parse makes, as any receiver parses it.
    const data = '{"__proto__":{"mentions":["carol"]},"k":1}';
    const answer = await callApi(
      server.http,
      "POST",
      "/api/publish",
      `{"channel":"lobby","text":"hi","data":${data}}`,
    );
    if (answer.status !== 200) {
      assertEquals(refusal(answer), [400, "invalid_request"]);
      assertMatch(answer.body.error.message, /__proto__/);
      return;
    }
    const history = await callApi(server.http, "GET", "/api/channels/lobby/messages");
    const stored = history.body.messages.find((m: { id: string }) => m.id === answer.body.id);
    assertEquals(JSON.stringify(stored.data), JSON.stringify(JSON.parse(data)));
  },
);
