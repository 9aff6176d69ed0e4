/**
 * Identifiers and secrets: ULIDs for sessions and webhook events (npm:ulid, the same spec as
 * jsr:@std/ulid, which this one import could switch back to), sortable
 * message ids, random session tokens, the hash under which a token is
 * stored, and the constant-time comparison of a presented secret.
 *
 * @module
 */
import { ulid } from "ulid";

/** A new globally unique session id. */
export function newSessionId(): string {
  return ulid();
}

/** A new globally unique webhook event id. */
export function newEventId(): string {
  return ulid();
}

/** A stamped message id and the millisecond it carries. */
export interface MessageStamp {
  id: string;
  ts: number;
}

/** Largest sequence number within one millisecond; the next one moves to the next millisecond. */
export const MAX_SEQUENCE = 999_999;

/**
 * Message ids: `<13-digit ms>-<6-digit sequence>`, e.g. `1795271816712-000003`.
 * Plain string order is numeric order, and the ms part is the message's `ts`.
 * The Redis broker's publish script builds the same ids from Redis's clock.
 */
export function formatMessageId(ms: number, sequence: number): string {
  return `${String(ms).padStart(13, "0")}-${String(sequence).padStart(6, "0")}`;
}

/** A source of strictly increasing message stamps from `now`, even if the clock steps back. */
export function createMessageClock(now: () => number = Date.now): () => MessageStamp {
  let lastMs = 0;
  let sequence = 0;
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      sequence = 0;
    } else if (++sequence > MAX_SEQUENCE) {
      lastMs++;
      sequence = 0;
    }
    return { id: formatMessageId(lastMs, sequence), ts: lastMs };
  };
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

/** A short, non-cryptographic digest of `text` (FNV-1a, 32 bits, hex): tells messages apart in a dedup key. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * Whether `given` equals `secret`, in a time that depends on the secret's
 * length only, so that timing a wrong guess tells nothing of how much of it
 * was right.
 */
export function sameSecret(given: string | undefined, secret: string): boolean {
  const expected = new TextEncoder().encode(secret);
  const offered = new TextEncoder().encode(given ?? "");
  let difference = expected.length ^ offered.length;
  for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (offered[i] ?? 0);
  return given !== undefined && difference === 0;
}
