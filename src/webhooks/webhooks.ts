/**
 * Webhooks as the composition root sees them (turned on by `WEBHOOK_URL`):
 * the broker decorator that queues events (`noticing.ts`) and this
 * instance's dispatcher that sends them (`dispatcher.ts`), started and
 * stopped with the instance. `docs/webhooks.md` is the receiver's manual.
 *
 * @module
 */
import type { Broker } from "../broker/broker.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { type Dispatcher, startDispatcher } from "./dispatcher.ts";
import { noticeWebhookEvents } from "./noticing.ts";

/** The settings webhooks need, with the URL and its secret set. */
export type WebhookConfig =
  & Pick<
    Config,
    | "webhookEvents"
    | "webhookPreviewChars"
    | "webhookTimeoutMs"
    | "webhookMaxAttempts"
    | "webhookRetryBaseMs"
    | "reconnectGraceMs"
    | "lobbyChannel"
  >
  & { webhookUrl: string; webhookSecret: string };

/** The webhooks of one instance. */
export interface Webhooks {
  /** The broker to give the core and the API: it queues the events of what they do. */
  broker: Broker;
  /** Starts sending queued events (once the instance runs). */
  start(): void;
  /** Webhook events waiting in the whole deployment, for `/metrics`. */
  queueSize(): Promise<number>;
  /**
   * Stops sending: no more claims, the requests in flight aborted (their
   * events go to another instance at once). Resolves when they settled.
   */
  stopSending(): Promise<void>;
  /** Resolves once the events noticed so far are queued (the last sessions' offlines too). */
  queued(): Promise<void>;
}

/** Webhooks for `broker`, sending to `config.webhookUrl`. */
export function createWebhooks(
  broker: Broker,
  config: WebhookConfig,
  log: Logger,
  metrics: Metrics,
): Webhooks {
  const noticing = noticeWebhookEvents(broker, { ...config, log });
  let dispatcher: Dispatcher | undefined;
  let stopped = false;
  return {
    broker: noticing.broker,
    start() {
      if (stopped || dispatcher) return;
      dispatcher = startDispatcher({
        ...config,
        broker,
        url: config.webhookUrl,
        secret: config.webhookSecret,
        log,
        metrics,
      });
    },
    queueSize: () => broker.events.size(),
    async stopSending() {
      stopped = true;
      await dispatcher?.stop();
    },
    queued: () => noticing.idle(),
  };
}

/** `config` with webhooks on, or undefined when `WEBHOOK_URL` is unset. */
export function webhookConfig(config: Config): WebhookConfig | undefined {
  const { webhookUrl, webhookSecret } = config;
  // loadConfig refuses a URL without a secret.
  if (webhookUrl === undefined || webhookSecret === undefined) return undefined;
  return { ...config, webhookUrl, webhookSecret };
}
