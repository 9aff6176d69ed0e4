/**
 * How a webhook request proves it comes from this deployment: the headers
 * it bears and their HMAC-SHA256 signature, with WebCrypto (the same on
 * Deno, Node and in a receiver). The signature covers the attempt's
 * timestamp and the body, `"<timestamp>.<body>"`, so a captured request
 * cannot be replayed later with a fresh timestamp. `verifyWebhook` is what a
 * receiver runs (`docs/webhooks.md` shows it standalone); the tests run it
 * on every request they receive.
 *
 * @module
 */

/** The headers of a webhook request. */
export const WEBHOOK_HEADERS = {
  /** The event's id, as in its body: the same in every attempt. */
  id: "natter-webhook-id",
  /** Unix seconds when this attempt was sent. */
  timestamp: "natter-webhook-timestamp",
  /** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
  signature: "natter-webhook-signature",
} as const;

/** How old (seconds) a request's timestamp may be before a receiver refuses it. @default 300 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

/** The HMAC-SHA256 key of `secret`, for signing and verifying. */
export function signingKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** The `natter-webhook-signature` value of `body` sent at `timestamp` (unix seconds). */
export async function sign(key: CryptoKey, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return `v1=${Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Why a request was refused, or `ok`. */
export type Verdict = "ok" | "missing_headers" | "stale_timestamp" | "bad_signature";

/**
 * Whether a request with `headers` and `body` was signed with `key` within
 * `toleranceSeconds` of `nowSeconds` (either way, for clock skew). The
 * comparison is WebCrypto's own `verify`, which takes constant time.
 */
export async function verifyWebhook(
  key: CryptoKey,
  headers: Headers,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): Promise<Verdict> {
  const timestamp = headers.get(WEBHOOK_HEADERS.timestamp) ?? "";
  const signature = headers.get(WEBHOOK_HEADERS.signature) ?? "";
  const hex = /^v1=([0-9a-f]{64})$/.exec(signature)?.[1];
  if (!/^\d{1,12}$/.test(timestamp) || hex === undefined) return "missing_headers";
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return "stale_timestamp";
  const mac = new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
  const valid = await crypto.subtle.verify(
    "HMAC",
    key,
    mac,
    encoder.encode(`${timestamp}.${body}`),
  );
  return valid ? "ok" : "bad_signature";
}
