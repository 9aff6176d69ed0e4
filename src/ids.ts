/**
 * Identifiers and secrets: ULIDs for sessions and messages (npm:ulid, the
 * same spec as jsr:@std/ulid, which this one import could switch back to),
 * random session tokens, and the hash under which a token is stored.
 *
 * @module
 */
import { monotonicFactory, ulid } from "ulid";

/** A new globally unique session id. */
export function newSessionId(): string {
  return ulid();
}

/** A source of ULIDs that strictly increase in string order, even within one millisecond. */
export function createMonotonicIds(): () => string {
  return monotonicFactory();
}

/** A session token: 256 random bits, base64url. */
export function newToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The SHA-256 of `token`, hex: brokers store this, never the token itself. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const GUEST_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

/** A generated name for a client that asked for none, e.g. `guest-k7q2mx`. */
export function guestName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return "guest-" + Array.from(bytes, (byte) => GUEST_ALPHABET[byte % GUEST_ALPHABET.length])
    .join("");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}
