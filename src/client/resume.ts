/**
 * What the client must remember to come back without loss: the newest
 * message id it saw in the user's inbox and in each of its channels. Every
 * message, and every change of one (edit, deletion, reaction: stored with
 * its own id in the same order), passes through here, so one seen twice (a
 * live copy and its replay) or out of order is dropped: ids order each
 * channel and the inbox.
 *
 * @module
 */
/** Crockford's base32, in which a ULID's first ten characters spell its millisecond. */
const ULID_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A message id at the millisecond a session (its ULID) opened: where a resume
 * starts for a channel or inbox that has shown nothing since, so what came
 * while the client was away is replayed and nothing from before it.
 */
export function idAtSessionStart(sessionId: string): string | undefined {
  let ms = 0;
  for (const char of sessionId.slice(0, 10).toUpperCase()) {
    const digit = ULID_DIGITS.indexOf(char);
    if (digit < 0) return undefined;
    ms = ms * 32 + digit;
  }
  return `${String(ms).padStart(13, "0")}-000000`;
}

/** The ids seen so far, per channel and for the inbox. */
export class ResumePoints {
  #inbox: string | undefined;
  readonly #channels = new Map<string, string | undefined>();
  /** Where a resume starts when nothing was seen: the first session's opening. */
  #start: string | undefined;

  constructor(since?: string) {
    this.#start = since;
  }

  /** Records the first session's opening, unless the application gave `since`. */
  opened(sessionId: string): void {
    this.#start ??= idAtSessionStart(sessionId);
  }

  /** The `since` of the next handshake. */
  inboxSince(): string | undefined {
    return this.#inbox ?? this.#start;
  }

  /** The `since` of a channel's rejoin. */
  channelSince(channel: string): string | undefined {
    return this.#channels.get(channel) ?? this.#start;
  }

  /** The channels the user is in, as this client knows them. */
  channels(): string[] {
    return [...this.#channels.keys()];
  }

  /** The user is in `channel`; `last`, if given, is its newest id when that became true. */
  join(channel: string, last?: string): void {
    if (!this.#channels.has(channel) || this.#channels.get(channel) === undefined) {
      this.#channels.set(channel, last ?? this.#channels.get(channel));
    }
  }

  leave(channel: string): void {
    this.#channels.delete(channel);
  }

  /** Whether a channel message (or change) is new to the application (and remembers it). */
  acceptChannel(frame: { to: string; id: string; local?: true }): boolean {
    if (frame.local) return true; // never stored: its id is no resume point
    const last = this.#channels.get(frame.to);
    if (last !== undefined && frame.id <= last) return false;
    this.#channels.set(frame.to, frame.id);
    return true;
  }

  /** Whether a direct message (a copy of one sent, a change of one) is new to the application. */
  acceptInbox(frame: { id: string; local?: true }): boolean {
    if (frame.local) return true;
    if (this.#inbox !== undefined && frame.id <= this.#inbox) return false;
    this.#inbox = frame.id;
    return true;
  }
}
