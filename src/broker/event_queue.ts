/**
 * The event queue's part of the broker contract (see `broker.ts`): webhook
 * events waiting to be sent, shared by every instance, so that an event
 * outlives the instance that queued it (with Redis) and exactly one instance
 * sends it at a time. An instance claims due events for a lease; while the
 * lease lasts no other instance gets them, and when it ends (the instance
 * died mid-send) they are due again. Delays are measured by the broker's
 * clock, so instances whose clocks differ still agree on what is due.
 *
 * @module
 */

/** An event to queue: its id, its body as sent, and a condition checked before sending. */
export interface QueuedEvent {
  /** Unique per event; queuing an id that waits already replaces that event. */
  id: string;
  /** The JSON body sent to the receiver, unchanged across attempts. */
  body: string;
  /**
   * A condition the sender checks first (e.g. `offline:<user>`: the user is
   * still offline); absent, the event is sent as it is.
   */
  check?: string;
}

/** An event an instance claimed: it alone sends it until `lease` ends. */
export interface ClaimedEvent extends QueuedEvent {
  /** Failed attempts before this one. */
  attempts: number;
  /** Names this claim: `done` and `retry` act only while it is the event's latest. */
  claim: string;
}

/** Webhook events waiting to be sent, shared by every instance. */
export interface EventQueue {
  /**
   * Queues `event`, due in `delayMs`, replacing a waiting event with the
   * same id (its attempts start again, and a claim of it is void) — unless
   * that one was expedited and is not claimed: it moves to an id of its own
   * and is still sent.
   */
  add(event: QueuedEvent, delayMs: number): Promise<void>;
  /**
   * Makes the waiting event `id`, if any, due now and drops its check: what
   * it waited to confirm is known. One claimed now stays its claimer's
   * until the lease ends (it alone sends it); only its check goes, so that
   * the claimer's `dismiss` of a check it made before is undone. Resolves
   * whether one was waiting.
   */
  expedite(id: string): Promise<boolean>;
  /**
   * Claims up to `limit` due events, oldest due first, for `leaseMs`: no
   * other claim gets them until then, after which they are due again.
   */
  claim(limit: number, leaseMs: number): Promise<ClaimedEvent[]>;
  /** The claimed event was sent: it leaves the queue (unless replaced since it was claimed). */
  done(id: string, claim: string): Promise<void>;
  /**
   * The claimed event's check failed: it leaves the queue unsent (unless
   * replaced since it was claimed). Expedited since it was claimed, it is
   * due now instead, to be sent without its check.
   */
  dismiss(id: string, claim: string): Promise<void>;
  /**
   * The claimed event is due again in `delayMs` (unless replaced since it
   * was claimed), with one more attempt counted when `failed`.
   */
  retry(id: string, claim: string, delayMs: number, failed: boolean): Promise<void>;
  /** How many events wait, claimed or not. */
  size(): Promise<number>;
}
