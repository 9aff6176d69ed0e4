/**
 * The webhook signature as a receiver checks it: a request verifies with
 * the deployment's secret, fresh, and unchanged; a tampered body, another
 * secret, a stale timestamp or a missing header do not; and the snippet
 * docs/webhooks.md gives receivers agrees.
 */
import { sign, signingKey, verifyWebhook, WEBHOOK_HEADERS } from "../../src/webhooks/signature.ts";
import { assertEquals } from "../support/assert.ts";

const SECRET = "0123456789abcdef-secret";
const BODY = '{"id":"01J","type":"user.online","ts":1,"data":{"user":"alice","kind":"A"}}';

async function signed(body: string, timestamp: number, secret = SECRET): Promise<Headers> {
  return new Headers({
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: await sign(await signingKey(secret), timestamp, body),
  });
}

Deno.test("webhook signature: v1=hex HMAC-SHA256 of timestamp.body", async () => {
  const headers = await signed(BODY, 1_700_000_000);
  const mac = await crypto.subtle.sign(
    "HMAC",
    await signingKey(SECRET),
    new TextEncoder().encode(`1700000000.${BODY}`),
  );
  const hex = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  assertEquals(headers.get(WEBHOOK_HEADERS.signature), `v1=${hex}`);
});

Deno.test("webhook signature: only an unchanged, fresh request signed with the secret verifies", async () => {
  const key = await signingKey(SECRET);
  const now = 1_700_000_000;
  const headers = await signed(BODY, now);
  assertEquals(await verifyWebhook(key, headers, BODY, now), "ok");
  assertEquals(await verifyWebhook(key, headers, BODY, now + 299), "ok");
  assertEquals(
    await verifyWebhook(key, headers, BODY.replace("alice", "mallory"), now),
    "bad_signature",
  );
  assertEquals(
    await verifyWebhook(key, await signed(BODY, now, "another-secret-0000"), BODY, now),
    "bad_signature",
  );
  assertEquals(await verifyWebhook(key, headers, BODY, now + 301), "stale_timestamp");
  assertEquals(
    await verifyWebhook(key, await signed(BODY, now + 400), BODY, now),
    "stale_timestamp",
  );
  headers.delete(WEBHOOK_HEADERS.signature);
  assertEquals(await verifyWebhook(key, headers, BODY, now), "missing_headers");
});

Deno.test("docs/webhooks.md: the verification snippet accepts a signed request, and refuses a tampered or stale one", async () => {
  const docs = await Deno.readTextFile(new URL("../../docs/webhooks.md", import.meta.url));
  const snippet = docs.split("\n```ts\n")[1].split("\n// Deno;")[0];
  const module = `const WEBHOOK_SECRET = ${
    JSON.stringify(SECRET)
  };\n${snippet}\nexport { verify };`;
  const { verify } = await import(
    `data:application/typescript;base64,${btoa(module)}`
  ) as { verify(headers: Headers, body: string): Promise<boolean> };
  const now = Math.floor(Date.now() / 1000);
  assertEquals(await verify(await signed(BODY, now), BODY), true);
  assertEquals(await verify(await signed(BODY, now), BODY.replace("alice", "mallory")), false);
  assertEquals(await verify(await signed(BODY, now - 301), BODY), false);
  assertEquals(await verify(await signed(BODY, now, "another-secret-0000"), BODY), false);
});
