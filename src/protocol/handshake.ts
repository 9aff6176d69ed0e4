/**
 * The WebSocket handshake: which client kind a `/ws` request is, and what it
 * brought in its query (`username`, `token`, `since`, `presence`) or its
 * `Authorization: Bearer` header.
 *
 * @module
 */

/** How a `/ws` request identified itself. */
export type Handshake =
  | {
    kind: "A";
    username?: string;
    token?: string;
    since?: string;
    /** `presence=changes`: no userList or channelList frames; presence comes as changes. */
    changesOnly?: true;
  }
  | { kind: "B" };

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerToken(authorization: string | null): string | undefined {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * A request with `username` or `token` in its query is kind A (an empty
 * `username=` asks for a guest name); one with neither is kind B, which
 * registers with its first frame.
 */
export function parseHandshake(query: URLSearchParams, bearer?: string): Handshake {
  const username = query.get("username");
  const token = bearer ?? query.get("token");
  if (username === null && token === null) return { kind: "B" };
  const since = query.get("since");
  return {
    kind: "A",
    ...(username ? { username } : {}),
    ...(token ? { token } : {}),
    ...(since ? { since } : {}),
    ...(query.get("presence") === "changes" ? { changesOnly: true as const } : {}),
  };
}
