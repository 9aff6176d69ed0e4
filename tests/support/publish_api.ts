/**
 * Posting a message as the application's backend does: `POST /api/publish`
 * with the server's `API_KEY`, to a channel or as a direct message to a
 * user, from a system sender (`from`, "system" when absent).
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

/** The `API_KEY` the tests start servers with, to turn the server API on. */
export const TEST_API_KEY = "test-api-key-0123456789";

/** What the backend posts: to a `channel`, or to a `user` as a direct message. */
export type PublishBody =
  & ({ channel: string } | { user: string })
  & { text: string; from?: string; system?: boolean };

/** Posts `body` to the server at `http` (`http://127.0.0.1:PORT`); resolves with the message's id. */
export async function publishViaApi(http: string, body: PublishBody): Promise<string> {
  const response = await fetch(`${http}/api/publish`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.text();
  assertEquals(response.status, 200, `POST /api/publish answered: ${answer}`);
  const { id } = JSON.parse(answer) as { id: string };
  assertEquals(typeof id, "string", `POST /api/publish answered: ${answer}`);
  return id;
}
