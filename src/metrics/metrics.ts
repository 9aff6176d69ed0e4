/**
 * What an instance counts for `/metrics`: one object whose fields are plain
 * numbers, records with a key per frame type or code (all present from the
 * start, so an object never changes shape) and histograms. The core and the
 * brokers add to the fields in place, which costs an increment; reading,
 * formatting and sampling the gauges happens only when `/metrics` is
 * scraped (`exposition.ts`).
 *
 * @module
 */
import type { Command, Outbound } from "../protocol/commands.ts";
import type { ErrorCode } from "../protocol/codes.ts";
import { Histogram } from "./histogram.ts";

/** What a client frame is counted as: its command, or why it became none. */
export type FrameInType = Command["type"] | "refused" | "binary";

/** What closed a session: the close code the server sent, or `remote` (the client or the network). */
export type CloseCause = number | "remote";

/** The Redis connections of an instance, by the role the broker's log names them with. */
export type RedisConnection = "commands" | "subscriber";

/** How the history store was read: a page (history, newest id) or everything since an id (resumes). */
export type HistoryRead = "page" | "since";

/** How a webhook attempt ended: `delivered` (2xx), `failed` (retried later), `dropped` (the last attempt failed). */
export type WebhookOutcome = "delivered" | "failed" | "dropped";

/** Upper bounds (ms) of the webhook request buckets: a receiver nearby, far, or up to the timeout. */
const WEBHOOK_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** Upper bounds (ms) of the publish latency buckets: a local broker in microseconds, Redis in ms. */
const PUBLISH_BOUNDS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 3000];

/** Upper bounds (ms) of the delivery lag buckets: the publish, the hop through Redis, a backfill. */
const LAG_BOUNDS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000];

/** The counters of one instance; see the README's metrics table for what each means. */
export class Metrics {
  /** Client frames received, by command type. */
  readonly framesIn: Record<FrameInType, number> = {
    createChannel: 0,
    invite: 0,
    setRole: 0,
    kick: 0,
    deleteChannel: 0,
    ban: 0,
    mute: 0,
    joinChannel: 0,
    leaveChannel: 0,
    broadcast: 0,
    directMessage: 0,
    typing: 0,
    editMessage: 0,
    deleteMessage: 0,
    react: 0,
    markRead: 0,
    ping: 0,
    refresh: 0,
    history: 0,
    members: 0,
    channels: 0,
    status: 0,
    presence: 0,
    say: 0,
    refused: 0,
    binary: 0,
  };
  /** Frames sent to clients, by outbound type (one per receiver). */
  readonly framesOut: Record<Outbound["type"], number> = {
    welcome: 0,
    userList: 0,
    channelList: 0,
    channelMessage: 0,
    directMessage: 0,
    history: 0,
    typing: 0,
    pong: 0,
    memberships: 0,
    invited: 0,
    joined: 0,
    left: 0,
    members: 0,
    member: 0,
    memberCount: 0,
    channels: 0,
    presence: 0,
    ack: 0,
    change: 0,
    readState: 0,
    read: 0,
    readReceipt: 0,
    error: 0,
  };
  /** `error` frames sent, by code. */
  readonly errors: Record<ErrorCode, number> = {
    invalid_json: 0,
    unknown_type: 0,
    invalid_frame: 0,
    invalid_channel: 0,
    invalid_username: 0,
    invalid_token: 0,
    auth_required: 0,
    token_expired: 0,
    forbidden: 0,
    username_taken: 0,
    message_too_long: 0,
    data_too_large: 0,
    reply_not_found: 0,
    message_not_found: 0,
    edit_window_closed: 0,
    too_many_reactions: 0,
    binary_unsupported: 0,
    user_offline: 0,
    dm_unsupported: 0,
    not_member: 0,
    channel_unavailable: 0,
    not_permitted: 0,
    banned: 0,
    muted: 0,
    history_truncated: 0,
    rate_limited: 0,
    too_many_channels: 0,
    too_many_sessions: 0,
    unavailable: 0,
    internal_error: 0,
  };
  /** Sessions ended, by what closed them; a close is rare enough for a map. */
  readonly closes = new Map<CloseCause, number>();
  /** Sessions closed for flooding (1008). */
  rateLimitDisconnects = 0;
  /** Sessions closed for not reading (4005). */
  slowConsumerDisconnects = 0;
  /** From a publish's call to the broker until it is stored. */
  readonly publishLatency = new Histogram(PUBLISH_BOUNDS_MS);
  /** From a message's stamp (`ts`) until this instance sends it to its local receivers. */
  readonly deliveryLag = new Histogram(LAG_BOUNDS_MS);
  /** Redis connections made again after a drop. */
  readonly redisReconnects: Record<RedisConnection, number> = { commands: 0, subscriber: 0 };
  /** Reads of what was published while the subscriber was down. */
  redisBackfills = 0;
  /** Messages those reads found. */
  redisBackfilledMessages = 0;
  /** Reads of the history store. */
  readonly historyReads: Record<HistoryRead, number> = { page: 0, since: 0 };
  /** Webhook attempts of this instance, by how they ended. */
  readonly webhookDeliveries: Record<WebhookOutcome, number> = {
    delivered: 0,
    failed: 0,
    dropped: 0,
  };
  /** From a webhook request's start until its answer (or its failure). */
  readonly webhookRequestLatency = new Histogram(WEBHOOK_BOUNDS_MS);

  /** Server API requests answered, per route and status (`<route>\n<status>`); rare enough for a map. */
  readonly apiRequests = new Map<string, number>();

  /** Counts a session ended by `cause`. */
  countClose(cause: CloseCause): void {
    this.closes.set(cause, (this.closes.get(cause) ?? 0) + 1);
  }

  /** Counts a server API request to `route` (`GET /api/channels/{channel}`, or `unmatched`) answered with `status`. */
  countApiRequest(route: string, status: number): void {
    const key = `${route}\n${status}`;
    this.apiRequests.set(key, (this.apiRequests.get(key) ?? 0) + 1);
  }
}
