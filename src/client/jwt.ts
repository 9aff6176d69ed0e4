/**
 * What the client reads of a JWT (its expiry, to refresh it in time) and how
 * a failed refresh is reported to the application.
 *
 * @module
 */
import { NatterError, type ServerFrameA } from "./types.ts";

export /** The `exp` of a JWT, in ms, read without checking it (the server checks). */
function jwtExpiry(jwt: string): number | undefined {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { exp } = JSON.parse(atob(payload)) as { exp?: unknown };
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
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
