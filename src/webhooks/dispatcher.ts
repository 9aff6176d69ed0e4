/**
 * The webhook dispatcher: every instance runs one. It claims due events
 * from the broker's shared event queue for a lease (so exactly one instance
 * sends an event at a time), checks an event's condition, POSTs its body,
 * signed, to `WEBHOOK_URL` with the global `fetch`, and tells the queue the
 * outcome: a 2xx answer is done; anything else, a network error or the
 * timeout is retried with exponential backoff until `WEBHOOK_MAX_ATTEMPTS`,
 * then dropped (logged and counted). It runs beside chat and never in its
 * way: nothing a client does waits for it.
 *
 * @module
 */
import type { Broker, ClaimedEvent } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { WebhookEvent } from "./events.ts";
import { sign, signingKey, WEBHOOK_HEADERS } from "./signature.ts";

/** What the dispatcher needs. */
export interface DispatcherOptions extends
  Pick<
    Config,
    "webhookTimeoutMs" | "webhookMaxAttempts" | "webhookRetryBaseMs"
  > {
  broker: Pick<Broker, "events" | "users" | "isReady">;
  url: string;
  secret: string;
  log: Logger;
  metrics: Metrics;
  /** How often to look for due events while none are. @default 250 */
  pollMs?: number;
  /** Most requests in flight at once. @default 8 */
  concurrency?: number;
}

/** A running dispatcher. */
export interface Dispatcher {
  /**
   * Stops claiming, aborts the requests in flight (their events are due
   * again at once, for another instance) and resolves when they settled.
   */
  stop(): Promise<void>;
}

/** Longest wait before a retry: one hour. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/** How long after the timeout a claim still lasts: time to check, sign and report. */
const LEASE_MARGIN_MS = 2_000;

/**
 * Wait before the retry of an event that failed `attempts` times before
 * this failure: `base · 2^attempts`, at most an hour, plus up to 10 % so
 * that events failing together do not come back together.
 */
export function retryDelayMs(baseMs: number, attempts: number, random = Math.random): number {
  const delay = Math.min(baseMs * 2 ** attempts, MAX_RETRY_DELAY_MS);
  return Math.round(delay * (1 + random() / 10));
}

/** When an offline user's grace has not ended yet (clocks differ): look again in this long. */
const GRACE_RECHECK_MS = 1_000;

/**
 * What the dispatcher reads of an event's body: its own id (the queue may
 * know it by another, like `offline:<user>`) and its type, for the headers
 * and the log.
 */
type EventHead = Pick<WebhookEvent, "id" | "type">;

/** What sending an event came to. */
type Outcome = { ok: true } | { ok: false; status?: number; error?: unknown };

/** Starts claiming and sending due events. */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { broker, url, log, metrics, webhookTimeoutMs, webhookMaxAttempts } = options;
  const { events } = broker;
  const pollMs = options.pollMs ?? 250;
  const concurrency = options.concurrency ?? 8;
  const leaseMs = webhookTimeoutMs + LEASE_MARGIN_MS;
  const key = signingKey(options.secret);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  /** The last claim filled every free place: more are likely due. */
  let backlog = false;

  function schedule(ms: number): void {
    if (stopping.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  async function poll(): Promise<void> {
    timer = undefined;
    if (polling || stopping.signal.aborted) return;
    polling = true;
    try {
      const free = concurrency - inFlight.size;
      // While the broker is unreachable, a claim could only fail: wait for it, quietly.
      if (!broker.isReady()) backlog = false;
      else if (free > 0) {
        const claimed = await events.claim(free, leaseMs);
        backlog = claimed.length === free;
        for (const event of claimed) track(handle(event));
      }
    } catch (error) {
      backlog = false;
      log.warn("webhook.queue_failed", { event: "claim", error });
    } finally {
      polling = false;
    }
    schedule(backlog && inFlight.size < concurrency ? 0 : pollMs);
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    work.finally(() => {
      inFlight.delete(work);
      // A full batch came: claim the next as soon as a place is free.
      if (backlog && !polling) schedule(0);
    });
  }

  /** Checks, sends and reports one claimed event; a queue failure leaves it to its lease. */
  async function handle(event: ClaimedEvent): Promise<void> {
    try {
      if (event.check !== undefined && !(await stillDue(event, event.check))) return;
      await deliver(event, JSON.parse(event.body));
    } catch (error) {
      log.warn("webhook.queue_failed", { event: event.id, error });
    }
  }

  /**
   * Whether `event`'s condition holds, so it goes now. An offline whose
   * user is back is dismissed unsent (unless a new holder of the name
   * expedited it meanwhile: then it goes after all); one whose grace has not ended by the
   * broker's clock comes back shortly, no attempt counted.
   */
  async function stillDue(event: ClaimedEvent, check: string): Promise<boolean> {
    const offline = /^offline:(.+)$/s.exec(check)?.[1];
    if (offline === undefined) return true;
    const held = await broker.users.lookup(offline);
    if (!held) return true;
    if (held.online) await events.dismiss(event.id, event.claim);
    else await events.retry(event.id, event.claim, GRACE_RECHECK_MS, false);
    return false;
  }

  async function deliver(event: ClaimedEvent, { id, type }: EventHead): Promise<void> {
    const started = performance.now();
    const outcome = await send(event, id);
    if (stopping.signal.aborted && !outcome.ok) {
      // Cut short by this instance's shutdown, not the receiver's fault: another instance sends it.
      return await events.retry(event.id, event.claim, 0, false);
    }
    metrics.webhookRequestLatency.observe(performance.now() - started);
    if (outcome.ok) {
      metrics.webhookDeliveries.delivered++;
      return await events.done(event.id, event.claim);
    }
    const attempt = event.attempts + 1;
    const why = { id, type, attempt, ...reasonOf(outcome) };
    if (attempt >= webhookMaxAttempts) {
      metrics.webhookDeliveries.dropped++;
      log.error("webhook.dropped", {
        ...why,
        message: `Dropped after ${attempt} attempts: the receiver at WEBHOOK_URL never ` +
          "answered 2xx in time; check that it is up and answers within WEBHOOK_TIMEOUT_MS",
      });
      return await events.done(event.id, event.claim);
    }
    metrics.webhookDeliveries.failed++;
    const retryInMs = retryDelayMs(options.webhookRetryBaseMs, event.attempts);
    log.warn("webhook.failed", { ...why, retryInMs });
    await events.retry(event.id, event.claim, retryInMs, true);
  }

  /** One attempt: the signed POST, its answer read and let go. */
  async function send(event: ClaimedEvent, id: string): Promise<Outcome> {
    const timestamp = Math.floor(Date.now() / 1000);
    const { signal, release } = requestSignal(stopping.signal, webhookTimeoutMs);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [WEBHOOK_HEADERS.id]: id,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: await sign(await key, timestamp, event.body),
        },
        body: event.body,
        // A signed request goes where it was configured to go, nowhere else.
        redirect: "manual",
        signal,
      });
      await drain(response.body);
      return response.status >= 200 && response.status < 300
        ? { ok: true }
        : { ok: false, status: response.status };
    } catch (error) {
      return { ok: false, error };
    } finally {
      release();
    }
  }

  schedule(0);
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * Reads an answer's body to its end, discarding it, so that the connection
 * can carry the next request. The status decided the outcome already: a
 * body cut short (by the timeout) changes nothing.
 */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  try {
    for await (const _chunk of body ?? []) {
      // Discarded: receivers' answers mean nothing beyond their status.
    }
  } catch {
    // Cut short: see above.
  }
}

/**
 * A request's signal: aborted by `stopping`, or after `timeoutMs` with a
 * `TimeoutError`. (`AbortSignal.any` would do, but Node has it only from
 * 20.3, and the Node build supports every Node 20.)
 */
function requestSignal(
  stopping: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const timeout = AbortSignal.timeout(timeoutMs);
  const abort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const source of [timeout, stopping]) source.addEventListener("abort", abort);
  if (stopping.aborted) controller.abort(stopping.reason);
  return {
    signal: controller.signal,
    release() {
      for (const source of [timeout, stopping]) source.removeEventListener("abort", abort);
    },
  };
}

/** A failed attempt's status or error, for its log line. */
function reasonOf(outcome: Outcome & { ok: false }): { status?: number; error?: unknown } {
  if (outcome.status !== undefined) return { status: outcome.status };
  const error = outcome.error;
  // A timeout aborts with a DOMException named TimeoutError: say which limit it was.
  if (error instanceof Error && error.name === "TimeoutError") {
    return { error: "TimeoutError: no answer within WEBHOOK_TIMEOUT_MS" };
  }
  return { error };
}
