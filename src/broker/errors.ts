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

/** Why `change` refused: no such kept message, not the actor's to change, too late, too many emoji. */
export type ChangeRefusal = "not_found" | "not_permitted" | "window_closed" | "too_many_reactions";

/** Thrown (as a rejection) by `change` when the change is not allowed: nothing was stored. */
export class ChangeRefusedError extends Error {
  override name = "ChangeRefusedError";
  constructor(readonly reason: ChangeRefusal) {
    super(`change refused: ${reason}`);
  }
}
