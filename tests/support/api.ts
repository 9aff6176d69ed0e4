/**
 * Calling the server API from the end-to-end tests: real HTTP, with the
 * test key unless a test says otherwise, the answer's status and JSON read
 * in full.
 *
 * @module
 */

/** The key the tests' servers run with (`API_KEY`). */
export const API_KEY = "test-api-key-0123456789";

/** Settings that turn the API on, with `extra`. */
export function withApi(extra: Record<string, string> = {}): Record<string, string> {
  return { API_KEY, ...extra };
}

/** An API answer: its status, JSON body and headers. */
export interface ApiAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any -- tests read the keys they check
  body: any;
  headers: Headers;
}

/** Sends `method path` to the server at `http` with the key (or `headers` instead), `body` as JSON. */
export async function callApi(
  http: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` },
): Promise<ApiAnswer> {
  const response = await fetch(`${http}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === "" ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** The `[status, error code]` of an answer, for refusals. */
export function refusal(answer: ApiAnswer): [number, string | undefined] {
  return [answer.status, answer.body?.error?.code];
}

/** What the backend posts: to a `channel`, or to a `user` as a direct message. */
export type PublishBody =
  & ({ channel: string } | { user: string })
  & { text: string; from?: string; system?: boolean };

/** Posts `body` through `POST /api/publish` to the server at `http`; resolves with the message's id. */
export async function publishViaApi(http: string, body: PublishBody): Promise<string> {
  const answer = await callApi(http, "POST", "/api/publish", body);
  if (answer.status !== 200 || typeof answer.body?.id !== "string") {
    throw new Error(`POST /api/publish answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body.id;
}
