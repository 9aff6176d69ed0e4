/**
 * What a broker call can fail with, besides a bug: the broker unreachable,
 * or a publish refused for what it asked (its author muted, its reply
 * target missing). Each means that nothing happened.
 *
 * @module
 */

/** Thrown (as a rejection) when the broker cannot do what was asked: nothing happened. */
export class BrokerUnavailableError extends Error {
  override name = "BrokerUnavailableError";
}

/**
 * Thrown (as a rejection) by `publish` for a draft whose `replyTo` names no
 * kept message of its channel or conversation: nothing was published.
 */
export class ReplyNotFoundError extends Error {
  override name = "ReplyNotFoundError";
}

/** Thrown by `publish` for a channel message whose author is muted there: nothing was published. */
export class MutedError extends Error {
  override name = "MutedError";
  constructor(readonly until: number) {
    super(
      until === Infinity ? "muted in this channel" : `muted until ${new Date(until).toISOString()}`,
    );
  }
}
