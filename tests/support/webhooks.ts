/**
 * A webhook receiver for tests: a real HTTP server (`Deno.serve` on a free
 * port) that verifies every request's signature and timestamp as a real
 * receiver must (`verifyWebhook`), records it, and answers as the test
 * says: a status, or never (the request hangs until the receiver is
 * disposed). Tests wait for what it received with generous deadlines.
 *
 * @module
 */
import type { WebhookEventType } from "../../src/webhooks/events.ts";
import { assertEquals } from "./assert.ts";
import { ask, type TestClient } from "./client.ts";
import { signingKey, verifyWebhook, WEBHOOK_HEADERS } from "../../src/webhooks/signature.ts";

/** The secret every test server and receiver share. */
export const WEBHOOK_SECRET = "test-webhook-secret-0123456789";

/** An event as a receiver reads it: its `data` loosely typed, for tests to compare. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  ts: number;
  data: Record<string, unknown>;
}

/** One request the receiver got. */
export interface Delivery {
  event: WebhookEvent;
  /** The `natter-webhook-id` header. */
  headerId: string;
  /** The `natter-webhook-timestamp` header, in unix seconds. */
  timestamp: number;
  /** What the receiver answered: a status, or `hang` for none. */
  answer: number | "hang";
}

/** How the receiver answers a request: with a status, or never. */
export type Answer = (event: WebhookEvent, attempt: number) => number | "hang";

/** A running receiver. */
export interface TestReceiver extends AsyncDisposable {
  /** Its URL, for `WEBHOOK_URL`. */
  url: string;
  /** Every request so far, in order of arrival. */
  readonly requests: Delivery[];
  /** Requests whose signature or timestamp did not verify (a test expects none). */
  readonly refused: string[];
  /** How it answers from now on; 200 at once unless set. */
  answer: Answer;
  /** Events of `type` answered 2xx, in order of arrival. */
  delivered(type?: WebhookEventType): WebhookEvent[];
  /** Waits (up to `timeoutMs`) until `check` holds of the requests. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Waits until an event of `type` matching `match` was answered 2xx, and returns it. */
  event(
    type: WebhookEventType,
    match?: (data: WebhookEvent["data"]) => boolean,
  ): Promise<WebhookEvent>;
}

/** Starts a receiver that verifies signatures made with `secret`. */
export async function startReceiver(secret = WEBHOOK_SECRET): Promise<TestReceiver> {
  const key = await signingKey(secret);
  const requests: Delivery[] = [];
  const refused: string[] = [];
  const waiters = new Set<() => void>();
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  const controller = new AbortController();
  const receiver: TestReceiver = {
    url: "",
    requests,
    refused,
    answer: () => 200,
    delivered: (type) =>
      requests.filter((r) => typeof r.answer === "number" && r.answer < 300)
        .map((r) => r.event).filter((event) => type === undefined || event.type === type),
    until(check, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`Timed out waiting for ${what}; received: ${describe(requests)}`));
        }, timeoutMs);
        function look() {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(look);
          resolve();
        }
        waiters.add(look);
        look();
      });
    },
    async event(type, match = () => true) {
      const find = () => receiver.delivered(type).find((event) => match(event.data));
      await receiver.until(() => find() !== undefined, `a ${type} event`);
      return find()!;
    },
    async [Symbol.asyncDispose]() {
      release();
      controller.abort();
      await server.finished;
    },
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen() {},
  }, async (request) => {
    const body = await request.text();
    const verdict = await verifyWebhook(key, request.headers, body);
    if (verdict !== "ok") {
      refused.push(`${verdict}: ${body}`);
      return new Response("refused\n", { status: 401 });
    }
    const event = JSON.parse(body) as WebhookEvent;
    const attempt = requests.filter((r) => r.event.id === event.id).length + 1;
    const answer = receiver.answer(event, attempt);
    requests.push({
      event,
      headerId: request.headers.get(WEBHOOK_HEADERS.id) ?? "",
      timestamp: Number(request.headers.get(WEBHOOK_HEADERS.timestamp)),
      answer,
    });
    for (const wake of [...waiters]) wake();
    if (answer === "hang") await released;
    return new Response(answer === "hang" ? "late\n" : "ok\n", {
      status: answer === "hang" ? 200 : answer,
    });
  });
  receiver.url = `http://127.0.0.1:${server.addr.port}/hooks`;
  return receiver;
}

/** Every request verified, and named by the id its body carries. */
export function assertAllVerified(receiver: TestReceiver): void {
  assertEquals(receiver.refused, []);
  for (const { event, headerId } of receiver.requests) assertEquals(headerId, event.id);
}

/** The environment of a Natter process sending its webhooks to `receiver`. */
export function webhookEnv(
  receiver: TestReceiver,
  env: Record<string, string> = {},
): Record<string, string> {
  return { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET, ...env };
}

/** Waits until the `/metrics` of the instance at `http` has a line `line` (polled: metrics have no event). */
export async function untilMetric(http: string, line: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await (await fetch(`${http}/metrics`)).text();
    if (text.split("\n").includes(line)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `/metrics of ${http} never had ${line}:\n${
      text.split("\n").filter((l) => l.startsWith("natter_webhook")).join("\n")
    }`,
  );
}

/**
 * Waits until `client` sees the user `name` offline: a client's socket
 * closes before its instance has ended the user's session in the broker.
 */
export async function untilOffline(client: TestClient, name: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (let asked = 0;; asked++) {
    const answer = await ask(
      client,
      { type: "presence", users: [name] },
      `offline-${name}-${asked}`,
    );
    const [user] = (answer as { users?: { online: boolean }[] }).users ?? [];
    if (user?.online === false) return;
    if (Date.now() > deadline) throw new Error(`${name} was still online after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describe(requests: Delivery[]): string {
  return JSON.stringify(requests.map(({ event, answer }) => [event.type, event.data, answer]))
    .slice(0, 3000);
}
