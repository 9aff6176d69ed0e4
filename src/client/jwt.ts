/**
 * What the client reads of a JWT (its expiry, to refresh it in time) and how
 * a failed refresh is reported to the application.
 *
 * @module
 */
import { NatterError, type ServerFrameA } from "./types.ts";

/** The `exp` of a JWT, in ms, read without checking it (the server checks). */
function jwtExpiry(jwt: string): number | undefined {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { exp } = JSON.parse(atob(payload)) as { exp?: unknown };
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing `jwt`: until a minute before it
 * expires, or four fifths of its life if that is shorter; none without `exp`.
 */
export function refreshDelay(jwt: string | undefined): number | undefined {
  const expiresAt = jwt === undefined ? undefined : jwtExpiry(jwt);
  if (expiresAt === undefined) return undefined;
  const left = expiresAt - Date.now();
  return Math.max(0, left - Math.min(60_000, left / 5));
}

/** An `error` event for a refresh that failed. */
export function refreshError(error: unknown): ServerFrameA<"error"> {
  const message = error instanceof Error ? error.message : String(error);
  return {
    type: "error",
    code: error instanceof NatterError && error.code !== "closed" ? error.code : "invalid_token",
    to: "",
    from: "",
    sessionID: "",
    message: `token refresh failed: ${message}`,
  };
}
